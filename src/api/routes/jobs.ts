import type { FastifyPluginAsync } from 'fastify';
import { serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import '../route-options.ts';
import { jobsStats, listDeadJobs, retryDeadJobs } from '../../queue/job-admin.ts';
import { JOB_TYPES, jobOfPortal, type DeadJob, type JobQueue } from '../../queue/queue.ts';
import { DeadlineError, withDeadline } from '../../core/deadline.ts';
import { apiError } from '../errors.ts';

export interface JobRoutesOptions {
  queue: JobQueue;
}

const jobStats = z.object({
  waiting: z.number(),
  active: z.number(),
  delayed: z.number(),
  completed: z.number(),
  failed: z.number().describe('jobs whose last attempt failed and that wait for a retry'),
  dead: z.number().describe('jobs that failed their final attempt (dead-letter)'),
});

const deadJob = z.object({
  id: z.string(),
  type: z.enum(JOB_TYPES),
  payload: z.unknown(),
  attempts: z.number(),
  error: z.string(),
  failedAt: z.string(),
});

/** How many dead jobs a token limited to some portals looks through for its own (the dead-letter list is shared). */
const SCOPED_DEAD_SCAN = 10_000;

/**
 * The queue waits for Redis to come back rather than failing; a read of it answers 503 after this long instead of
 * hanging the request (the read itself finishes, unseen, when Redis is back).
 */
export const QUEUE_READ_TIMEOUT_MS = 5_000;

async function queueRead<T>(p: Promise<T>): Promise<T> {
  try {
    return await withDeadline(p, QUEUE_READ_TIMEOUT_MS, `the job queue did not answer within ${QUEUE_READ_TIMEOUT_MS} ms`);
  } catch (err) {
    if (err instanceof DeadlineError) throw apiError('UNAVAILABLE', `${err.message}; retry later`);
    throw err;
  }
}

/**
 * Admin routes over the job queue: stats, the dead-letter list, and re-driving dead jobs. The queue is shared by
 * every portal: a token limited to some portals sees and re-drives only their dead jobs (a webhook batch counts
 * when all its events are theirs), and the deployment-wide counts are for tokens of every portal.
 */
export const jobRoutes: FastifyPluginAsync<JobRoutesOptions> = async (app, opts) => {
  const ownDead = async (portals: string[], limit: number): Promise<DeadJob[]> =>
    (await listDeadJobs(opts.queue, SCOPED_DEAD_SCAN)).filter((j) => portals.some((p) => jobOfPortal(j.type, j.payload, p))).slice(0, limit);
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.get(
    '/v1/jobs/stats',
    {
      config: { auth: 'admin' },
      schema: {
        summary: 'Job counts per type and state',
        tags: ['jobs'],
        response: { 200: z.object({ backend: z.enum(['embedded', 'bullmq']), byType: z.record(z.enum(JOB_TYPES), jobStats), total: jobStats }) },
      },
    },
    async (req) => {
      const portals = req.principal?.portals;
      if (portals) throw apiError('FORBIDDEN', `job counts cover every portal of the deployment; this token is limited to ${portals.join(', ')}`);
      return queueRead(jobsStats(opts.queue));
    },
  );

  r.get(
    '/v1/jobs/dead',
    {
      config: { auth: 'admin' },
      schema: {
        summary: 'Dead-lettered jobs, newest first',
        tags: ['jobs'],
        querystring: z.object({ limit: z.coerce.number().int().min(1).max(1000).default(100) }),
        response: { 200: z.object({ jobs: z.array(deadJob) }) },
      },
    },
    async (req) => {
      const portals = req.principal?.portals;
      return { jobs: await queueRead(portals ? ownDead(portals, req.query.limit) : listDeadJobs(opts.queue, req.query.limit)) };
    },
  );

  r.post(
    '/v1/jobs/dead/retry',
    {
      config: { auth: 'admin' },
      schema: {
        summary: 'Re-drive dead jobs by id, or all of them',
        tags: ['jobs'],
        // Either a list of ids or all of them: two shapes the OpenAPI document can state.
        body: z.union([
          z.object({ ids: z.array(z.string().min(1)).min(1).max(10_000) }).strict(),
          z.object({ all: z.literal(true) }).strict(),
        ]),
        response: { 200: z.object({ retried: z.number() }) },
      },
    },
    async (req) => {
      const portals = req.principal?.portals;
      if (!portals) return retryDeadJobs(opts.queue, 'all' in req.body ? 'all' : req.body.ids);
      const own = new Set((await ownDead(portals, SCOPED_DEAD_SCAN)).map((j) => j.id));
      // Another portal's dead job is skipped like an id that is not dead: its existence is not confirmed.
      return retryDeadJobs(opts.queue, 'all' in req.body ? [...own] : req.body.ids.filter((id) => own.has(id)));
    },
  );
};
