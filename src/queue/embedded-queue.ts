import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { SAFETY_NET_PAGES } from '../db/checkpointer.ts';
import { openSqlite, ownConnection, queuePath, releaseSqlite, sqlitePath, type SqliteConnections, type SqliteDb } from '../db/sqlite.ts';
import { errorMessage } from '../errors.ts';
import { silentLogger, type Logger } from '../logging.ts';
import { ContainerMetrics } from '../metrics.ts';
import { backoffDelayMs, requestedRetryDelayMs } from './backoff.ts';
import { EmbeddedJournal, type ClaimedRow, type Settlement } from './embedded-journal.ts';
import { moveJobsFromDataFile } from './journal-move.ts';
import {
  isPermanentFailure,
  JOB_TYPES,
  PermanentJobError,
  portalOfJob,
  type DeadJob,
  type JobHandler,
  type JobQueue,
  type JobSpec,
  type JobStats,
  type JobType,
  type WorkerHandle,
  type WorkOptions,
} from './queue.ts';
import type { ForegroundGate } from './foreground.ts';

export interface EmbeddedQueueOptions {
  dataDir: string;
  /** Separates queues sharing one file (tests); default `hsai`. */
  prefix?: string;
  defaultMaxAttempts: number;
  backoffBaseMs?: number;
  /** How long a claimed job is reserved; a killed worker's jobs run again after this. */
  leaseMs?: number;
  /** How often idle workers look for jobs written by another process (same-process enqueues wake them at once). */
  pollMs?: number;
  /** How long completed jobs are kept before pruning. */
  completedRetentionMs?: number;
  /**
   * Webhook deliveries this process answers: its workers step aside while one is in flight (see ForegroundGate),
   * since they share its event loop. An embedded-only notion: BullMQ workers run beside the API, not inside it.
   */
  foreground?: ForegroundGate;
  logger?: Logger;
  /** The container's SQLite connection registry; without one the queue opens a connection of its own. */
  sqlite?: SqliteConnections;
  /** The container's metrics (job durations, jobs per portal); default a fresh set of this queue's own. */
  metrics?: ContainerMetrics;
}

const DEFAULT_LEASE_MS = 30_000;
const DEFAULT_POLL_MS = 200;
const DEFAULT_RETENTION_MS = 24 * 3600_000;
const DEFAULT_CLOSE_TIMEOUT_MS = 10_000;
/** How long an enqueue waits for another process's write lock before its last, blocking try (see withWriteLock). */
const ENQUEUE_LOCK_WAIT_MS = 5_000;

/** The embedded default: jobs journaled in a SQLite file of their own under DATA_DIR, workers in this process. */
export class EmbeddedQueue implements JobQueue {
  readonly kind = 'embedded' as const;
  private readonly db;
  private readonly journal: EmbeddedJournal;
  /** Enqueues' own connection, which never waits for the write lock inside a call (see withWriteLock). */
  private intake: { db: SqliteDb; journal: EmbeddedJournal } | undefined;
  private readonly wake = new EventEmitter();
  private readonly workers = new Set<EmbeddedWorker>();
  private closed = false;
  private readonly metrics: ContainerMetrics;

  constructor(private readonly opts: EmbeddedQueueOptions) {
    this.metrics = opts.metrics ?? new ContainerMetrics();
    this.db = (opts.sqlite ?? ownConnection).open(queuePath(opts.dataDir));
    try {
      this.journal = new EmbeddedJournal(this.db, opts.prefix ?? 'hsai');
      const moved = moveJobsFromDataFile(this.db, sqlitePath(opts.dataDir));
      if (moved > 0) (opts.logger ?? silentLogger).info({ moved }, 'queue journal moved out of the data file into its own file');
    } catch (err) {
      (opts.sqlite ?? ownConnection).release(this.db);
      throw err;
    }
    this.wake.setMaxListeners(0);
  }

  async enqueue(jobs: JobSpec[]): Promise<string[]> {
    this.assertOpen();
    if (jobs.length === 0) return [];
    const started = performance.now();
    const rows = EmbeddedJournal.rows(jobs, this.opts.defaultMaxAttempts, Date.now());
    this.metrics.enqueueSeconds.observe({ phase: 'serialise' }, (performance.now() - started) / 1000);
    const ids = await this.withWriteLock((journal, marks) => journal.insert(rows, marks));
    // Wake workers on the next turn: the producer (e.g. the webhook route) answers its caller first instead of
    // running the first slice of a job synchronously inside enqueue().
    setImmediate(() => this.wake.emit('job'));
    return ids;
  }

  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- handlers take their own payload types (contravariance)
  work(handlers: Partial<Record<JobType, JobHandler<any>>>, opts?: WorkOptions): WorkerHandle {
    this.assertOpen();
    const worker = new EmbeddedWorker(this.journal, this.wake, handlers, {
      concurrency: Math.max(1, opts?.concurrency ?? 1),
      foreground: this.opts.foreground,
      leaseMs: this.opts.leaseMs ?? DEFAULT_LEASE_MS,
      pollMs: this.opts.pollMs ?? DEFAULT_POLL_MS,
      backoffBaseMs: this.opts.backoffBaseMs,
      retentionMs: this.opts.completedRetentionMs ?? DEFAULT_RETENTION_MS,
      metrics: this.metrics,
      logger: this.opts.logger ?? silentLogger,
    });
    this.workers.add(worker);
    worker.start();
    return {
      close: async (timeoutMs?: number) => {
        await worker.close(timeoutMs ?? DEFAULT_CLOSE_TIMEOUT_MS);
        this.workers.delete(worker);
      },
    };
  }

  async stats(): Promise<Record<JobType, JobStats> & { total: JobStats }> {
    const stats = this.journal.stats(Date.now());
    return stats;
  }

  async listDead(limit = 100): Promise<DeadJob[]> {
    return this.journal.listDead(limit);
  }

  async removePortalJobs(portalId: string): Promise<number> {
    return this.journal.removePortalJobs(portalId);
  }

  async retryDead(ids: string[] | 'all'): Promise<number> {
    const n = this.journal.retryDead(ids, Date.now());
    if (n > 0) this.wake.emit('job');
    return n;
  }

  async drain(timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.journal.pendingCount() > 0) {
      if (Date.now() > deadline) throw new Error(`queue not drained after ${timeoutMs} ms (${this.journal.pendingCount()} pending)`);
      await sleep(25);
    }
  }

  async ping(): Promise<void> {
    this.journal.ping();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await Promise.all([...this.workers].map((w) => w.close(DEFAULT_CLOSE_TIMEOUT_MS)));
    this.workers.clear();
    this.closed = true;
    if (this.intake) releaseSqlite(this.intake.db);
    this.intake = undefined;
    (this.opts.sqlite ?? ownConnection).release(this.db);
  }

  /**
   * Runs a journal write without blocking the event loop while another process holds the file's write lock.
   * SQLite's busy timeout waits inside the synchronous call, sleeping 1, 2, 5, 10, 15, 20, 25 ms and more between
   * tries: every request of this process (the webhook acknowledgements behind this one) would wait with it while
   * the worker process claims or settles jobs, and the lock freed after 1 ms is only seen at 2 or 5. Instead the
   * write runs on a connection of its own without a busy timeout and, while the lock is taken, is tried again on
   * later turns of the loop (every millisecond at first) for up to ENQUEUE_LOCK_WAIT_MS, then once more waiting as
   * every other write does (failing with SQLITE_BUSY if it must). Inside a transaction of the caller on the shared
   * connection the write joins it (a savepoint) as before: nothing to wait for.
   */
  private async withWriteLock<T>(write: (journal: EmbeddedJournal, marks: WriteMarks) => T): Promise<T> {
    if (this.db.inTransaction) return write(this.journal, {});
    const intake = this.openIntake();
    const first = performance.now();
    const deadline = first + ENQUEUE_LOCK_WAIT_MS;
    const timed = (journal: EmbeddedJournal): T => {
      const marks: WriteMarks = {};
      const start = performance.now();
      const out = write(journal, marks);
      const end = performance.now();
      const began = marks.began ?? start;
      const inserted = marks.inserted ?? end;
      const observe = (phase: string, ms: number) => this.metrics.enqueueSeconds.observe({ phase }, ms / 1000);
      observe('lock_wait', start - first);
      observe('begin', began - start);
      observe('insert', inserted - began);
      observe('commit', end - inserted);
      return out;
    };
    for (let tries = 0; performance.now() < deadline; tries += 1) {
      try {
        return timed(intake.journal);
      } catch (err) {
        if ((err as { code?: string }).code !== 'SQLITE_BUSY') throw err;
      }
      await sleep(tries < 100 ? 1 : 5);
      this.assertOpen();
    }
    return timed(this.journal);
  }

  private openIntake(): { db: SqliteDb; journal: EmbeddedJournal } {
    if (!this.intake) {
      const db = openSqlite(queuePath(this.opts.dataDir));
      try {
        const journal = new EmbeddedJournal(db, this.opts.prefix ?? 'hsai'); // migrated already: one read
        db.pragma('busy_timeout = 0');
        // The registry's thread checkpoints this file: a commit here (an acknowledgement) must not copy the log
        // into the file and fsync it itself, as SQLite's default auto-checkpoint at 1,000 pages would.
        if (this.opts.sqlite?.checkpointsInBackground) db.pragma(`wal_autocheckpoint = ${SAFETY_NET_PAGES}`);
        this.intake = { db, journal };
      } catch (err) {
        releaseSqlite(db);
        throw err;
      }
    }
    return this.intake;
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('queue is closed');
  }
}

/** When a journal write had taken the lock and finished its statements (EmbeddedJournal.insert). */
interface WriteMarks {
  began?: number;
  inserted?: number;
}

interface WorkerOptions {
  concurrency: number;
  metrics: ContainerMetrics;
  foreground: ForegroundGate | undefined;
  leaseMs: number;
  pollMs: number;
  backoffBaseMs: number | undefined;
  retentionMs: number;
  logger: Logger;
}

class EmbeddedWorker {
  private readonly owner = `${process.pid}-${randomUUID()}`;
  private readonly types: JobType[];
  private readonly inFlight = new Map<number, { promise: Promise<void>; abort: AbortController }>();
  private running = false;
  private loop: Promise<void> | undefined;
  private sleeper: { timer: NodeJS.Timeout; resolve: () => void } | undefined;
  private heartbeat: NodeJS.Timeout | undefined;
  private lastPrune = 0;
  /** Finished attempts not yet written: committed with the next claim, one transaction per round. */
  private settlements: Settlement[] = [];

  constructor(
    private readonly journal: EmbeddedJournal,
    private readonly wake: EventEmitter,
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- handlers take their own payload types (contravariance)
    private readonly handlers: Partial<Record<JobType, JobHandler<any>>>,
    private readonly opts: WorkerOptions,
  ) {
    this.types = JOB_TYPES.filter((t) => handlers[t]);
  }

  start(): void {
    this.running = true;
    this.wake.on('job', this.onWake);
    this.heartbeat = setInterval(() => this.safely(() => this.journal.renewLeases(this.owner, this.opts.leaseMs, Date.now())), Math.max(50, Math.floor(this.opts.leaseMs / 3)));
    this.heartbeat.unref();
    this.loop = this.run();
  }

  async close(timeoutMs: number): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.wake.off('job', this.onWake);
    this.onWake();
    await this.loop;
    let timer: NodeJS.Timeout | undefined;
    const settled = Promise.allSettled([...this.inFlight.values()].map((j) => j.promise));
    const timedOut = await Promise.race([
      settled.then(() => false),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(true), timeoutMs);
      }),
    ]);
    clearTimeout(timer); // an idle shutdown must not wait for the grace period's timer
    if (timedOut) {
      // Jobs still running go back to the queue untouched so another worker (or the next start) runs them.
      for (const [id, job] of this.inFlight) {
        job.abort.abort(new Error('worker shutting down'));
        this.safely(() => this.journal.release(id, this.owner, Date.now()));
      }
    }
    this.safely(() => this.journal.settleOnly(this.takeSettlements(), this.owner, Date.now()));
    if (this.heartbeat) clearInterval(this.heartbeat);
  }

  private readonly onWake = (): void => {
    if (this.sleeper) {
      clearTimeout(this.sleeper.timer);
      this.sleeper.resolve();
      this.sleeper = undefined;
    }
  };

  private async run(): Promise<void> {
    while (this.running) {
      // Handlers over a synchronous SQLite file can keep the loop busy in microtasks; yield so that HTTP
      // acknowledgements in the same process are never starved by a backlog.
      await new Promise((r) => setImmediate(r));
      // Webhook acknowledgements in this process go first (bounded: the gate's maxDeferMs per round).
      await this.opts.foreground?.idle(() => !this.running);
      if (!this.running) break;
      const now = Date.now();
      let claimed: ClaimedRow[] = [];
      this.safely(() => {
        if (now - this.lastPrune > 60_000) {
          this.lastPrune = now;
          this.journal.pruneCompleted(now - this.opts.retentionMs);
          this.journal.buryExhaustedLeases(now);
        }
        const settling = this.takeSettlements();
        try {
          claimed = this.journal.settleAndClaim(settling, this.types, this.opts.concurrency - this.inFlight.size, this.owner, this.opts.leaseMs, now);
        } catch (err) {
          this.settlements.unshift(...settling); // written next round
          throw err;
        }
      });
      for (const row of claimed) this.start1(row);
      if (claimed.length > 0 && this.inFlight.size < this.opts.concurrency) continue;
      await this.idle();
    }
  }

  /** Sleeps until woken (enqueue, a job finishing), the next delayed job is due, or the poll interval passes. */
  private async idle(): Promise<void> {
    if (this.settlements.length > 0) return; // a job finished meanwhile: write it (and claim) right away
    let waitMs = this.opts.pollMs;
    if (this.inFlight.size < this.opts.concurrency) {
      let next: number | null = null;
      this.safely(() => (next = this.journal.nextRunAt(this.types)));
      if (next !== null) waitMs = Math.max(1, Math.min(waitMs, (next as number) - Date.now()));
    }
    await new Promise<void>((resolve) => {
      this.sleeper = { timer: setTimeout(() => { this.sleeper = undefined; resolve(); }, waitMs), resolve };
    });
  }

  private start1(row: ClaimedRow): void {
    const abort = new AbortController();
    const promise = this.execute(row, abort.signal).finally(() => {
      this.inFlight.delete(row.id);
      this.onWake();
    });
    this.inFlight.set(row.id, { promise, abort });
  }

  private async execute(row: ClaimedRow, signal: AbortSignal): Promise<void> {
    const handler = this.handlers[row.type];
    const started = performance.now();
    let outcome = 'completed';
    let payload: unknown;
    try {
      if (!handler) throw new PermanentJobError(`no handler for ${row.type}`);
      payload = JSON.parse(row.payload);
      await handler({ id: String(row.id), type: row.type, payload, attempt: row.attempts, maxAttempts: row.max_attempts, signal });
      if (signal.aborted) return; // released during shutdown: the job is someone else's now
      this.settlements.push({ id: row.id, outcome: 'completed' });
    } catch (err) {
      if (signal.aborted) return;
      const permanent = isPermanentFailure(err);
      const final = permanent || row.attempts >= row.max_attempts;
      const delay = requestedRetryDelayMs(err) ?? backoffDelayMs(row.attempts, this.opts.backoffBaseMs);
      outcome = final ? 'dead' : 'retry';
      this.opts.logger[final ? 'error' : 'warn'](
        { jobId: row.id, type: row.type, attempt: row.attempts, maxAttempts: row.max_attempts, err: errorMessage(err) },
        final ? 'job dead-lettered' : `job failed, retrying in ${delay} ms`,
      );
      this.settlements.push(
        final ? { id: row.id, outcome: 'dead', error: errorMessage(err) } : { id: row.id, outcome: 'retry', error: errorMessage(err), retryAt: Date.now() + delay },
      );
    } finally {
      this.opts.metrics.jobDuration.observe({ type: row.type, outcome }, (performance.now() - started) / 1000);
      this.opts.metrics.portalJobs.inc({ portal: this.opts.metrics.portalLabel(portalOfJob(row.type, payload)), type: row.type, outcome });
    }
  }

  private takeSettlements(): Settlement[] {
    const out = this.settlements;
    this.settlements = [];
    return out;
  }

  /** A journal error (disk full, file locked) must not kill the loop: log it and try again next round. */
  private safely(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.opts.logger.error({ err: errorMessage(err) }, 'embedded queue journal error');
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
