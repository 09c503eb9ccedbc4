import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

/**
 * The soak's real processes: `hubspot-ai` commands and a Redis server, each a child with its output in a log
 * file, resident memory sampled from /proc, and stops that are either clean (SIGTERM) or brutal (SIGKILL).
 */

/**
 * What runs the commands: the compiled JavaScript the container image runs (`node dist/main.js`) when a build is
 * newer than every source file, otherwise the sources through tsx (which costs each start seconds of CPU).
 */
export const ENTRY = compiledIsFresh() ? path.resolve('dist/main.js') : path.resolve('bin/hubspot-ai.js');

function compiledIsFresh(): boolean {
  const main = path.resolve('dist/main.js');
  if (!fs.existsSync(main)) return false;
  const built = fs.statSync(main).mtimeMs;
  const newest = (dir: string): number =>
    fs.readdirSync(dir, { withFileTypes: true }).reduce((m, e) => {
      const p = path.join(dir, e.name);
      return Math.max(m, e.isDirectory() ? newest(p) : fs.statSync(p).mtimeMs);
    }, 0);
  return newest(path.resolve('src')) < built;
}

export interface Proc {
  name: string;
  child: ChildProcess;
  exited: Promise<number | null>;
  /** Peak resident set size seen while it ran (bytes). */
  peakRss: number;
}

export function startProcess(name: string, cmd: string, args: string[], env: NodeJS.ProcessEnv, logDir: string): Proc {
  const log = fs.openSync(path.join(logDir, `${name}.log`), 'a');
  const child = spawn(cmd, args, { env, stdio: ['ignore', log, log] });
  fs.closeSync(log);
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { name, child, exited, peakRss: 0 };
}

export function startCommand(name: string, args: string[], env: NodeJS.ProcessEnv, logDir: string, opts: { nice?: number } = {}): Proc {
  if (opts.nice) return startProcess(name, 'nice', ['-n', String(opts.nice), process.execPath, ENTRY, ...args], env, logDir);
  return startProcess(name, process.execPath, [ENTRY, ...args], env, logDir);
}

/** Resident memory of a live process (Linux), 0 when unknown. */
export function rssOf(pid: number | undefined): number {
  if (!pid) return 0;
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** The node process behind a `nice` wrapper is the wrapper itself (nice execs): the pid is the same. */
export function sampleRss(procs: Proc[]): void {
  for (const p of procs) p.peakRss = Math.max(p.peakRss, rssOf(p.child.pid));
}

export async function stop(p: Proc | undefined, signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 20_000): Promise<number | null> {
  if (!p || p.child.exitCode !== null || p.child.signalCode !== null) return p?.child.exitCode ?? null;
  p.child.kill(signal);
  const timer = setTimeout(() => p.child.kill('SIGKILL'), timeoutMs);
  try {
    return await p.exited;
  } finally {
    clearTimeout(timer);
  }
}

/** Polls `url` until 2xx. A plain process that exits first is an error; a supervised one is restarted. */
export async function waitForHttp(url: string, p: Proc | Supervised, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (!(p instanceof Supervised) && p.child.exitCode !== null) throw new Error(`${p.name} exited (${p.child.exitCode}) before answering ${url}`);
    if (await fetch(url).then((r) => r.ok, () => false)) return;
    if (Date.now() > deadline) throw new Error(`${url} not answering after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** A Redis server the soak owns (so it can restart it): AOF on, no RDB snapshots, as in docker-compose.yml. */
export function startRedis(port: number, dir: string, logDir: string): Proc {
  fs.mkdirSync(dir, { recursive: true });
  return startProcess(
    `redis-${Date.now()}`,
    'redis-server',
    ['--bind', '127.0.0.1', '--port', String(port), '--dir', dir, '--appendonly', 'yes', '--appendfsync', 'everysec', '--save', '', '--maxmemory-policy', 'noeviction'],
    process.env,
    logDir,
  );
}

export async function waitForRedis(port: number, timeoutMs = 30_000): Promise<void> {
  const { Redis } = await import('ioredis');
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const c = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    c.on('error', () => undefined);
    try {
      await c.connect();
      // Ready means the AOF is loaded: PING answers LOADING before.
      if ((await c.ping()) === 'PONG') return;
    } catch {
      // not yet
    } finally {
      c.disconnect();
    }
    if (Date.now() > deadline) throw new Error(`redis on ${port} did not come up`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * A process kept running the way compose's `restart: unless-stopped` keeps it: whenever it exits (killed, or
 * exit code 4 because a dependency did not answer in time while Redis restarts), a new one starts after
 * `delayMs`. `kill` is the chaos (SIGKILL); `shutdown` is the clean end.
 */
export class Supervised {
  readonly all: Proc[] = [];
  readonly exits: Array<{ name: string; code: number | null; signal: NodeJS.Signals | null }> = [];
  private stopping = false;
  private restarting: Promise<void> | undefined;

  constructor(
    private readonly launch: (n: number) => Proc,
    private readonly delayMs = 1_000,
    private readonly onExit: (p: Proc, code: number | null) => void = () => undefined,
  ) {
    this.start();
  }

  get current(): Proc {
    return this.all.at(-1)!;
  }

  /** Restarts beyond the first start. */
  get restarts(): number {
    return this.all.length - 1;
  }

  /** Resolves once a process is running (after a pending restart). */
  async running(): Promise<Proc> {
    while (this.restarting) await this.restarting;
    return this.current;
  }

  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const p = await this.running();
    await stop(p, signal);
    await this.restarting;
  }

  async shutdown(): Promise<void> {
    this.stopping = true;
    await this.restarting;
    await stop(this.current);
  }

  private start(): void {
    const p = this.launch(this.all.length + 1);
    this.all.push(p);
    void p.exited.then((code) => {
      this.exits.push({ name: p.name, code, signal: p.child.signalCode });
      if (this.stopping) return;
      this.onExit(p, code);
      this.restarting = new Promise<void>((r) => setTimeout(r, this.delayMs)).then(() => {
        this.restarting = undefined;
        if (!this.stopping) this.start();
      });
    });
  }
}
