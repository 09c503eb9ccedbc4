import type { HubSpotEvent } from '../webhooks/hubspot-event.ts';
import type { WebhookBatchPayload } from '../queue/jobs.ts';
import { PermanentJobError, type JobHandler, type JobType, type WorkerHandle } from '../queue/queue.ts';
import { errorMessage } from '../errors.ts';
import { portalEmbedder } from '../text/embedder.ts';
import type { Container } from './container.ts';
import { portalProvider } from './model-quotas.ts';
import { isPortalGone, type PortalScope } from './portal-scopes.ts';

// Handlers differ in payload type; the queue dispatches by job type.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Handlers = Partial<Record<JobType, JobHandler<any>>>;

/**
 * Every job handler of the product, wired to the container's ports: webhook batches → routing; ingest jobs →
 * the indexer; generation jobs → agents → the write-back module. Every job but a webhook batch names its portal,
 * and runs with that portal's parts only (its gateway, write-back, indexer and scorer: runtime/portal-scopes.ts).
 * A webhook batch keeps only the events of portals this deployment serves. Work for a portal that is no longer
 * served (uninstalled, removed) fails at once, without retries.
 */
export async function createJobHandlers(c: Container): Promise<Handlers> {
  const [{ createWebhookBatchHandler }, { loadRoutingRules }] = await Promise.all([import('../events/process-batch.ts'), import('../events/routing.ts')]);
  const [queue, cache] = await Promise.all([c.queue(), c.cache()]);
  const rules = loadRoutingRules(c.config.ROUTING_FILE);
  const logger = c.logger.child({ module: 'events' });
  const batch = createWebhookBatchHandler({ queue, cache, rules, appId: c.config.HUBSPOT_APP_ID, coalesceMs: c.config.WEBHOOK_COALESCE_MS, logger, metrics: c.metrics });

  // Keyed by the scope itself: a portal whose scope was dropped and rebuilt gets fresh handlers.
  const perPortal = new WeakMap<PortalScope, Promise<Handlers>>();
  const handlersOf = (scope: PortalScope): Promise<Handlers> => {
    let h = perPortal.get(scope);
    if (!h) {
      h = portalHandlers(c, scope);
      perPortal.set(scope, h);
      h.catch(() => perPortal.delete(scope));
    }
    return h;
  };
  const dispatch = (type: JobType): JobHandler<{ portalId?: unknown }> => async (job) => {
    const raw = job.payload?.portalId;
    const portalId = typeof raw === 'string' || typeof raw === 'number' ? String(raw) : '';
    try {
      if (!/^\d+$/.test(portalId)) throw new PermanentJobError(`${type} job without a portal id`);
      await c.usePortal(portalId, async (scope) => {
        const handler = (await handlersOf(scope))[type];
        if (!handler) throw new PermanentJobError(`no handler for ${type}`);
        await handler(job);
      });
    } catch (err) {
      if (isPortalGone(err)) {
        // A retry cannot help while the portal is gone; installing again starts new work from new events.
        throw new PermanentJobError(`portal ${portalId}: ${errorMessage(err)}`, { cause: err });
      }
      throw err;
    }
  };

  const handlers: Handlers = {
    'webhook.batch': async (job) => {
      const payload = job.payload as WebhookBatchPayload;
      const served = new Map<string, boolean>();
      const keep: HubSpotEvent[] = [];
      for (const e of payload.events) {
        const id = String(e.portalId);
        let ok = served.get(id);
        if (ok === undefined) {
          ok = await c.serves(id);
          served.set(id, ok);
          if (!ok) logger.warn({ portalId: id }, 'webhook events of a portal this deployment does not serve were dropped');
        }
        if (ok) keep.push(e);
      }
      if (keep.length === 0) return;
      await batch({ ...job, payload: keep.length === payload.events.length ? payload : { ...payload, events: keep } });
    },
  };
  for (const type of ['ingest.record', 'ingest.account', 'generate.call_summary', 'generate.lead_score', 'generate.reply_draft', 'generate.account_summary', 'action.execute'] as const) {
    handlers[type] = dispatch(type);
  }
  return handlers;
}

/** The ingest, generation and workflow-action handlers of one portal. */
async function portalHandlers(c: Container, scope: PortalScope): Promise<Handlers> {
  const [{ createIngestHandlers }, { createGenerationHandlers }, { createActionHandler }] = await Promise.all([
    import('../events/ingest-jobs.ts'),
    import('../events/generation-jobs.ts'),
    import('../actions/run-action.ts'),
  ]);
  const [queue, store, embedder, provider] = await Promise.all([c.queue(), c.store(), c.embedder().then((e) => portalEmbedder(e, scope.portalId)), portalProvider(c, scope)]);
  const { gateway, indexer, writeback, scorer } = scope;
  const log = (module: string) => c.logger.child({ module, portalId: scope.portalId });
  // RETRIEVAL_MODE=auto leaves the mode to the agents: the embedder kind's measured default.
  const pinned = c.config.RETRIEVAL_MODE === 'auto' ? {} : { retrievalMode: c.config.RETRIEVAL_MODE };
  return {
    ...createIngestHandlers({ indexer, gateway, queue, logger: log('ingest') }),
    ...createGenerationHandlers({
      gateway,
      queue,
      lookups: c.lookups,
      tracing: await c.tracing(),
      ...(indexer.snapshots ? { snapshots: indexer.snapshots } : {}),
      store,
      embedder,
      provider,
      scorer,
      enrichment: await c.enrichment(),
      validations: async (portalId) => (await c.validations()).records(portalId),
      sink: writeback,
      logger: log('agents'),
      ...pinned,
    }),
    'action.execute': createActionHandler({
      gateway,
      store,
      embedder,
      provider,
      sink: writeback,
      scorer,
      waiters: c.actionWaiters,
      lookups: c.lookups,
      tracing: await c.tracing(),
      publicUrl: c.config.WEBHOOK_PUBLIC_URL,
      dryRun: c.config.DRY_RUN,
      logger: log('actions'),
      ...pinned,
    }),
  };
}

export async function startWorkers(c: Container): Promise<WorkerHandle> {
  const [queue, handlers] = await Promise.all([c.queue(), createJobHandlers(c)]);
  if (!c.config.oauth) {
    // The private app's portal, asked of HubSpot once before the first job: every webhook batch checks its events'
    // portal, and must not wait on (or be cut off during) that lookup when HubSpot is slow. A failure here is not
    // fatal: the jobs ask again and retry like any other HubSpot error.
    await c.portalId().catch((err) => c.logger.warn({ err: errorMessage(err) }, 'could not ask HubSpot which portal the access token belongs to; jobs will ask again'));
  }
  const worker = queue.work(handlers, {
    concurrency: c.config.QUEUE_CONCURRENCY,
    concurrencyOf: { 'webhook.batch': c.config.WEBHOOK_BATCH_CONCURRENCY },
  });
  const sweeper = setInterval(() => void sweepInterruptedWrites(c), INTENT_SWEEP_EVERY_MS);
  sweeper.unref();
  return {
    close: async (timeoutMs) => {
      clearInterval(sweeper);
      await worker.close(timeoutMs);
    },
  };
}

const INTENT_SWEEP_EVERY_MS = 10 * 60_000;

/**
 * Writes whose process was killed on the job's last attempt stay intents (no retry resolves them): every few
 * minutes the workers settle those older than the write-back's timeout, for every portal served (intent-sweep.ts).
 */
async function sweepInterruptedWrites(c: Container): Promise<void> {
  try {
    const oauth = await c.oauth();
    const portals = oauth ? (await oauth.tokens.list()).filter((i) => i.status === 'installed').map((i) => i.portalId) : [await c.portalId()];
    for (const portalId of portals) {
      await c.usePortal(portalId, (scope) => scope.writeback.sweepInterruptedWrites()).catch((err: unknown) => {
        c.logger.warn({ portalId, err: errorMessage(err) }, 'interrupted writes not swept; tried again later');
      });
    }
  } catch (err) {
    c.logger.warn({ err: errorMessage(err) }, 'interrupted writes not swept; tried again later');
  }
}
