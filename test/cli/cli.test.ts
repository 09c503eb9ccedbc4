import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../../src/cli.ts';
import { AGENTS } from '../../src/core/proposal.ts';

const BIN = path.resolve('bin/hubspot-ai.js');

function cli(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', LOG_LEVEL: 'silent', ...env },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('hubspot-ai command line', () => {
  it('lists every command in --help, and every command has its own --help', () => {
    const help = cli(['--help']);
    expect(help.code).toBe(0);
    const commands = buildProgram().commands.map((c) => c.name());
    expect(commands).toEqual(
      expect.arrayContaining(['serve', 'worker', 'sandbox', 'setup', 'backfill', 'index', 'jobs', 'generate', 'train-scorer', 'audit', 'undo', 'demo', 'doctor']),
    );
    for (const name of commands) expect(help.stdout).toContain(name);
    // Each command's help is built by commander from its definition; check them in-process (fast).
    for (const cmd of buildProgram().commands) {
      if (cmd.name() === 'sandbox') continue; // delegates to the sandbox's own definition, checked below
      expect(cmd.helpInformation()).toContain(`Usage: hubspot-ai ${cmd.name()}`);
    }
    const sandboxHelp = cli(['sandbox', '--help']);
    expect(sandboxHelp.code).toBe(0);
    expect(sandboxHelp.stdout).toContain('--rate-limit');
  });

  it('fits every help text in an 80-column terminal, wrapping descriptions instead of running past the edge', () => {
    const long = (text: string) => text.split('\n').filter((l) => l.length > 80);
    const help = cli(['--help']);
    expect(long(help.stdout)).toEqual([]);
    // Wrapped, not left on one line: the longest command term leaves commander room to wrap.
    expect(help.stdout).toMatch(/^ {2}generate <agent> <accountId> +Run an agent for an account now and print its\n {32}proposals/m);
    const all = (cmd: ReturnType<typeof buildProgram>): ReturnType<typeof buildProgram>[] => [cmd, ...cmd.commands.flatMap(all)];
    for (const cmd of all(buildProgram())) {
      if (cmd.name() === 'sandbox') continue;
      expect(long(cmd.helpInformation()), cmd.name()).toEqual([]);
    }
    expect(long(cli(['sandbox', '--help']).stdout)).toEqual([]);
  });

  it('names every agent in the help of generate', () => {
    const generate = buildProgram().commands.find((c) => c.name() === 'generate');
    for (const agent of AGENTS) expect(generate?.helpInformation()).toContain(agent);
  });

  it('exits non-zero naming the problem when PORT is invalid', () => {
    const r = cli(['serve'], { PORT: 'abc' });
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/PORT: must be a number/);
  });

  it('exits 2 on bad usage', () => {
    const r = cli(['backfill', '--concurrency', 'x']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/positive integer/);
    const nice = cli(['backfill', '--nice', '25']);
    expect(nice.code).toBe(2);
    expect(nice.stderr).toMatch(/integer from 0 to 19/);
    expect(cli(['no-such-command']).code).toBe(2);
  });

  it('exits 0 when the reader closes the pipe early (`--help | head -1`)', async () => {
    const child = spawn(process.execPath, [BIN, '--help'], {
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', LOG_LEVEL: 'silent' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    // Read nothing and close our end at once: every write of the help text then meets a closed pipe.
    child.stdout.destroy();
    const [code] = (await once(child, 'exit')) as [number | null];
    expect(stderr).not.toMatch(/EPIPE|Unhandled/);
    expect(code).toBe(0);
  });
});
