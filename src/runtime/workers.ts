import { currentScorer } from '../agents/scorer/scorer-store.ts';
import type { JobHandler, JobType, WorkerHandle } from '../queue/queue.ts';
import type { Container } from './container.ts';

/**
 * Every job handler of the product, wired to the container's ports: webhook batches → routing; ingest jobs →
 * the indexer; generation jobs → agents → the write-back module.
 */
// Handlers differ in payload type; the queue dispatches by job type.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function createJobHandlers(c: Container): Promise<Partial<Record<JobType, JobHandler<any>>>> {
  const [{ createWebhookBatchHandler }, { createIngestHandlers }, { createGenerationHandlers }, { loadRoutingRules }, { createActionHandler }] = await Promise.all([
    import('../events/process-batch.ts'),
    import('../events/ingest-jobs.ts'),
    import('../events/generation-jobs.ts'),
    import('../events/routing.ts'),
    import('../actions/run-action.ts'),
  ]);
  const [queue, cache, gateway, indexer, store, embedder, provider, writeback] = await Promise.all([
    c.queue(),
    c.cache(),
    c.gateway(),
    c.indexer(),
    c.store(),
    c.embedder(),
    c.provider(),
    c.writeback(),
  ]);
  const rules = loadRoutingRules(c.config.ROUTING_FILE);
  const scorer = currentScorer(await c.scorers(), () => c.portalId());
  return {
    'webhook.batch': createWebhookBatchHandler({
      queue,
      cache,
      rules,
      appId: c.config.HUBSPOT_APP_ID,
      coalesceMs: c.config.WEBHOOK_COALESCE_MS,
      logger: c.logger.child({ module: 'events' }),
    }),
    ...createIngestHandlers({ indexer, gateway, logger: c.logger.child({ module: 'ingest' }) }),
    ...createGenerationHandlers({
      gateway,
      queue,
      store,
      embedder,
      provider,
      scorer,
      sink: writeback,
      logger: c.logger.child({ module: 'agents' }),
    }),
    'action.execute': createActionHandler({
      gateway,
      store,
      embedder,
      provider,
      sink: writeback,
      scorer,
      waiters: c.actionWaiters,
      publicUrl: c.config.WEBHOOK_PUBLIC_URL,
      dryRun: c.config.DRY_RUN,
      logger: c.logger.child({ module: 'actions' }),
    }),
  };
}

export async function startWorkers(c: Container): Promise<WorkerHandle> {
  const [queue, handlers] = await Promise.all([c.queue(), createJobHandlers(c)]);
  return queue.work(handlers, {
    concurrency: c.config.QUEUE_CONCURRENCY,
    concurrencyOf: { 'webhook.batch': c.config.WEBHOOK_BATCH_CONCURRENCY },
    foreground: c.foreground,
  });
}
