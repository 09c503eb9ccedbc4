import type { Tracing } from '../tracing.ts';
import type { JobHandler, JobQueue, JobSpec, JobType, WorkerHandle, WorkOptions } from './queue.ts';

/**
 * Carries the trace across the queue when tracing is on: `enqueue` stamps each job's payload with the active
 * span's W3C `traceparent`, and workers run each handler in a `job <type>` span that continues that trace. So a
 * webhook delivery, the batch job it journals, the ingest and generation jobs that follow and the HubSpot write
 * at the end are one trace, whichever process runs each step. Used only when tracing is enabled.
 */
export const TRACE_FIELD = '_traceparent';

export class TracedQueue implements JobQueue {
  constructor(
    private readonly inner: JobQueue,
    private readonly tracing: Tracing,
  ) {}

  get kind(): JobQueue['kind'] {
    return this.inner.kind;
  }

  enqueue(jobs: JobSpec[]): Promise<string[]> {
    const traceparent = this.tracing.traceparent();
    if (!traceparent) return this.inner.enqueue(jobs);
    return this.inner.enqueue(
      jobs.map((j) => (isRecord(j.payload) && !(TRACE_FIELD in j.payload) ? { ...j, payload: { ...j.payload, [TRACE_FIELD]: traceparent } } : j)),
    );
  }

  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- handlers take their own payload types (contravariance)
  work(handlers: Partial<Record<JobType, JobHandler<any>>>, opts?: WorkOptions): WorkerHandle {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const traced: Partial<Record<JobType, JobHandler<any>>> = {};
    for (const [type, handler] of Object.entries(handlers) as Array<[JobType, JobHandler<unknown> | undefined]>) {
      if (!handler) continue;
      traced[type] = async (job) => {
        const parent = isRecord(job.payload) && typeof job.payload[TRACE_FIELD] === 'string' ? job.payload[TRACE_FIELD] : undefined;
        await this.tracing.withSpan(`job ${type}`, { 'job.type': type, 'job.id': job.id, 'job.attempt': job.attempt }, () => handler(job), parent);
      };
    }
    return this.inner.work(traced, opts);
  }

  stats: JobQueue['stats'] = () => this.inner.stats();
  listDead: JobQueue['listDead'] = (limit) => this.inner.listDead(limit);
  retryDead: JobQueue['retryDead'] = (ids) => this.inner.retryDead(ids);
  removePortalJobs: JobQueue['removePortalJobs'] = (portalId) => this.inner.removePortalJobs(portalId);
  drain: JobQueue['drain'] = (timeoutMs) => this.inner.drain(timeoutMs);
  ping: JobQueue['ping'] = () => this.inner.ping();
  close: JobQueue['close'] = () => this.inner.close();
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
