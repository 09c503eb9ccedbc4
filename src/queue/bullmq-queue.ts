import { Queue, UnrecoverableError, WaitingError, Worker, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import { errorMessage } from '../errors.ts';
import { silentLogger, throttledWarn, type Logger } from '../logging.ts';
import { ContainerMetrics } from '../metrics.ts';
import { backoffDelayMs, requestedRetryDelayMs } from './backoff.ts';
import {
  isPermanentFailure,
  JOB_TYPES,
  jobOfPortal,
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

export interface BullQueueOptions {
  redisUrl: string;
  prefix?: string;
  defaultMaxAttempts: number;
  backoffBaseMs?: number;
  logger?: Logger;
  /** The container's metrics (job durations, jobs per portal); default a fresh set of this queue's own. */
  metrics?: ContainerMetrics;
}

const BACKOFF_TYPE = 'hsai-jitter';
const DEFAULT_CLOSE_TIMEOUT_MS = 10_000;
/** Completed jobs are kept a day (stats, forensics); failed ones stay until retried: they are the dead letters. */
const REMOVE_ON_COMPLETE = { age: 24 * 3600, count: 50_000 };
/**
 * A completed webhook delivery carries its whole body (~24 KB for 100 events), and at 1,000 events/s a day of them
 * would hold up to 50,000 × 24 KB = 1.2 GB of Redis: with AOF on, each rewrite then forks a process that size,
 * which stalls every client, acknowledgements included. What a delivery led to lives on in its ingest and
 * generation jobs and the dedupe keys, so an hour (at most 1,000) is kept for forensics.
 */
const REMOVE_DELIVERY_ON_COMPLETE = { age: 3600, count: 1_000 };
const SHUTDOWN = Symbol('shutdown');
/** BullMQ's lowest priority (2^21): a portal's jobs beyond that many pending share it. */
const MAX_PRIORITY = 2_097_152;
/** The acknowledgement path enqueues these: no fairness round trips there, and they are light (routing only). */
const UNPRIORITIZED: ReadonlySet<JobType> = new Set(['webhook.batch']);

/**
 * BullMQ on Redis (run it with AOF and `noeviction`). One BullMQ queue per job type so per-type counts are O(1)
 * Redis calls. Our job ids are `<type>-<bullmq id>`: BullMQ ids are per queue, and custom ids (which BullMQ
 * forbids to contain ':') are not used at all: coalescing keys go through BullMQ's deduplication instead.
 *
 * Fair across portals on the open-source API (BullMQ's groups are a Pro feature): every job of a type but the
 * webhook batch gets a BullMQ priority equal to its rank in its portal's pending jobs of that type (a Redis set of
 * the portal's unfinished job ids per type: `<prefix>:fair:<type>:<portal>`). The k-th pending job of every portal
 * shares priority k, so workers take portals round-robin (start-time fair queueing): a portal with a 500k-job
 * backlog holds priorities up to 500k, and another portal's first job (priority 1) runs next.
 */
export class BullQueue implements JobQueue {
  readonly kind = 'bullmq' as const;
  private readonly connection: Redis;
  /** Workers' own connection: an acknowledgement's `add` never queues behind job traffic on one socket. */
  private workerConnection: Redis | undefined;
  private readonly queues: Record<JobType, Queue>;
  private readonly prefix: string;
  private readonly workers = new Set<WorkerHandle>();
  private readonly logger: Logger;
  /** One warning per 30 s while Redis is down, not one per reconnection attempt of every connection. */
  private readonly redisWarning: (err: unknown) => void;
  private readonly bullWarning: (err: unknown) => void;
  private readonly metrics: ContainerMetrics;

  constructor(private readonly opts: BullQueueOptions) {
    this.metrics = opts.metrics ?? new ContainerMetrics();
    this.prefix = opts.prefix ?? 'hsai';
    this.logger = opts.logger ?? silentLogger;
    this.redisWarning = throttledWarn(this.logger, 'redis connection error');
    this.bullWarning = throttledWarn(this.logger, 'bullmq error');
    // maxRetriesPerRequest null: commands wait for Redis to come back instead of failing (restart, failover).
    this.connection = new Redis(opts.redisUrl, { maxRetriesPerRequest: null, enableReadyCheck: true });
    this.connection.on('error', this.redisWarning);
    this.queues = Object.fromEntries(
      JOB_TYPES.map((t) => [t, new Queue(t, { connection: this.connection, prefix: this.prefix })]),
    ) as Record<JobType, Queue>;
    for (const q of Object.values(this.queues)) q.on('error', this.bullWarning);
  }

  async enqueue(jobs: JobSpec[]): Promise<string[]> {
    const started = performance.now();
    const ids = await this.add(jobs);
    // An acknowledgement's whole wait on Redis (its job's add, queued behind whatever Redis runs for other clients).
    this.metrics.enqueueSeconds.observe({ phase: 'redis' }, (performance.now() - started) / 1000);
    return ids;
  }

  private async add(jobs: JobSpec[]): Promise<string[]> {
    // Resolves once Redis has the jobs (AOF appends them; with appendfsync everysec a Redis *crash* can lose up
    // to a second, a restart loses nothing). One pipeline per job type, all sent at once: a webhook delivery that
    // derives a hundred jobs costs one round trip, not a hundred.
    const byType = new Map<JobType, number[]>();
    for (const [i, spec] of jobs.entries()) byType.set(spec.type, [...(byType.get(spec.type) ?? []), i]);
    const ids = new Array<string>(jobs.length);
    const fairKeys = jobs.map((spec) => (UNPRIORITIZED.has(spec.type) ? undefined : this.fairKey(spec.type, portalOfJob(spec.type, spec.payload))));
    const priorities = await this.priorities(fairKeys);
    await Promise.all(
      [...byType].map(async ([type, indexes]) => {
        const bulk = indexes.map((i) => {
          const spec = jobs[i]!;
          return {
            name: type,
            data: spec.payload,
            opts: {
              attempts: Math.max(1, spec.maxAttempts ?? this.opts.defaultMaxAttempts),
              backoff: { type: BACKOFF_TYPE },
              delay: Math.max(0, spec.delayMs ?? 0),
              removeOnComplete: type === 'webhook.batch' ? REMOVE_DELIVERY_ON_COMPLETE : REMOVE_ON_COMPLETE,
              removeOnFail: false,
              ...(priorities[i] ? { priority: priorities[i] } : {}),
              // keepLastIfActive: an event arriving while the record's job runs gets a fresh job after it, never a
              // parallel one and never a lost one.
              ...(spec.key ? { deduplication: { id: spec.key, keepLastIfActive: true } } : {}),
            },
          };
        });
        // A pipeline costs more than a single command in ioredis: one job goes alone.
        const added = await (bulk.length === 1 ? this.queues[type].add(type, bulk[0]!.data, bulk[0]!.opts).then((job) => [job]) : this.queues[type].addBulk(bulk));
        for (const [j, i] of indexes.entries()) ids[i] = `${type}-${added[j]!.id}`;
      }),
    );
    // The portals' pending sets learn the new ids (a deduplicated add answers the waiting job's id: a set keeps one).
    const pending = this.connection.pipeline();
    for (const [i, key] of fairKeys.entries()) if (key) pending.sadd(key, ids[i]!.slice(jobs[i]!.type.length + 1));
    if (pending.length > 0) await pending.exec();
    return ids;
  }

  private fairKey(type: JobType, portalId: string): string {
    return `${this.prefix}:fair:${type}:${portalId}`;
  }

  /** Each job's priority: its rank among its portal's pending jobs of its type (1 = the portal has none pending). */
  private async priorities(fairKeys: ReadonlyArray<string | undefined>): Promise<number[]> {
    const distinct = [...new Set(fairKeys.filter((k): k is string => k !== undefined))];
    if (distinct.length === 0) return fairKeys.map(() => 0);
    const counts = await Promise.all(distinct.map((k) => this.connection.scard(k)));
    const next = new Map(distinct.map((k, i) => [k, counts[i] ?? 0]));
    return fairKeys.map((k) => {
      if (!k) return 0;
      const rank = next.get(k)! + 1;
      next.set(k, rank);
      return Math.min(MAX_PRIORITY, rank);
    });
  }

  /** A job no longer pending (completed, or failed for good) leaves its portal's set. */
  private finished(type: JobType, job: Job): void {
    if (UNPRIORITIZED.has(type) || job.id === undefined) return;
    this.connection.srem(this.fairKey(type, portalOfJob(type, job.data)), job.id).catch(this.bullWarning);
  }

  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- handlers take their own payload types (contravariance)
  work(handlers: Partial<Record<JobType, JobHandler<any>>>, opts?: WorkOptions): WorkerHandle {
    const controllers = new Set<AbortController>();
    if (!this.workerConnection) {
      this.workerConnection = this.connection.duplicate();
      this.workerConnection.on('error', this.redisWarning);
    }
    const connection = this.workerConnection;
    const workers = JOB_TYPES.filter((t) => handlers[t]).map((type) => {
      const handler = handlers[type]!;
      const worker = new Worker(type, (job: Job, token?: string) => this.process(type, handler, job, token, controllers), {
        connection,
        prefix: this.prefix,
        concurrency: Math.max(1, opts?.concurrencyOf?.[type] ?? opts?.concurrency ?? 1),
        // A job whose lock lapsed (its worker was killed, or starved of CPU past the lock's 30 s) runs again; BullMQ's
        // default dead-letters it at the second lapse, which a busy machine reaches without any failure of the job.
        // Handlers are idempotent, so a lapse counts like a failed attempt.
        maxStalledCount: Math.max(1, this.opts.defaultMaxAttempts),
        settings: {
          backoffStrategy: (attemptsMade: number, _type?: string, err?: Error) =>
            requestedRetryDelayMs(err) ?? backoffDelayMs(attemptsMade, this.opts.backoffBaseMs),
        },
      });
      worker.on('error', this.bullWarning);
      worker.on('completed', (job) => this.finished(type, job));
      worker.on('failed', (job, err) => {
        if (!job || err instanceof WaitingError) return;
        const final = job.finishedOn !== undefined;
        if (final) this.finished(type, job);
        this.logger[final ? 'error' : 'warn'](
          { jobId: `${type}-${job.id}`, type, attempt: job.attemptsMade, err: err.message },
          final ? 'job dead-lettered' : 'job failed, retrying',
        );
      });
      return worker;
    });
    const handle: WorkerHandle = {
      close: async (timeoutMs = DEFAULT_CLOSE_TIMEOUT_MS) => {
        const closing = Promise.all(workers.map((w) => w.close()));
        const timer = setTimeout(() => {
          // In-flight jobs that outlive the grace period go back to waiting (see `process`).
          for (const c of controllers) c.abort(SHUTDOWN);
        }, timeoutMs);
        try {
          await closing;
        } finally {
          clearTimeout(timer);
          this.workers.delete(handle);
        }
      },
    };
    this.workers.add(handle);
    return handle;
  }

  private async process(type: JobType, handler: JobHandler, job: Job, token: string | undefined, controllers: Set<AbortController>): Promise<void> {
    const abort = new AbortController();
    controllers.add(abort);
    const started = performance.now();
    let outcome = 'completed';
    const aborted = new Promise<typeof SHUTDOWN>((resolve) => abort.signal.addEventListener('abort', () => resolve(SHUTDOWN), { once: true }));
    try {
      const run = handler({
        id: `${type}-${job.id}`,
        type,
        payload: job.data,
        attempt: job.attemptsMade + 1,
        maxAttempts: job.opts.attempts ?? 1,
        signal: abort.signal,
      });
      run.catch(() => undefined); // its outcome no longer matters once the job was handed back
      if ((await Promise.race([run, aborted])) === SHUTDOWN) {
        outcome = 'released';
        await job.moveToWait(token);
        throw new WaitingError();
      }
    } catch (err) {
      if (err instanceof WaitingError) throw err;
      outcome = 'failed';
      if (isPermanentFailure(err)) throw new UnrecoverableError(errorMessage(err));
      throw err;
    } finally {
      controllers.delete(abort);
      this.metrics.jobDuration.observe({ type, outcome }, (performance.now() - started) / 1000);
      this.metrics.portalJobs.inc({ portal: this.metrics.portalLabel(portalOfJob(type, job.data)), type, outcome });
    }
  }

  async stats(): Promise<Record<JobType, JobStats> & { total: JobStats }> {
    const total: JobStats = { waiting: 0, active: 0, delayed: 0, completed: 0, failed: 0, dead: 0 };
    const entries = await Promise.all(
      JOB_TYPES.map(async (type) => {
        const q = this.queues[type];
        const c = await q.getJobCounts('waiting', 'prioritized', 'active', 'delayed', 'completed', 'failed');
        // Retrying jobs sit in `delayed` with attempts already made; bounded scan, stats are an admin call.
        const delayed = await q.getDelayed(0, 999);
        const s: JobStats = {
          waiting: (c.waiting ?? 0) + (c.prioritized ?? 0),
          active: c.active ?? 0,
          delayed: c.delayed ?? 0,
          completed: c.completed ?? 0,
          failed: delayed.filter((j) => j.attemptsMade > 0).length,
          dead: c.failed ?? 0,
        };
        for (const k of Object.keys(total) as Array<keyof JobStats>) total[k] += s[k];
        return [type, s] as const;
      }),
    );
    return { ...(Object.fromEntries(entries) as Record<JobType, JobStats>), total };
  }

  async listDead(limit = 100): Promise<DeadJob[]> {
    const all = await Promise.all(
      JOB_TYPES.map(async (type) =>
        (await this.queues[type].getFailed(0, limit - 1)).map((j) => ({
          id: `${type}-${j.id}`,
          type,
          payload: j.data as unknown,
          attempts: j.attemptsMade,
          error: j.failedReason ?? '',
          failedAt: new Date(j.finishedOn ?? j.timestamp).toISOString(),
        })),
      ),
    );
    return all.flat().sort((a, b) => b.failedAt.localeCompare(a.failedAt)).slice(0, limit);
  }

  async removePortalJobs(portalId: string): Promise<number> {
    let n = 0;
    for (const type of JOB_TYPES) {
      const q = this.queues[type];
      // Paged, so a large backlog is not read into memory at once; removals shift later pages forward.
      for (const state of ['wait', 'delayed', 'prioritized', 'waiting-children', 'failed', 'completed'] as const) {
        for (let start = 0; ; ) {
          const page = await q.getJobs([state], start, start + 499);
          if (page.length === 0) break;
          let kept = 0;
          for (const job of page) {
            if (job && jobOfPortal(type, job.data, portalId)) {
              await job.remove().then(() => n++, () => kept++);
            } else kept++;
          }
          start += kept;
          if (page.length < 500) break;
        }
      }
      if (!UNPRIORITIZED.has(type)) await this.connection.del(this.fairKey(type, portalId));
    }
    return n;
  }

  async retryDead(ids: string[] | 'all'): Promise<number> {
    const targets: Job[] = [];
    if (ids === 'all') {
      for (const type of JOB_TYPES) targets.push(...(await this.queues[type].getFailed(0, -1)));
    } else {
      for (const id of ids) {
        const cut = id.lastIndexOf('-');
        const type = id.slice(0, cut) as JobType;
        if (cut <= 0 || !this.queues[type]) continue;
        const job = await this.queues[type].getJob(id.slice(cut + 1));
        if (job) targets.push(job);
      }
    }
    let n = 0;
    for (const job of targets) {
      if (!(await job.isFailed())) continue;
      await job.retry('failed', { resetAttemptsMade: true, resetAttemptsStarted: true });
      n += 1;
    }
    return n;
  }

  async drain(timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const counts = await Promise.all(
        JOB_TYPES.map((t) => this.queues[t].getJobCounts('waiting', 'prioritized', 'active', 'delayed')),
      );
      const pending = counts.reduce((n, c) => n + Object.values(c).reduce((a, b) => a + b, 0), 0);
      if (pending === 0) return;
      if (Date.now() > deadline) throw new Error(`queue not drained after ${timeoutMs} ms (${pending} pending)`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  async ping(): Promise<void> {
    await this.connection.ping();
  }

  async close(): Promise<void> {
    await Promise.all([...this.workers].map((w) => w.close(DEFAULT_CLOSE_TIMEOUT_MS)));
    await Promise.all(Object.values(this.queues).map((q) => q.close()));
    for (const c of [this.workerConnection, this.connection]) await c?.quit().catch(() => c.disconnect());
  }
}
