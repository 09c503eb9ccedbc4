import type { DeadJob, JobQueue, JobStats, JobType } from './queue.ts';

/**
 * Operator actions on the queue, shared by the CLI (`hubspot-ai jobs stats|dead|retry`) and the admin API
 * routes, so both report the same thing.
 */
export async function jobsStats(queue: JobQueue): Promise<{ backend: JobQueue['kind']; byType: Record<JobType, JobStats>; total: JobStats }> {
  const { total, ...byType } = await queue.stats();
  return { backend: queue.kind, byType: byType, total };
}

export async function listDeadJobs(queue: JobQueue, limit = 100): Promise<DeadJob[]> {
  return queue.listDead(limit);
}

/** Re-drives dead jobs (attempts start over); `ids` that are not dead are skipped. */
export async function retryDeadJobs(queue: JobQueue, ids: string[] | 'all'): Promise<{ retried: number }> {
  if (ids !== 'all' && ids.length === 0) return { retried: 0 };
  return { retried: await queue.retryDead(ids) };
}
