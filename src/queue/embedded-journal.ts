import type { Statement } from 'better-sqlite3';
import type { SqliteDb } from '../db/sqlite.ts';
import { migrateSqliteFile } from '../db/migrator.ts';
import { JOB_TYPES, portalOfJob, type DeadJob, type JobSpec, type JobStats, type JobType } from './queue.ts';

/**
 * The embedded queue's journal: one row per job in `queue_jobs`, in a SQLite file of its own (db/sqlite.ts
 * QUEUE_FILE), shared by every process of the installation. Every method is a single synchronous statement or an
 * IMMEDIATE transaction, so a row is durable (WAL, synchronous=NORMAL survives a process crash) before the caller's
 * promise resolves, and two processes on the same file never claim one job.
 *
 * No transaction here touches the data file: a job's effects (chunks, audit rows, cache entries) commit in the data
 * file while the job runs, and its completion commits here afterwards (with the worker's next claim). A crash
 * between the two leaves the job `active` under a lease that runs out, and the job runs again: every handler is
 * idempotent for that reason (deterministic chunk ids and content hashes, dedupe claims owned by the job id,
 * idempotency keys on write-back, enqueues deduplicated by key), the same at-least-once contract BullMQ gives. A
 * transaction spanning both files would buy nothing: SQLite commits attached WAL files one by one, not atomically.
 *
 * States: `waiting` (runnable at `run_at`; a future `run_at` is "delayed"), `active` (claimed under a lease),
 * `completed`, `dead`. A job whose lease ran out (its worker was killed) is claimable again.
 *
 * Claims are fair across portals: each job records the portal it works for, and a claim serves the portal with
 * the fewest active jobs first, ties going round-robin from the portal served last. One portal's backlog (a
 * 500k-record backfill, a webhook storm) delays another portal's next job by at most one claim per portal with
 * work, never by the length of that backlog. Within a portal, jobs run in `run_at` order as before.
 */
export interface ClaimedRow {
  id: number;
  type: JobType;
  payload: string;
  attempts: number;
  max_attempts: number;
}

/** How a finished attempt ends; settled together with the next claim (group commit, see `settleAndClaim`). */
export type Settlement =
  | { id: number; outcome: 'completed' }
  | { id: number; outcome: 'retry'; error: string; retryAt: number }
  | { id: number; outcome: 'dead'; error: string };

/** A job as `queue_jobs` stores it, serialised (see `EmbeddedJournal.rows`). */
export interface JobRow {
  type: JobType;
  key: string | null;
  portal: string;
  payload: string;
  maxAttempts: number;
  runAt: number;
  createdAt: number;
}

const emptyStats = (): JobStats => ({ waiting: 0, active: 0, delayed: 0, completed: 0, failed: 0, dead: 0 });

export class EmbeddedJournal {
  /** Prepared once: preparing costs more than running these statements, and they run on every request. */
  private readonly stmts = new Map<string, Statement>();
  /** The portal served last: the round-robin's cursor (per process; fairness across processes holds per process). */
  private lastPortal = '';

  constructor(
    private readonly db: SqliteDb,
    private readonly queue: string,
  ) {
    migrateSqliteFile(db, 'queue'); // queue_jobs (db/migrations/queue-jobs.ts)
  }

  private sql(text: string): Statement {
    let stmt = this.stmts.get(text);
    if (!stmt) {
      stmt = this.db.prepare(text);
      this.stmts.set(text, stmt);
    }
    return stmt;
  }

  /** Inserts the jobs in one transaction; a spec whose key matches a waiting job returns that job's id instead. */
  enqueue(jobs: JobSpec[], defaultMaxAttempts: number, now: number): string[] {
    return this.insert(EmbeddedJournal.rows(jobs, defaultMaxAttempts, now));
  }

  /**
   * The jobs' rows, serialised outside any transaction: the file's write lock (which every other process's writes
   * wait for) is then held for the inserts only, and a write retried while the lock is taken serialises once.
   */
  static rows(jobs: JobSpec[], defaultMaxAttempts: number, now: number): JobRow[] {
    return jobs.map((spec) => ({
      type: spec.type,
      key: spec.key ?? null,
      portal: portalOfJob(spec.type, spec.payload),
      payload: JSON.stringify(spec.payload ?? null),
      maxAttempts: Math.max(1, spec.maxAttempts ?? defaultMaxAttempts),
      runAt: now + Math.max(0, spec.delayMs ?? 0),
      createdAt: now,
    }));
  }

  /**
   * `enqueue` of rows made by `rows`. `marks`, when given, receives when the transaction had begun (the write lock
   * taken) and when its inserts were done (the commit follows): the acknowledgement's time split by phase.
   */
  insert(rows: JobRow[], marks?: { began?: number; inserted?: number }): string[] {
    const findWaiting = this.sql(
      `SELECT id FROM queue_jobs WHERE queue = ? AND key = ? AND state = 'waiting' ORDER BY id LIMIT 1`,
    );
    const insert = this.sql(
      `INSERT INTO queue_jobs (queue, type, portal, payload, key, state, max_attempts, run_at, created_at)
       VALUES (?, ?, ?, ?, ?, 'waiting', ?, ?, ?)`,
    );
    const tx = this.db.transaction(() => {
      if (marks) marks.began = performance.now();
      const ids = rows.map((r) => {
        if (r.key) {
          const existing = findWaiting.get(this.queue, r.key) as { id: number } | undefined;
          if (existing) return String(existing.id);
        }
        const info = insert.run(this.queue, r.type, r.portal, r.payload, r.key, r.maxAttempts, r.runAt, r.createdAt);
        return String(info.lastInsertRowid);
      });
      if (marks) marks.inserted = performance.now();
      return ids;
    });
    return tx.immediate();
  }

  /**
   * Claims up to `limit` runnable jobs of the given types for `owner`. A job whose key has another job active is
   * skipped, so jobs for one record never run in parallel (BullMQ's `keepLastIfActive` gives the same guarantee).
   */
  claim(types: readonly JobType[], limit: number, owner: string, leaseMs: number, now: number): ClaimedRow[] {
    return this.settleAndClaim([], types, limit, owner, leaseMs, now);
  }

  private claimRows(types: readonly JobType[], limit: number, owner: string, leaseMs: number, now: number): ClaimedRow[] {
    if (limit <= 0 || types.length === 0) return [];
    const placeholders = types.map(() => '?').join(',');
    // Index range scans that stop at `limit`, instead of one OR over both states that walked every row of the
    // queue, completed ones included (9 ms a claim with 50k completed jobs).
    const keyFree = `(j.key IS NULL OR NOT EXISTS (
           SELECT 1 FROM queue_jobs a WHERE a.queue = j.queue AND a.key = j.key AND a.state = 'active'
             AND a.lease_until >= ? AND a.id <> j.id))`;
    const columns = 'j.id, j.type, j.portal, j.payload, j.key, j.attempts, j.max_attempts, j.run_at';
    // Active jobs whose lease ran out (their worker died) go first, whatever their portal: they are overdue.
    const expired = this.sql(
      `SELECT ${columns} FROM queue_jobs j INDEXED BY queue_jobs_ready
       WHERE j.queue = ? AND j.state = 'active' AND j.lease_until < ? AND j.type IN (${placeholders}) AND ${keyFree}
       ORDER BY j.run_at, j.id LIMIT ?`,
    );
    // The portals with waiting jobs, one index probe each (a skip scan: a backlog of one portal costs nothing).
    const portals = this.sql(
      `WITH RECURSIVE p(portal) AS (
         SELECT MIN(portal) FROM queue_jobs INDEXED BY queue_jobs_portal WHERE queue = ? AND state = 'waiting'
         UNION ALL
         SELECT (SELECT MIN(portal) FROM queue_jobs INDEXED BY queue_jobs_portal WHERE queue = ? AND state = 'waiting' AND portal > p.portal)
         FROM p WHERE p.portal IS NOT NULL)
       SELECT portal FROM p WHERE portal IS NOT NULL`,
    );
    const activeByPortal = this.sql(
      `SELECT portal, COUNT(*) AS n FROM queue_jobs INDEXED BY queue_jobs_portal WHERE queue = ? AND state = 'active' AND lease_until >= ? GROUP BY portal`,
    );
    const due = this.sql(
      `SELECT ${columns} FROM queue_jobs j INDEXED BY queue_jobs_portal
       WHERE j.queue = ? AND j.state = 'waiting' AND j.portal = ? AND j.run_at <= ? AND j.type IN (${placeholders}) AND ${keyFree}
       ORDER BY j.run_at, j.id LIMIT ?`,
    );
    const take = this.sql(
      `UPDATE queue_jobs SET state = 'active', attempts = attempts + 1, lease_owner = ?, lease_until = ? WHERE id = ?`,
    );
    type Row = ClaimedRow & { portal: string; key: string | null; run_at: number };
    const claimed: ClaimedRow[] = [];
    const keys = new Set<string>();
    const claim = (r: Row): boolean => {
      // Two runnable jobs with one key (a retry next to a newer enqueue) still must not run side by side.
      if (r.key !== null && keys.has(r.key)) return false;
      if (r.key !== null) keys.add(r.key);
      take.run(owner, now + leaseMs, r.id);
      claimed.push({ id: r.id, type: r.type, payload: r.payload, attempts: r.attempts + 1, max_attempts: r.max_attempts });
      return true;
    };
    for (const r of expired.all(this.queue, now, ...types, now, limit) as Row[]) {
      if (claimed.length >= limit) return claimed;
      claim(r);
    }

    const names = (portals.all(this.queue, this.queue) as Array<{ portal: string }>).map((p) => p.portal);
    if (names.length === 0 || claimed.length >= limit) return claimed;
    const active = new Map((activeByPortal.all(this.queue, now) as Array<{ portal: string; n: number }>).map((r) => [r.portal, r.n]));
    // Round-robin order: the portals after the one served last, then the rest (names are sorted).
    const cut = names.findIndex((p) => p > this.lastPortal);
    const order = cut < 0 ? names : [...names.slice(cut), ...names.slice(0, cut)];
    const candidates = new Map<string, Row[]>();
    const exhausted = new Set<string>();
    while (claimed.length < limit && exhausted.size < order.length) {
      // The portal with the fewest active jobs, the earliest in round-robin order among equals.
      let pick: string | undefined;
      for (const p of order) {
        if (exhausted.has(p)) continue;
        if (pick === undefined || (active.get(p) ?? 0) < (active.get(pick) ?? 0)) pick = p;
      }
      if (pick === undefined) break;
      let rows = candidates.get(pick);
      if (!rows) {
        rows = due.all(this.queue, pick, now, ...types, now, limit) as Row[];
        candidates.set(pick, rows);
      }
      let took = false;
      while (!took && rows.length > 0) took = claim(rows.shift()!);
      if (!took) {
        exhausted.add(pick);
        continue;
      }
      active.set(pick, (active.get(pick) ?? 0) + 1);
      this.lastPortal = pick;
      // The served portal moves to the back of the round among equals.
      order.splice(order.indexOf(pick), 1);
      order.push(pick);
    }
    return claimed;
  }

  /** Extends the leases of the owner's active jobs (heartbeat), so a slow job is not taken by another worker. */
  renewLeases(owner: string, leaseMs: number, now: number): void {
    this.sql(`UPDATE queue_jobs SET lease_until = ? WHERE queue = ? AND state = 'active' AND lease_owner = ?`)
      .run(now + leaseMs, this.queue, owner);
  }

  /**
   * Settles finished attempts and claims new jobs in one IMMEDIATE transaction: one commit (one WAL append) per
   * worker round instead of one per state change. A worker that dies before its settlements are committed loses
   * nothing: the jobs are still `active` under its lease and run again when the lease runs out.
   */
  settleAndClaim(settlements: readonly Settlement[], types: readonly JobType[], limit: number, owner: string, leaseMs: number, now: number): ClaimedRow[] {
    const tx = this.db.transaction(() => {
      this.settle(settlements, owner, now);
      return this.claimRows(types, limit, owner, leaseMs, now);
    });
    return tx.immediate();
  }

  /** Applies settlements in their own transaction (shutdown, or nothing to claim). */
  settleOnly(settlements: readonly Settlement[], owner: string, now: number): void {
    if (settlements.length === 0) return;
    this.db.transaction(() => this.settle(settlements, owner, now)).immediate();
  }

  private settle(settlements: readonly Settlement[], owner: string, now: number): void {
    for (const s of settlements) {
      if (s.outcome === 'completed') this.complete(s.id, owner, now);
      else this.fail(s.id, owner, s.error, s.outcome === 'dead' ? null : s.retryAt, now);
    }
  }

  private complete(id: number, owner: string, now: number): void {
    this.sql(
        `UPDATE queue_jobs SET state = 'completed', finished_at = ?, lease_owner = NULL, lease_until = NULL
         WHERE id = ? AND state = 'active' AND lease_owner = ?`,
      )
      .run(now, id, owner);
  }

  /** Schedules a retry at `retryAt`, or dead-letters the job when `retryAt` is null. */
  private fail(id: number, owner: string, error: string, retryAt: number | null, now: number): void {
    if (retryAt === null) {
      this.sql(
          `UPDATE queue_jobs SET state = 'dead', last_error = ?, finished_at = ?, lease_owner = NULL, lease_until = NULL
           WHERE id = ? AND state = 'active' AND lease_owner = ?`,
        )
        .run(error, now, id, owner);
    } else {
      this.sql(
          `UPDATE queue_jobs SET state = 'waiting', last_error = ?, run_at = ?, lease_owner = NULL, lease_until = NULL
           WHERE id = ? AND state = 'active' AND lease_owner = ?`,
        )
        .run(error, retryAt, id, owner);
    }
  }

  /** Gives an unfinished job back (graceful shutdown): the interrupted attempt does not count. */
  release(id: number, owner: string, now: number): void {
    this.sql(
        `UPDATE queue_jobs SET state = 'waiting', attempts = MAX(0, attempts - 1), run_at = ?, lease_owner = NULL,
           lease_until = NULL WHERE id = ? AND state = 'active' AND lease_owner = ?`,
      )
      .run(now, id, owner);
  }

  /** Dead-letters active jobs whose lease expired on their final attempt (their worker died every time). */
  buryExhaustedLeases(now: number): void {
    this.sql(
        `UPDATE queue_jobs SET state = 'dead', finished_at = ?, lease_owner = NULL, lease_until = NULL,
           last_error = COALESCE(last_error || ' / ', '') || 'worker lost the job on its final attempt'
         WHERE queue = ? AND state = 'active' AND lease_until < ? AND attempts >= max_attempts`,
      )
      .run(now, this.queue, now);
  }

  /** Next time a waiting job becomes runnable (to sleep until then), or null. */
  nextRunAt(types: readonly JobType[]): number | null {
    const placeholders = types.map(() => '?').join(',');
    const row = this.sql(`SELECT MIN(run_at) AS t FROM queue_jobs WHERE queue = ? AND state = 'waiting' AND type IN (${placeholders})`)
      .get(this.queue, ...types) as { t: number | null };
    return row.t;
  }

  pendingCount(): number {
    const row = this.sql(`SELECT COUNT(*) AS n FROM queue_jobs WHERE queue = ? AND state IN ('waiting', 'active')`)
      .get(this.queue) as { n: number };
    return row.n;
  }

  stats(now: number): Record<JobType, JobStats> & { total: JobStats } {
    const rows = this.sql(
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

  /** Deletes the portal's jobs that are not running (see JobQueue.removePortalJobs). */
  removePortalJobs(portalId: string): number {
    const res = this.sql(
      `DELETE FROM queue_jobs WHERE queue = ? AND state != 'active' AND (
         CAST(json_extract(payload, '$.portalId') AS TEXT) = ?
         OR (type = 'webhook.batch' AND json_array_length(payload, '$.events') > 0
             AND NOT EXISTS (SELECT 1 FROM json_each(payload, '$.events') e WHERE CAST(json_extract(e.value, '$.portalId') AS TEXT) != ?)))`,
    ).run(this.queue, portalId, portalId);
    return Number(res.changes);
  }

  listDead(limit: number): DeadJob[] {
    const rows = this.sql(
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
    if (ids === 'all') return this.sql(reset).run(now, this.queue).changes;
    const numeric = ids.map(Number).filter((n) => Number.isSafeInteger(n));
    if (numeric.length === 0) return 0;
    const stmt = this.sql(`${reset} AND id = ?`);
    const tx = this.db.transaction(() => numeric.reduce((n, id) => n + stmt.run(now, this.queue, id).changes, 0));
    return tx.immediate();
  }

  /** Completed jobs are kept for stats and forensics for a while, then pruned so the file does not grow forever. */
  pruneCompleted(olderThan: number): number {
    // run_at <= finished_at, so the (queue, state, run_at) index narrows the scan to candidates.
    return this.sql(`DELETE FROM queue_jobs WHERE queue = ? AND state = 'completed' AND run_at < ? AND finished_at < ?`).run(
      this.queue,
      olderThan,
      olderThan,
    ).changes;
  }

  ping(): void {
    this.sql('SELECT 1').get();
  }
}
