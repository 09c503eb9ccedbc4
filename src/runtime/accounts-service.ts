import type { AccountsService } from '../api/routes/accounts.ts';
import { apiError } from '../api/errors.ts';
import { AgentError } from '../agents/errors.ts';
import { retrievalModeFor } from '../config/retrieval-mode.ts';
import { AppError } from '../errors.ts';
import { HubSpotError, HubSpotRateLimitError } from '../hubspot/errors.ts';
import { portalEmbedder } from '../text/embedder.ts';
import type { Container } from './container.ts';
import { portalProvider } from './model-quotas.ts';
import { isPortalGone, PortalNotServedError, type PortalScope } from './portal-scopes.ts';

/** Adapts the retrieval and agent modules to the accounts API (and maps their not-found errors to 404s). */
export function createAccountsService(c: Container): AccountsService {
  const notFound = (err: unknown, accountId: string): never => {
    if (err instanceof AppError && /NOT_FOUND|NOT_SERVED/.test(err.code)) throw apiError('NOT_FOUND', `Account ${accountId}: ${err.message}`);
    throw err;
  };
  /**
   * A generation that failed in a dependency says which and whether to retry: the model's error code with 502
   * (it answered, but unusably) or 503 (busy or down, with Retry-After when it said); HubSpot busy or down, 503.
   */
  const generationFailed = (err: unknown, accountId: string): never => {
    if (err instanceof AgentError) {
      const headers = err.retryAfterSeconds === undefined ? undefined : { 'retry-after': String(Math.ceil(err.retryAfterSeconds)) };
      throw apiError(err.code, `Generation for account ${accountId} failed: ${err.message}`, undefined, headers);
    }
    if (err instanceof HubSpotError && err.retryable) {
      const retryAfterMs = err instanceof HubSpotRateLimitError ? err.retryAfterMs : undefined;
      const headers = retryAfterMs === undefined ? undefined : { 'retry-after': String(Math.ceil(retryAfterMs / 1000)) };
      throw apiError('HUBSPOT_UNAVAILABLE', `HubSpot could not be read for account ${accountId} (${err.code}): ${err.message}`, undefined, headers);
    }
    return notFound(err, accountId);
  };

  /**
   * Each call holds its portal while it works (portal-scopes.ts), so a purge of the portal waits for the request.
   * Reads of a portal this deployment does not serve hold nothing and find nothing, as before.
   */
  const held = async <T>(portalId: string, work: (scope: PortalScope | undefined) => Promise<T>): Promise<T> => {
    const lease = await c.leasePortal(portalId).catch((err: unknown) => {
      if (isPortalGone(err)) return undefined;
      throw err;
    });
    try {
      return await work(lease?.scope);
    } finally {
      lease?.release();
    }
  };

  return {
    defaultPortal: () => c.portalId(),

    similar: (portalId, accountId, opts) =>
      held(portalId, async () => {
        const { similarAccounts } = await import('../retrieval/similar-accounts.ts');
        const store = await c.store();
        return similarAccounts(store, portalId, accountId, opts).catch((e: unknown) => notFound(e, accountId));
      }),

    search: (portalId, query, filters, limit) =>
      held(portalId, async () => {
        const { searchAccounts } = await import('../retrieval/account-search.ts');
        const [store, embedder] = await Promise.all([c.store(), c.embedder().then((e) => portalEmbedder(e, portalId))]);
        return searchAccounts(store, embedder, portalId, query, { filters, limit });
      }),

    context: (portalId, accountId, q, k) =>
      held(portalId, async () => {
        const { hybridSearch } = await import('../retrieval/hybrid-search.ts');
        const [store, embedder] = await Promise.all([c.store(), c.embedder().then((e) => portalEmbedder(e, portalId))]);
        if ((await store.listChunkKeys(portalId, accountId)).length === 0 && !(await store.getProfile(portalId, accountId))) {
          throw apiError('NOT_FOUND', `Account ${accountId} is not in the index (unknown account, or not ingested yet)`);
        }
        // The mode the agents search in (RETRIEVAL_MODE, or the embedder kind's measured default): what the API
        // shows as an account's context is what a generation would be given.
        const hits = await hybridSearch({ store, embedder, portalId, accountId, query: q, k, mode: retrievalModeFor(embedder.provider, c.config.RETRIEVAL_MODE) });
        return hits.map((h) => ({
          id: h.chunk.id,
          sourceType: h.chunk.sourceType,
          sourceId: h.chunk.sourceId,
          occurredAt: h.chunk.occurredAt,
          score: h.score,
          text: h.chunk.text,
        }));
      }),

    generate: (portalId, accountId, agent, opts) =>
      held(portalId, async (scope) => {
        const { runAgentForAccount } = await import('../agents/run-agent.ts');
        if (!scope) return notFound(new PortalNotServedError(portalId, 'not installed or removed'), accountId);
        const { gateway, writeback } = scope;
        const [store, embedder, provider] = await Promise.all([c.store(), c.embedder().then((e) => portalEmbedder(e, portalId)), portalProvider(c, scope)]);
        if ((await store.listChunkKeys(portalId, accountId)).length === 0) {
          throw apiError('NOT_FOUND', `Account ${accountId} is not in the index (unknown account, or not ingested yet)`);
        }
        const scorer = await scope.scorer();
        return runAgentForAccount(
          { store, embedder, gateway, provider, sink: writeback, scorer, enrichment: await c.enrichment(), validations: await (await c.validations()).records(portalId), logger: c.logger, lookups: c.lookups, tracing: await c.tracing(), ...(c.config.RETRIEVAL_MODE === 'auto' ? {} : { retrievalMode: c.config.RETRIEVAL_MODE }) },
          { portalId, accountId, agent, dryRun: opts.dryRun || c.config.DRY_RUN, actor: opts.actor },
        ).catch((e: unknown) => generationFailed(e, accountId));
      }),
  };
}
