import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import * as sqliteVec from 'sqlite-vec';
import { Checkpointer, SAFETY_NET_PAGES, type CheckpointerOptions } from './checkpointer.ts';

export type SqliteDb = Database.Database;

/**
 * The embedded default keeps its data in one SQLite file under DATA_DIR: vectors, cache, audit, reviews,
 * checkpoints. WAL so readers never block the writer.
 */
export const SQLITE_FILE = 'hubspot-ai.db';

export function sqlitePath(dataDir: string): string {
  return path.join(dataDir, SQLITE_FILE);
}

/**
 * The embedded queue's journal has a file of its own beside the data file (queue/embedded-journal.ts): SQLite has
 * one write lock per file, and a webhook acknowledgement (one journal insert) must never wait for the worker's data
 * writes (a batch of chunks, a backfill page), only for other journal writes, which last microseconds. Earlier
 * releases kept the journal in the data file; the queue moves those jobs over when it opens (queue/journal-move.ts).
 */
export const QUEUE_FILE = 'hubspot-queue.db';

export function queuePath(dataDir: string): string {
  return path.join(dataDir, QUEUE_FILE);
}

/**
 * Whether another connection holds the file's write lock at this moment: a BEGIN IMMEDIATE that would have to wait
 * (tried with no busy wait, and rolled back at once when it succeeds). Exact where timing is not: on a busy machine
 * a BEGIN that took long may only have waited for a core. Used by a bulk writer to pace itself only while another
 * process writes the file (db/write-pacer.ts).
 */
export function writeLockHeldElsewhere(db: SqliteDb): boolean {
  if (db.inTransaction) return false;
  const timeout = db.pragma('busy_timeout', { simple: true }) as number;
  db.pragma('busy_timeout = 0');
  try {
    db.exec('BEGIN IMMEDIATE');
    db.exec('ROLLBACK');
    return false;
  } catch (err) {
    // SQLITE_BUSY and its extended codes (RECOVERY while another connection recovers the WAL): held elsewhere.
    if (/^SQLITE_(BUSY|LOCKED)/.test(String((err as { code?: unknown }).code))) return true;
    throw err;
  } finally {
    db.pragma(`busy_timeout = ${timeout}`);
  }
}

/**
 * Runs `fn` as a write transaction that takes the file's write lock at BEGIN (IMMEDIATE), waiting for it up to
 * the connection's busy_timeout. Every write transaction goes through here: a deferred one (better-sqlite3's
 * default) starts as a reader, and when its first write finds another process holding the lock SQLite answers
 * SQLITE_BUSY at once, without waiting (the busy timeout cannot help a reader upgrade: its snapshot may be stale).
 * That failed a job whenever another process (a `hubspot-ai backfill`) was writing the same file.
 */
export function writeTransaction<T>(db: SqliteDb, fn: () => T): T {
  let began = false;
  const tx = db.transaction(() => {
    began = true;
    return fn();
  });
  return retryWhileLocked(() => tx.immediate(), () => !began);
}

/**
 * How long a write waits in total for another process's write lock. SQLite's busy handler polls (sleeps of up to
 * 100 ms) rather than queueing: a process that commits and begins again at once can win every poll of a waiting one
 * for longer than one busy_timeout (seen in CI: two processes upserting chunks, one failed with SQLITE_BUSY after
 * 5 s). So an SQLITE_BUSY at BEGIN, before any of the transaction ran, is retried until this deadline.
 */
export const WRITE_LOCK_WAIT_MS = 120_000;

function isBusy(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('SQLITE_BUSY');
}

/**
 * Runs `begin` (something that takes the write lock, waiting up to busy_timeout inside SQLite) again while it
 * fails with SQLITE_BUSY and `safeToRetry()` says nothing of the transaction ran, up to WRITE_LOCK_WAIT_MS.
 */
export function retryWhileLocked<T>(begin: () => T, safeToRetry: () => boolean = () => true, waitMs = WRITE_LOCK_WAIT_MS): T {
  const deadline = Date.now() + waitMs;
  for (;;) {
    try {
      return begin();
    } catch (err) {
      if (!isBusy(err) || !safeToRetry() || Date.now() >= deadline) throw err;
    }
  }
}

/** Where an SQLite adapter gets its connection and gives it back: a container's `SqliteFiles`, or its own. */
export interface SqliteConnections {
  open(file: string): SqliteDb;
  release(db: SqliteDb): void;
  /**
   * True when a background thread checkpoints the files this registry opens (SqliteFiles): another connection to
   * such a file (the queue's intake) can then leave checkpoints to it instead of running one inside a commit.
   */
  readonly checkpointsInBackground?: boolean;
}

function connect(file: string): SqliteDb {
  if (file !== ':memory:') fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL'); // durable across process crashes in WAL mode; fsync at checkpoints
  db.pragma('busy_timeout = 5000');
  db.pragma('foreign_keys = ON');
  // Memory-mapped reads: vector scans read pages without copying them through SQLite's page cache. As much of the
  // file as this build of SQLite maps (SQLITE_MAX_MMAP_SIZE, just under 2 GiB): pages beyond it are read with a
  // system call each into a 16 MB cache that per-account queries over many accounts keep missing (measured with
  // bench:million's 2.6 GB file). Mapped pages are the OS page cache: RSS counts them as file pages, not heap.
  db.pragma('mmap_size = 2147418112');
  sqliteVec.load(db);
  // SQLite's own lower() folds ASCII only; PostgreSQL's folds every letter. One answer in both dialects (review
  // search for "ünïcode" finds "Ünïcode").
  db.function('lower', { deterministic: true }, (v: unknown) => (typeof v === 'string' ? v.toLowerCase() : v) as string | null);
  return db;
}

/**
 * A connection of its own (sqlite-vec loaded, SQLite's own auto-checkpoint): for an adapter built outside a
 * container, a test or a bench. Close it with `releaseSqlite`.
 */
export function openSqlite(file: string): SqliteDb {
  return connect(file);
}

export function releaseSqlite(db: SqliteDb): void {
  if (db.open) db.close();
}

/** Adapters built without a registry open their own connection and close it when they close. */
export const ownConnection: SqliteConnections = { open: openSqlite, release: releaseSqlite };

/**
 * The SQLite connection registry of one container: one shared connection per file (reference-counted), and the
 * background checkpoint thread for them (checkpointer.ts). `close()` closes every connection still open and
 * stops the thread, so two containers in one process share nothing and a closed one leaves nothing running.
 */
export class SqliteFiles implements SqliteConnections {
  private readonly open_ = new Map<string, { db: SqliteDb; refs: number }>();
  readonly checkpointer: Checkpointer;
  readonly checkpointsInBackground = true;

  constructor(opts: CheckpointerOptions = {}) {
    this.checkpointer = new Checkpointer(opts);
  }

  /** Opens (or shares) the file with sqlite-vec loaded. Call `release` when done. */
  open(file: string): SqliteDb {
    const key = file === ':memory:' ? `:memory:${this.open_.size}:${Math.random()}` : path.resolve(file);
    const existing = this.open_.get(key);
    if (existing && existing.db.open) {
      existing.refs += 1;
      return existing.db;
    }
    const db = connect(file);
    if (file !== ':memory:') {
      // Checkpoints run in a background thread (checkpointer.ts), not inside whichever commit crosses 1,000 pages.
      db.pragma(`wal_autocheckpoint = ${SAFETY_NET_PAGES}`);
      db.pragma('journal_size_limit = 67108864');
      this.checkpointer.watch(key);
    }
    this.open_.set(key, { db, refs: 1 });
    return db;
  }

  release(db: SqliteDb): void {
    for (const [key, entry] of this.open_) {
      if (entry.db === db) {
        entry.refs -= 1;
        if (entry.refs <= 0) this.drop(key);
        return;
      }
    }
    if (db.open) db.close();
  }

  /** Files with a connection open now (tests). */
  get openFiles(): string[] {
    return [...this.open_.keys()];
  }

  /** Closes whatever is still open (an adapter that was never closed) and stops the checkpoint thread. */
  async close(): Promise<void> {
    for (const key of [...this.open_.keys()]) this.drop(key);
    await this.checkpointer.close();
  }

  private drop(key: string): void {
    const entry = this.open_.get(key);
    this.open_.delete(key);
    this.checkpointer.unwatch(key);
    if (entry?.db.open) entry.db.close();
  }
}
