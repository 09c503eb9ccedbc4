/**
 * Durable job queue port. Adapters: embedded (SQLite journal, workers in-process) and BullMQ on Redis.
 * `enqueue` resolves only once the jobs are durable: the webhook route acknowledges after it.
 */

export const JOB_TYPES = [
  'webhook.batch',
  'ingest.record',
  'ingest.account',
  'generate.call_summary',
  'generate.lead_score',
  'generate.reply_draft',
  'generate.account_summary',
  'generate.enrichment',
  'action.execute',
] as const;
export type JobType = (typeof JOB_TYPES)[number];

export interface JobSpec<P = unknown> {
  type: JobType;
  payload: P;
  /**
   * Dedupe/coalescing key: while a job with this key is waiting or delayed, enqueueing another with the same
   * key is a no-op (returns the existing id).
   */
  key?: string;
  delayMs?: number;
  maxAttempts?: number;
}

export interface JobContext<P = unknown> {
  id: string;
  type: JobType;
  payload: P;
  /** 1 on the first run. */
  attempt: number;
  maxAttempts: number;
  signal: AbortSignal;
}

export type JobHandler<P = unknown> = (job: JobContext<P>) => Promise<void>;

/** Thrown by a handler to fail a job without retrying it (it goes straight to dead-letter). */
export class PermanentJobError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PermanentJobError';
  }
}

/**
 * Whether a handler's error ends its job without a retry: a PermanentJobError, or any error that says it is not
 * retryable (`retryable: false`, as the HubSpot, model, embedding, cache and store errors do), itself or as the
 * cause of a wrapper, unless it also says when trying again will work (`retryAfterMs`: HubSpot's daily limit is
 * not retried by the gateway, but a job waits for the reset). Errors that say nothing are retried up to the
 * job's attempts.
 */
export function isPermanentFailure(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e && typeof e === 'object' && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    if (e instanceof PermanentJobError) return true;
    const retryable = (e as { retryable?: unknown }).retryable;
    if (typeof retryable === 'boolean') return !retryable && typeof (e as { retryAfterMs?: unknown }).retryAfterMs !== 'number';
  }
  return false;
}

export interface DeadJob {
  id: string;
  type: JobType;
  payload: unknown;
  attempts: number;
  error: string;
  failedAt: string;
}

export interface JobStats {
  waiting: number;
  active: number;
  delayed: number;
  completed: number;
  failed: number;
  dead: number;
}

export interface WorkerHandle {
  /** Stops taking jobs; waits for in-flight jobs up to the timeout, then returns them to the queue. */
  close(timeoutMs?: number): Promise<void>;
}

export interface WorkOptions {
  concurrency?: number;
  /** BullMQ: a concurrency per job type over `concurrency` (each type has its own worker there). */
  concurrencyOf?: Partial<Record<JobType, number>>;
}

export interface JobQueue {
  readonly kind: 'embedded' | 'bullmq';
  enqueue(jobs: JobSpec[]): Promise<string[]>;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- handlers take their own payload types (contravariance)
  work(handlers: Partial<Record<JobType, JobHandler<any>>>, opts?: WorkOptions): WorkerHandle;
  stats(): Promise<Record<JobType, JobStats> & { total: JobStats }>;
  listDead(limit?: number): Promise<DeadJob[]>;
  /** Re-drives dead jobs; returns how many were re-queued. */
  retryDead(ids: string[] | 'all'): Promise<number>;
  /**
   * Removes every job that works for a portal and is not running (waiting, delayed, dead, kept as finished),
   * and webhook batches whose events are all that portal's: a purge leaves none of its data in the queue.
   * Returns how many were removed.
   */
  removePortalJobs(portalId: string): Promise<number>;
  /** Resolves when no job is waiting, delayed or active (tests, demo). */
  drain(timeoutMs?: number): Promise<void>;
  ping(): Promise<void>;
  close(): Promise<void>;
}

/**
 * The portal a job works for, for fair scheduling across portals: its payload's `portalId`, or for a webhook
 * batch its first event's portal (HubSpot delivers each portal's events in their own requests). '' when none.
 */
export function portalOfJob(type: JobType, payload: unknown): string {
  const p = payload as { portalId?: unknown; events?: Array<{ portalId?: unknown }> } | null;
  if (!p || typeof p !== 'object') return '';
  const raw = type === 'webhook.batch' && Array.isArray(p.events) ? p.events[0]?.portalId : p.portalId;
  return typeof raw === 'string' || typeof raw === 'number' ? String(raw) : '';
}

/** Whether a job's payload belongs to a portal: its `portalId`, or a webhook batch with only that portal's events. */
export function jobOfPortal(type: JobType, payload: unknown, portalId: string): boolean {
  const p = payload as { portalId?: unknown; events?: Array<{ portalId?: unknown }> } | null;
  if (!p || typeof p !== 'object') return false;
  if (type === 'webhook.batch') return Array.isArray(p.events) && p.events.length > 0 && p.events.every((e) => String(e?.portalId) === portalId);
  return String(p.portalId) === portalId;
}
