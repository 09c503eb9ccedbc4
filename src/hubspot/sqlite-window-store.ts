import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { AppError } from '../errors.ts';
import { migrateSqliteFile } from '../db/migrator.ts';
import type { LimitKind, WindowSpec, WindowStore } from './window-store.ts';

/**
 * The window log in a small SQLite file under DATA_DIR (algorithm in window-store.ts), for the embedded mode:
 * `serve`, the worker process it starts and a `hubspot-ai backfill` run on the same host all use one portal
 * budget without Redis. Each operation is one IMMEDIATE transaction, so check-and-add is atomic across processes;
 * they all read the same host clock.
 *
 * A file of its own, not the main database: the indexer's long write transactions would otherwise hold every
 * HubSpot request behind them. The connection never waits inside SQLite (busy_timeout 0, which would block the
 * event loop): a busy file is retried after a short asynchronous pause.
 */
export const LIMITER_FILE = 'hubspot-limiter.db';

/** How long opening the file may wait for another process's transaction (only at start, never per request). */
const OPEN_BUSY_TIMEOUT_MS = 5_000;
const BUSY_RETRY_MS = 2;
/** A transaction here lasts microseconds: a file still busy after this long is a real fault, not contention. */
const BUSY_GIVE_UP_MS = 10_000;

type Statement = Database.Statement<unknown[]>;

export class SqliteWindowStore implements WindowStore {
  private readonly db: Database.Database;
  private readonly sql: Record<'paused' | 'prune' | 'count' | 'insert' | 'nth' | 'release' | 'pause', Statement>;
  private readonly acquireTx: (kind: LimitKind, member: string, spec: WindowSpec, holdMs: number) => number;
  private readonly reconcileTx: (kind: LimitKind, serverRemaining: number, spec: WindowSpec) => number;
  private phantomSeq = 0;

  constructor(
    file: string,
    private readonly limiterKey: string,
    private readonly now: () => number = Date.now,
    private readonly sleep: (ms: number) => Promise<void> = (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  ) {
    fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    this.db = new Database(file, { timeout: OPEN_BUSY_TIMEOUT_MS });
    this.db.pragma('journal_mode = WAL');
    // No fsync per request: an entry lost to a power cut describes a request of a process that died with it.
    this.db.pragma('synchronous = NORMAL');
    migrateSqliteFile(this.db, 'limiter'); // window_log, window_pause (db/migrations/window-log.ts)
    this.db.pragma('busy_timeout = 0');
    const s = (q: string): Statement => this.db.prepare(q);
    this.sql = {
      paused: s('SELECT until FROM window_pause WHERE limiter = ? AND kind = ?'),
      prune: s('DELETE FROM window_log WHERE limiter = ? AND kind = ? AND expires_at <= ?'),
      count: s('SELECT count(*) AS n FROM window_log WHERE limiter = ? AND kind = ?'),
      insert: s('INSERT OR REPLACE INTO window_log (limiter, kind, member, expires_at) VALUES (?, ?, ?, ?)'),
      nth: s('SELECT expires_at FROM window_log WHERE limiter = ? AND kind = ? ORDER BY expires_at LIMIT 1 OFFSET ?'),
      release: s('UPDATE window_log SET expires_at = ? WHERE limiter = ? AND kind = ? AND member = ?'),
      pause: s(
        `INSERT INTO window_pause (limiter, kind, until) VALUES (?, ?, ?)
         ON CONFLICT (limiter, kind) DO UPDATE SET until = max(until, excluded.until)`,
      ),
    };
    const acquire = this.db.transaction((kind: LimitKind, member: string, spec: WindowSpec, holdMs: number): number => {
      const now = this.now();
      const paused = (this.sql.paused.get(this.limiterKey, kind) as { until: number } | undefined)?.until ?? 0;
      if (paused > now) return paused - now;
      const count = this.prunedCount(kind, now);
      if (count < spec.budget) {
        this.sql.insert.run(this.limiterKey, kind, member, now + Math.ceil(holdMs));
        return 0;
      }
      // Room appears when enough entries expire for the count to drop below the (possibly lowered) budget.
      const freeing = (this.sql.nth.get(this.limiterKey, kind, count - spec.budget) as { expires_at: number } | undefined)?.expires_at;
      return Math.max(1, (freeing ?? now + 1) - now);
    });
    this.acquireTx = (...args) => acquire.immediate(...args);
    const reconcile = this.db.transaction((kind: LimitKind, serverRemaining: number, spec: WindowSpec): number => {
      const now = this.now();
      const missing = Math.min(spec.budget, spec.budget - this.prunedCount(kind, now) - serverRemaining);
      for (let i = 0; i < missing; i++) {
        this.sql.insert.run(this.limiterKey, kind, `external:${process.pid}:${now}:${++this.phantomSeq}`, now + Math.ceil(spec.windowMs));
      }
      return missing;
    });
    this.reconcileTx = (...args) => reconcile.immediate(...args);
  }

  async tryAcquire(kind: LimitKind, member: string, spec: WindowSpec, holdMs: number): Promise<number> {
    const wait = await this.whenFree(() => this.acquireTx(kind, member, spec, holdMs));
    if (wait === undefined) throw new AppError('HUBSPOT_GATEWAY_CLOSED', 'The HubSpot gateway is closed (rate limiter)');
    return wait;
  }

  async release(kind: LimitKind, member: string, windowMs: number): Promise<void> {
    // A member already pruned stays pruned (the UPDATE finds nothing): its hold outlived any HubSpot window.
    await this.whenFree(() => this.sql.release.run(this.now() + Math.ceil(windowMs), this.limiterKey, kind, member));
  }

  async reconcile(kind: LimitKind, serverRemaining: number, spec: WindowSpec): Promise<void> {
    await this.whenFree(() => this.reconcileTx(kind, serverRemaining, spec));
  }

  async pause(kind: LimitKind, ms: number): Promise<void> {
    await this.whenFree(() => this.sql.pause.run(this.limiterKey, kind, this.now() + Math.max(1, Math.ceil(ms))));
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }

  private prunedCount(kind: LimitKind, now: number): number {
    this.sql.prune.run(this.limiterKey, kind, now);
    return (this.sql.count.get(this.limiterKey, kind) as { n: number }).n;
  }

  /**
   * Runs `op` once the file is free: another process's transaction makes it SQLITE_BUSY for microseconds. After
   * close, a request still finishing has nothing left to record.
   */
  private async whenFree<T>(op: () => T): Promise<T | undefined> {
    const started = Date.now();
    for (;;) {
      if (!this.db.open) return undefined;
      try {
        return op();
      } catch (err) {
        const code = (err as { code?: string }).code;
        if ((code !== 'SQLITE_BUSY' && code !== 'SQLITE_BUSY_SNAPSHOT') || Date.now() - started > BUSY_GIVE_UP_MS) throw err;
      }
      await this.sleep(BUSY_RETRY_MS + Math.floor(Math.random() * BUSY_RETRY_MS));
    }
  }
}
