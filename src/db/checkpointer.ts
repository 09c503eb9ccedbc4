import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/**
 * WAL checkpoints off the event loop. With SQLite's default auto-checkpoint, the commit that pushes the WAL past
 * 1,000 pages copies the whole WAL into the database file and fsyncs it, inside that commit: on this machine a
 * 20 MB WAL took ~290 ms, which landed on whichever webhook acknowledgement happened to commit then. Instead,
 * connections opened by `openSqlite` keep only a far-off safety net (`SAFETY_NET_PAGES`), and one background
 * thread per connection registry (sqlite.ts `SqliteFiles`, one per container) holds its own connection to each open file and runs PASSIVE checkpoints every
 * second (PASSIVE never blocks writers or readers, and never commits, so it cannot invalidate a snapshot). The
 * first commit after a complete checkpoint restarts the WAL from its beginning, so it stays small.
 */
export const SAFETY_NET_PAGES = 16_384; // 64 MB of 4 KB pages: only reached if the checkpointer is stuck
const DEFAULT_INTERVAL_MS = 1_000;
const REMOVE_WAIT_MS = 5_000;

const SOURCE = `
const fs = require('node:fs');
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const files = new Map(); // file -> { db (opened at its first checkpoint), seen: data_version when last complete }
let lastError = '';
function report(file, err) {
  const message = file + ': ' + (err && err.message ? err.message : String(err));
  if (message !== lastError) parentPort.postMessage({ type: 'error', message });
  lastError = message;
}
function checkpoint() {
  for (const [file, f] of files) {
    try {
      if (!f.db) {
        // Opened lazily, and only while the owner's log exists: a file opened and closed between two rounds is
        // never touched here (opening it after its owner closed would recreate its -wal and -shm files).
        if (!fs.existsSync(file + '-wal')) continue;
        f.db = new Database(file, { fileMustExist: true });
        f.db.pragma('busy_timeout = 0');
      }
      // data_version changes only when another connection commits: an idle file costs nothing here.
      const version = f.db.pragma('data_version', { simple: true });
      if (version === f.seen) continue;
      const [r] = f.db.pragma('wal_checkpoint(PASSIVE)');
      if (r && r.busy === 0 && r.checkpointed === r.log) f.seen = version; // else readers held it back: again
    } catch (err) {
      if (!(err && err.code === 'SQLITE_BUSY')) report(file, err);
    }
  }
}
parentPort.on('message', (m) => {
  if (m.type === 'add') {
    if (!files.has(m.file)) files.set(m.file, { db: undefined, seen: undefined });
  } else if (m.type === 'remove') {
    const f = files.get(m.file);
    files.delete(m.file);
    try { if (f && f.db) f.db.close(); } catch {}
    Atomics.store(m.done, 0, 1);
    Atomics.notify(m.done, 0);
  }
});
setInterval(checkpoint, workerData.intervalMs);
`;

export interface CheckpointerOptions {
  /** How often the background thread checkpoints (default 1 s; tests use less). */
  intervalMs?: number;
  /** Where checkpoint errors go (the logger); each distinct message is reported once. */
  onError?: (message: string) => void;
}

/**
 * The background checkpoint thread of one connection registry. The thread starts with the first watched file,
 * never keeps the process alive, and stops when the last file is unwatched or on `close()`.
 */
export class Checkpointer {
  private worker: Worker | undefined;
  private readonly files = new Set<string>();
  private readonly intervalMs: number;
  private readonly onError: (message: string) => void;

  constructor(opts: CheckpointerOptions = {}) {
    this.intervalMs = opts.intervalMs ?? DEFAULT_INTERVAL_MS;
    this.onError = opts.onError ?? (() => undefined);
  }

  /** Whether the background thread is running (tests check that a closed container leaves none behind). */
  get running(): boolean {
    return this.worker !== undefined;
  }

  /** Starts checkpointing `file` in the background thread (started on first use). */
  watch(file: string): void {
    if (this.files.has(file)) return;
    this.files.add(file);
    if (!this.worker) {
      const thread = new Worker(SOURCE, {
        eval: true,
        // Plain JavaScript: none of the parent's flags (such as `--import tsx`), so the thread starts in milliseconds.
        execArgv: [],
        workerData: { driver: createRequire(import.meta.url).resolve('better-sqlite3'), intervalMs: this.intervalMs },
      });
      thread.on('message', (m: { type: string; message: string }) => {
        if (m.type === 'error') this.onError(m.message);
      });
      thread.on('error', (err) => this.onError(`checkpointer thread failed: ${err.message}`));
      thread.on('exit', () => {
        // A thread terminated by unwatch may exit after its successor started: only the current one counts.
        if (this.worker !== thread) return;
        this.worker = undefined;
        // Files still open fall back to the safety-net auto-checkpoint of their own connections.
        this.files.clear();
      });
      thread.unref(); // after the listeners: adding a 'message' listener refs the thread again
      this.worker = thread;
    }
    this.worker.postMessage({ type: 'add', file });
  }

  /**
   * Stops checkpointing `file` and waits (synchronously, bounded) until the background connection is closed, so
   * that when the caller closes its own connection nothing in this process holds the file any more (a test can
   * delete the directory; another process can take over).
   */
  unwatch(file: string): void {
    if (!this.files.delete(file) || !this.worker) return;
    const done = new Int32Array(new SharedArrayBuffer(4));
    this.worker.postMessage({ type: 'remove', file, done });
    Atomics.wait(done, 0, 0, REMOVE_WAIT_MS);
    if (this.files.size === 0) void this.stop();
  }

  /** Unwatches every file and stops the thread. */
  async close(): Promise<void> {
    for (const file of [...this.files]) this.unwatch(file);
    await this.stop();
  }

  private async stop(): Promise<void> {
    const w = this.worker;
    this.worker = undefined;
    this.files.clear();
    if (w) await w.terminate();
  }
}
