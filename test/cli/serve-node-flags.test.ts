import fs from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
// @ts-expect-error plain JavaScript of the bin, without type declarations
import { SERVE_NODE_FLAGS, serveNodeFlags } from '../../bin/node-flags.js';
import { API_NODE_FLAGS } from '../../src/runtime/api-node-flags.ts';
import { freePort } from '../../src/runtime/free-port.ts';
import { startCli, stopCli, waitUntilServing, type CliProcess } from '../support/cli-process.ts';
import { runCli } from '../support/cli.ts';
import { tempDir } from '../support/tmp.ts';
import { waitFor } from '../queue/queue.contract.ts';

/**
 * `serve` started by hand (`npx hubspot-ai serve`) runs with the V8 flags the API process is measured and deployed
 * with, as `npm start` and the container do: the bin starts it again with them, and stays out of the way of signals
 * and exit codes.
 */

const flagsFor = serveNodeFlags as (argv: string[], execArgv: string[], env: Record<string, string | undefined>) => string[];
const tmp = tempDir('hsai-serve-flags-');
afterAll(() => tmp.cleanup());

/** The node arguments of a running process (its execArgv and script), as the kernel has them. */
function commandLine(pid: number): string[] {
  return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
}

/** The pid in serve's own log lines (the process that serves, whichever started it). */
async function servingPid(p: CliProcess): Promise<number> {
  await waitFor(() => p.logs().some((l) => typeof l.pid === 'number'), 30_000, 'a log line of serve');
  return p.logs().find((l) => typeof l.pid === 'number')!.pid as number;
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function startServe(env: Record<string, string> = {}): Promise<{ p: CliProcess; port: number }> {
  const port = await freePort();
  const p = startCli(['serve', '--no-workers'], { DATA_DIR: fs.mkdtempSync(`${tmp.dir}/d-`), PORT: String(port), HUBSPOT_BASE_URL: 'http://127.0.0.1:9', ...env });
  await waitUntilServing(p, `http://127.0.0.1:${port}/healthz`);
  return { p, port };
}

describe('serve started by hand', () => {
  it('the bin restarts with exactly the flags the container and npm start pass', () => {
    expect(SERVE_NODE_FLAGS).toEqual(API_NODE_FLAGS);
  });

  it('restarts for serve only, and leaves an operator\'s own choice alone', () => {
    const serve = ['node', 'bin/hubspot-ai.js', 'serve'];
    expect(flagsFor(serve, [], {})).toEqual(API_NODE_FLAGS);
    expect(flagsFor([...serve, '--no-workers'], [], { SERVE_V8_FLAGS: '1' })).toEqual(API_NODE_FLAGS);
    // Other commands and help start at once, in one process.
    for (const cmd of ['worker', 'backfill', 'audit', 'demo', 'config']) expect(flagsFor(['node', 'bin', cmd], [], {})).toEqual([]);
    expect(flagsFor([...serve, '--help'], [], {})).toEqual([]);
    expect(flagsFor(['node', 'bin'], [], {})).toEqual([]);
    // Already there (npm start, the container), or the operator chose the young generation or heap growth.
    expect(flagsFor(serve, [...API_NODE_FLAGS], {})).toEqual([]);
    expect(flagsFor(serve, ['--max-semi-space-size=64'], {})).toEqual([]);
    expect(flagsFor(serve, ['--heap_growing_percent=50'], {})).toEqual([]);
    expect(flagsFor(serve, [], { NODE_OPTIONS: '--max-old-space-size=512 --max-semi-space-size=32' })).toEqual([]);
    expect(flagsFor(serve, [], { NODE_OPTIONS: '--max-old-space-size=512' })).toEqual(API_NODE_FLAGS);
    expect(flagsFor(serve, [], { SERVE_V8_FLAGS: '0' })).toEqual([]);
    expect(() => flagsFor(serve, [], { SERVE_V8_FLAGS: 'yes' })).toThrow(/SERVE_V8_FLAGS must be 1 .* or 0 .*, not "yes"/);
  });

  it('serves with the flags, stops with SIGTERM through the bin, exit code 0', { timeout: 120_000 }, async () => {
    const { p } = await startServe();
    try {
      const pid = await servingPid(p);
      expect(pid).not.toBe(p.child.pid); // the restarted process serves
      expect(commandLine(pid).slice(1, 1 + API_NODE_FLAGS.length)).toEqual(API_NODE_FLAGS);
      p.child.kill('SIGTERM');
      expect(await p.exited).toEqual({ code: 0, signal: null });
      expect(p.logs().some((l) => l.msg === 'shut down' && l.pid === pid)).toBe(true); // a graceful stop, not a kill
      await waitFor(() => !alive(pid), 10_000, 'the serving process gone');
    } finally {
      await stopCli(p);
    }
  });

  it('stops gracefully when the bin process is killed with -9', { timeout: 120_000 }, async () => {
    const { p } = await startServe();
    const pid = await servingPid(p);
    try {
      p.child.kill('SIGKILL');
      await p.exited;
      await waitFor(() => !alive(pid), 30_000, 'the serving process to follow its parent');
      expect(p.logs().some((l) => l.msg === 'shut down' && l.pid === pid)).toBe(true);
    } finally {
      if (alive(pid)) process.kill(pid, 'SIGKILL');
    }
  });

  it('SERVE_V8_FLAGS=0 serves in the one process with node\'s defaults; another value is refused with exit code 3', { timeout: 120_000 }, async () => {
    const { p } = await startServe({ SERVE_V8_FLAGS: '0' });
    try {
      expect(await servingPid(p)).toBe(p.child.pid);
      expect(commandLine(p.child.pid!).some((a) => API_NODE_FLAGS.includes(a))).toBe(false);
    } finally {
      p.child.kill('SIGTERM');
      await p.exited;
      await stopCli(p);
    }
    const bad = await runCli(['serve'], { SERVE_V8_FLAGS: 'yes' });
    expect(bad.code).toBe(3);
    expect(bad.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^hubspot-ai: SERVE_V8_FLAGS must be 1 /)]);
  });
});
