import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startSandbox } from '../../src/sandbox/index.ts';
import { tempDir } from '../support/tmp.ts';

/**
 * The embedded mode's limiter file: `serve`, its worker process and a backfill are separate processes spending
 * one portal's budget. Two real processes call the sandbox at once with no retries, so any 429 fails a call.
 */
type Sandbox = Awaited<ReturnType<typeof startSandbox>>;
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const CHILD = path.join(root, 'test/fixtures/limiter-child.ts');
const RATE = 6;

let sandbox: Sandbox;
const tmp = tempDir('hsai-limiter-');

// A fresh portal for each case: its rolling window starts empty.
beforeEach(async () => {
  sandbox = await startSandbox({ port: 0, seed: 7, companies: 2 * RATE, rateLimit: RATE });
});

afterEach(async () => {
  await sandbox.close();
});

afterAll(() => tmp.cleanup());

async function twoProcesses(limiterFile: string | undefined): Promise<Array<{ ok: number; failed: number }>> {
  const ids = sandbox.groundTruth().companies.map((c) => c.id);
  const halves = [ids.slice(0, RATE), ids.slice(RATE)];
  const children = halves.map((part) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD], {
      cwd: root,
      env: {
        ...process.env,
        HUBSPOT_BASE_URL: sandbox.url,
        HUBSPOT_ACCESS_TOKEN: sandbox.token,
        RATE_LIMIT: String(RATE),
        COMPANY_IDS: part.join(','),
        ...(limiterFile ? { LIMITER_FILE: limiterFile } : {}),
      },
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    let out = '';
    const ready = new Promise<void>((resolve) =>
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.startsWith('ready\n')) resolve();
      }),
    );
    const done = new Promise<{ ok: number; failed: number }>((resolve, reject) =>
      child.on('exit', (code) => {
        const last = out.trim().split('\n').pop() ?? '';
        if (code === 0 && last.startsWith('{')) resolve(JSON.parse(last) as { ok: number; failed: number });
        else reject(new Error(`limiter child exited with ${code}: ${out}`));
      }),
    );
    return { child, ready, done };
  });
  await Promise.all(children.map((c) => c.ready));
  for (const c of children) c.child.stdin.end('go\n');
  return Promise.all(children.map((c) => c.done));
}

describe('HubSpot rate limiter shared through a file in DATA_DIR', () => {
  it('two processes, each with its own budget, overrun the portal limit together (the limit is real)', async () => {
    const results = await twoProcesses(undefined);
    expect(results.reduce((n, r) => n + r.failed, 0)).toBeGreaterThan(0);
    expect(sandbox.metrics().http429).toBeGreaterThan(0);
  }, 120_000);

  it('two processes sharing the limiter file stay under it together: every call succeeds, no 429', async () => {
    const results = await twoProcesses(path.join(tmp.dir, 'hubspot-limiter.db'));
    expect(results).toEqual([
      { ok: RATE, failed: 0 },
      { ok: RATE, failed: 0 },
    ]);
    expect(sandbox.metrics().http429).toBe(0);
  }, 120_000);
});
