import { fork, type ChildProcess } from 'node:child_process';
import os from 'node:os';
import type { Logger } from '../logging.ts';
import type { WorkerHandle } from '../queue/queue.ts';

/**
 * `serve`'s workers, in a child process running `hubspot-ai worker` over the same configuration: ingest and
 * generation (chunking, embedding, SQLite writes, model calls) never run on the event loop that acknowledges
 * webhooks. With the embedded queue both processes share the SQLite journal (WAL; the worker polls it), with
 * BullMQ they share Redis, exactly as a separate `hubspot-ai worker` would.
 *
 * The child runs at a lower CPU priority (nice), so on a shared host acknowledgements go first; it stops when
 * `serve` closes it, and also on its own when `serve` dies (its IPC channel closes), so a `kill -9` of `serve`
 * leaves no orphan behind: jobs it held return to the queue when their leases expire. A child that crashes is
 * started again after a pause.
 */
export const WORKER_NICENESS = 10;
/** Set in the child's environment: the `worker` command then follows its parent's lifetime. */
export const SERVE_CHILD_ENV = 'HUBSPOT_AI_SERVE_CHILD';

/** First restart pause after a crash; it doubles while the child keeps crashing soon after starting. */
const RESTART_DELAY_MS = 1_000;
const RESTART_DELAY_MAX_MS = 60_000;
/** A child that ran this long before crashing is restarted after the first pause again. */
const STABLE_AFTER_MS = 60_000;
/** After SIGTERM, how much longer than its own grace period the child gets before SIGKILL. */
const KILL_MARGIN_MS = 5_000;

export interface WorkerProcessOptions {
  logger: Logger;
  /** Extra environment for the child (e.g. its WORKER_PORT). */
  env?: Record<string, string>;
  /** The script that runs the CLI; default: the one that started this process. */
  entry?: string;
}

export interface WorkerProcessHandle extends WorkerHandle {
  /** The running child's pid (undefined between a crash and its restart). */
  readonly pid: number | undefined;
  /** Resolves with the pid once the child has started its workers. */
  ready(): Promise<number>;
}

export function spawnWorkerProcess(opts: WorkerProcessOptions): WorkerProcessHandle {
  const entry = opts.entry ?? process.argv[1];
  if (!entry) throw new Error('cannot tell which script to run the worker process with');
  let child: ChildProcess | undefined;
  let stopping = false;
  let restartTimer: NodeJS.Timeout | undefined;
  let delay = RESTART_DELAY_MS;
  let ready = false;
  let readyResolve!: (pid: number) => void;
  let readyReject!: (err: Error) => void;
  const readyPromise = new Promise<number>((resolve, reject) => {
    readyResolve = resolve;
    readyReject = reject;
  });
  readyPromise.catch(() => undefined); // a caller that never asks must not see an unhandled rejection

  const start = (): void => {
    const startedAt = Date.now();
    const c = fork(entry, ['worker'], {
      env: { ...process.env, ...opts.env, [SERVE_CHILD_ENV]: '1' },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      // Its own process group: a Ctrl-C in the terminal reaches `serve` only, which then stops the child in order.
      detached: true,
    });
    child = c;
    if (c.pid !== undefined) {
      try {
        os.setPriority(c.pid, WORKER_NICENESS);
      } catch (err) {
        opts.logger.debug({ err }, 'could not lower the worker process priority');
      }
    }
    c.on('message', (m: { ready?: boolean }) => {
      if (m.ready && c.pid !== undefined) {
        ready = true;
        readyResolve(c.pid);
      }
    });
    c.once('exit', (code, signal) => {
      if (child === c) child = undefined;
      if (stopping) return;
      if (!ready) {
        // It never started (bad configuration, port taken, dependency down): that is serve's failure, not a crash.
        stopping = true;
        readyReject(new Error(`the worker process exited before starting its workers (code ${code}, signal ${signal})`));
        return;
      }
      delay = Date.now() - startedAt > STABLE_AFTER_MS ? RESTART_DELAY_MS : Math.min(delay * 2, RESTART_DELAY_MAX_MS);
      opts.logger.error({ code, signal, restartInMs: delay }, 'the worker process exited; starting it again');
      restartTimer = setTimeout(start, delay);
      restartTimer.unref();
    });
  };
  start();

  return {
    get pid() {
      return child?.pid;
    },
    ready: () => readyPromise,
    async close(timeoutMs = 10_000) {
      stopping = true;
      clearTimeout(restartTimer);
      const c = child;
      if (!c || c.exitCode !== null || c.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => c.once('exit', () => resolve()));
      // The child hands its running jobs back to the queue within its own grace period (SHUTDOWN_GRACE_MS).
      c.kill('SIGTERM');
      const timer = setTimeout(() => c.kill('SIGKILL'), timeoutMs + KILL_MARGIN_MS);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** In the child: resolves when the parent `serve` is gone or closed the channel (never when not a serve child). */
export function parentGone(): Promise<void> {
  if (process.env[SERVE_CHILD_ENV] !== '1' || typeof process.send !== 'function') return new Promise(() => undefined);
  return new Promise((resolve) => {
    process.once('disconnect', () => resolve());
  });
}

/** In the child: tells `serve` the workers are running. */
export function reportReady(): void {
  if (process.env[SERVE_CHILD_ENV] === '1' && typeof process.send === 'function') process.send({ ready: true });
}
