import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

const BIN = path.resolve('bin/hubspot-ai.js');

export interface CliProcess {
  child: ChildProcess;
  /** JSON log lines from stderr (LOG_FORMAT=json), parsed. */
  logs(): Array<Record<string, unknown>>;
  stderr(): string;
  stdout(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  startedAt: number;
}

/**
 * A long-running `hubspot-ai` command (serve, worker) in a child process with JSON logs at info level. `cmd`
 * defaults to the repository's bin (TypeScript through tsx); pass `['node', 'dist/main.js']`-style to run a build.
 */
export function startCli(args: string[], env: Record<string, string>, cmd: string[] = [BIN]): CliProcess {
  const child = spawn(process.execPath, [...cmd, ...args], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', LOG_LEVEL: 'info', LOG_FORMAT: 'json', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  return {
    child,
    startedAt: performance.now(),
    exited,
    stderr: () => err,
    stdout: () => out,
    logs: () =>
      err
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

/** Polls `url` until it answers 2xx, or fails once the process exits or the deadline passes. */
export async function waitUntilServing(p: CliProcess, url: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let gone = false;
  void p.exited.then(() => (gone = true));
  for (;;) {
    if (gone) throw new Error(`process exited before serving ${url}:\n${p.stderr().slice(-2000)}`);
    const ok = await fetch(url).then((r) => r.ok, () => false);
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`${url} not serving after ${timeoutMs} ms:\n${p.stderr().slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Ends the process if a test left it running. */
export async function stopCli(p: CliProcess | undefined): Promise<void> {
  if (!p || p.child.exitCode !== null || p.child.signalCode !== null) return;
  p.child.kill('SIGKILL');
  await p.exited;
}
