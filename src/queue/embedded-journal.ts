import type { SqliteDb } from '../db/sqlite.ts';
import { JOB_TYPES, type DeadJob, type JobSpec, type JobStats, type JobType } from './queue.ts';

/**
 * The embedded queue's journal: one row per job in `queue_jobs` inside the shared SQLite file. Every method is a
 * single synchronous statement or an IMMEDIATE transaction, so a row is durable (WAL, synchronous=NORMAL survives
 * a process crash) before the caller's promise resolves, and two processes on the same file never claim one job.
 *
 * States: `waiting` (runnable at `run_at`; a future `run_at` is "delayed"), `active` (claimed under a lease),
 * `completed`, `dead`. A job whose lease ran out (its worker was killed) is claimable again.
 */
export interface ClaimedRow {
  id: number;
  type: JobType;
  payload: string;
  attempts: number;
  max_attempts: number;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS queue_jobs (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  queue TEXT NOT NULL,
  type TEXT NOT NULL,
  payload TEXT NOT NULL,
  key TEXT,
  state TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  max_attempts INTEGER NOT NULL,
  run_at INTEGER NOT NULL,
  lease_owner TEXT,
  lease_until INTEGER,
  last_error TEXT,
  created_at INTEGER NOT NULL,
  finished_at INTEGER
);
CREATE INDEX IF NOT EXISTS queue_jobs_ready ON queue_jobs (queue, state, run_at);
CREATE INDEX IF NOT EXISTS queue_jobs_key ON queue_jobs (queue, key, state) WHERE key IS NOT NULL;
CREATE INDEX IF NOT EXISTS queue_jobs_finished ON queue_jobs (queue, state, finished_at);
`;

const emptyStats = (): JobStats => ({ waiting: 0, active: 0, delayed: 0, completed: 0, failed: 0, dead: 0 });

export class EmbeddedJournal {
  constructor(
    private readonly db: SqliteDb,
    private readonly queue: string,
  ) {
    db.exec(SCHEMA);
  }

  /** Inserts the jobs in one transaction; a spec whose key matches a waiting job returns that job's id instead. */
  enqueue(jobs: JobSpec[], defaultMaxAttempts: number, now: number): string[] {
    const findWaiting = this.db.prepare(
      `SELECT id FROM queue_jobs WHERE queue = ? AND key = ? AND state = 'waiting' ORDER BY id LIMIT 1`,
    );
    const insert = this.db.prepare(
      `INSERT INTO queue_jobs (queue, type, payload, key, state, max_attempts, run_at, created_at)
       VALUES (?, ?, ?, ?, 'waiting', ?, ?, ?)`,
    );
    const tx = this.db.transaction((specs: JobSpec[]) =>
      specs.map((spec) => {
        if (spec.key) {
          const existing = findWaiting.get(this.queue, spec.key) as { id: number } | undefined;
          if (existing) return String(existing.id);
        }
        const maxAttempts = Math.max(1, spec.maxAttempts ?? defaultMaxAttempts);
        const runAt = now + Math.max(0, spec.delayMs ?? 0);
        const info = insert.run(this.queue, spec.type, JSON.stringify(spec.payload ?? null), spec.key ?? null, maxAttempts, runAt, now);
        return String(info.lastInsertRowid);
      }),
    );
    return tx.immediate(jobs);
  }

  /**
   * Claims up to `limit` runnable jobs of the given types for `owner`. A job whose key has another job active is
   * skipped, so jobs for one record never run in parallel (BullMQ's `keepLastIfActive` gives the same guarantee).
   */
  claim(types: readonly JobType[], limit: number, owner: string, leaseMs: number, now: number): ClaimedRow[] {
    if (limit <= 0 || types.length === 0) return [];
    const placeholders = types.map(() => '?').join(',');
    const select = this.db.prepare(
      `SELECT j.id, j.type, j.payload, j.key, j.attempts, j.max_attempts FROM queue_jobs j
       WHERE j.queue = ? AND j.type IN (${placeholders})
         AND ((j.state = 'waiting' AND j.run_at <= ?) OR (j.state = 'active' AND j.lease_until < ?))
         AND (j.key IS NULL OR NOT EXISTS (
           SELECT 1 FROM queue_jobs a WHERE a.queue = j.queue AND a.key = j.key AND a.state = 'active'
             AND a.lease_until >= ? AND a.id <> j.id))
       ORDER BY j.run_at, j.id LIMIT ?`,
    );
    const take = this.db.prepare(
      `UPDATE queue_jobs SET state = 'active', attempts = attempts + 1, lease_owner = ?, lease_until = ? WHERE id = ?`,
    );
    const tx = this.db.transaction(() => {
      const rows = select.all(this.queue, ...types, now, now, now, limit) as Array<ClaimedRow & { key: string | null }>;
      const claimed: ClaimedRow[] = [];
      const keys = new Set<string>();
      for (const { key, ...row } of rows) {
        // Two runnable jobs with one key (a retry next to a newer enqueue) still must not run side by side.
        if (key !== null && keys.has(key)) continue;
        if (key !== null) keys.add(key);
        take.run(owner, now + leaseMs, row.id);
        claimed.push({ ...row, attempts: row.attempts + 1 });
      }
      return claimed;
    });
    return tx.immediate();
  }

  /** Extends the leases of the owner's active jobs (heartbeat), so a slow job is not taken by another worker. */
  renewLeases(owner: string, leaseMs: number, now: number): void {
    this.db
      .prepare(`UPDATE queue_jobs SET lease_until = ? WHERE queue = ? AND state = 'active' AND lease_owner = ?`)
      .run(now + leaseMs, this.queue, owner);
  }

  complete(id: number, owner: string, now: number): void {
    this.db
      .prepare(
        `UPDATE queue_jobs SET state = 'completed', finished_at = ?, lease_owner = NULL, lease_until = NULL
         WHERE id = ? AND state = 'active' AND lease_owner = ?`,
      )
      .run(now, id, owner);
  }

  /** Schedules a retry at `retryAt`, or dead-letters the job when `retryAt` is null. */
  fail(id: number, owner: string, error: string, retryAt: number | null, now: number): void {
    if (retryAt === null) {
      this.db
        .prepare(
          `UPDATE queue_jobs SET state = 'dead', last_error = ?, finished_at = ?, lease_owner = NULL, lease_until = NULL
           WHERE id = ? AND state = 'active' AND lease_owner = ?`,
        )
        .run(error, now, id, owner);
    } else {
      this.db
        .prepare(
          `UPDATE queue_jobs SET state = 'waiting', last_error = ?, run_at = ?, lease_owner = NULL, lease_until = NULL
           WHERE id = ? AND state = 'active' AND lease_owner = ?`,
        )
        .run(error, retryAt, id, owner);
    }
  }

  /** Gives an unfinished job back (graceful shutdown): the interrupted attempt does not count. */
  release(id: number, owner: string, now: number): void {
    this.db
      .prepare(
        `UPDATE queue_jobs SET state = 'waiting', attempts = MAX(0, attempts - 1), run_at = ?, lease_owner = NULL,
           lease_until = NULL WHERE id = ? AND state = 'active' AND lease_owner = ?`,
      )
      .run(now, id, owner);
  }

  /** Dead-letters active jobs whose lease expired on their final attempt (their worker died every time). */
  buryExhaustedLeases(now: number): void {
    this.db
      .prepare(
        `UPDATE queue_jobs SET state = 'dead', finished_at = ?, lease_owner = NULL, lease_until = NULL,
           last_error = COALESCE(last_error || ' / ', '') || 'worker lost the job on its final attempt'
         WHERE queue = ? AND state = 'active' AND lease_until < ? AND attempts >= max_attempts`,
      )
      .run(now, this.queue, now);
  }

  /** Next time a waiting job becomes runnable (to sleep until then), or null. */
  nextRunAt(types: readonly JobType[]): number | null {
    const placeholders = types.map(() => '?').join(',');
    const row = this.db
      .prepare(`SELECT MIN(run_at) AS t FROM queue_jobs WHERE queue = ? AND state = 'waiting' AND type IN (${placeholders})`)
      .get(this.queue, ...types) as { t: number | null };
    return row.t;
  }

  pendingCount(): number {
    const row = this.db
      .prepare(`SELECT COUNT(*) AS n FROM queue_jobs WHERE queue = ? AND state IN ('waiting', 'active')`)
      .get(this.queue) as { n: number };
    return row.n;
  }

  stats(now: number): Record<JobType, JobStats> & { total: JobStats } {
    const rows = this.db
      .prepare(
        `SELECT type,
           SUM(state = 'waiting' AND run_at <= ?) AS waiting,
           SUM(state = 'waiting' AND run_at > ?) AS delayed,
           SUM(state = 'active') AS active,
           SUM(state = 'completed') AS completed,
           SUM(state = 'waiting' AND last_error IS NOT NULL) AS failed,
           SUM(state = 'dead') AS dead
         FROM queue_jobs WHERE queue = ? GROUP BY type`,
      )
      .all(now, now, this.queue) as Array<{ type: JobType } & JobStats>;
    const out = Object.fromEntries([...JOB_TYPES, 'total'].map((t) => [t, emptyStats()])) as Record<JobType, JobStats> & {
      total: JobStats;
    };
    for (const row of rows) {
      const target = out[row.type] ?? emptyStats();
      for (const k of Object.keys(target) as Array<keyof JobStats>) {
        target[k] += Number(row[k] ?? 0);
        out.total[k] += Number(row[k] ?? 0);
      }
    }
    return out;
  }

  listDead(limit: number): DeadJob[] {
    const rows = this.db
      .prepare(
        `SELECT id, type, payload, attempts, last_error, finished_at FROM queue_jobs
         WHERE queue = ? AND state = 'dead' ORDER BY finished_at DESC, id DESC LIMIT ?`,
      )
      .all(this.queue, limit) as Array<{ id: number; type: JobType; payload: string; attempts: number; last_error: string | null; finished_at: number }>;
    return rows.map((r) => ({
      id: String(r.id),
      type: r.type,
      payload: JSON.parse(r.payload) as unknown,
      attempts: r.attempts,
      error: r.last_error ?? '',
      failedAt: new Date(r.finished_at).toISOString(),
    }));
  }

  retryDead(ids: string[] | 'all', now: number): number {
    const reset = `UPDATE queue_jobs SET state = 'waiting', attempts = 0, run_at = ?, last_error = NULL, finished_at = NULL
                   WHERE queue = ? AND state = 'dead'`;
    if (ids === 'all') return this.db.prepare(reset).run(now, this.queue).changes;
    const numeric = ids.map(Number).filter((n) => Number.isSafeInteger(n));
    if (numeric.length === 0) return 0;
    const stmt = this.db.prepare(`${reset} AND id = ?`);
    const tx = this.db.transaction(() => numeric.reduce((n, id) => n + stmt.run(now, this.queue, id).changes, 0));
    return tx.immediate();
  }

  /** Completed jobs are kept for stats and forensics for a while, then pruned so the file does not grow forever. */
  pruneCompleted(olderThan: number): number {
    return this.db
      .prepare(`DELETE FROM queue_jobs WHERE queue = ? AND state = 'completed' AND finished_at < ?`)
      .run(this.queue, olderThan).changes;
  }

  ping(): void {
    this.db.prepare('SELECT 1').get();
  }
}
