import type { FastifyInstance } from 'fastify';
import type { ObjectType } from './object-types.ts';
import { OBJECT_TYPES } from './object-types.ts';
import { silentLogger, type Logger } from './logger.ts';
import type { SandboxContext } from './context.ts';
import { DEFAULT_APP_ID, DEFAULT_PORTAL_ID, generatePortal } from './generator.ts';
import type { TextStyle } from './phrasing/types.ts';
import { Rng } from './prng.ts';
import { buildSandboxServer, type FaultSettings } from './server.ts';
import { Simulator } from './simulate.ts';
import { search } from './search.ts';
import { SearchIndex } from './search-index.ts';
import { loadState, saveState } from './state-file.ts';
import { PortalStore } from './store.ts';
import type { GroundTruth } from './types.ts';
import { WebhookDispatcher } from './webhook-dispatcher.ts';
import { ActionExecutions } from './action-executions.ts';
import { toWebhookEvents } from './webhook-events.ts';

export { generatePortal } from './generator.ts';
export type { GeneratedPortal, GroundTruth } from './types.ts';
export { signV3 } from './webhook-dispatcher.ts';

export interface SandboxOptions {
  /** 0 = a random free port. */
  port?: number;
  host?: string;
  seed?: number;
  companies?: number;
  /** Companies with a huge history (hundreds of long e-mails); default 1 (2 from 100 companies). */
  whales?: number;
  /** Text style of the generated history: `dev` (default) or `test` (phrasings written apart, for evaluation). */
  style?: TextStyle;
  /** Share of companies generated with empty firmographics and enrichment ground truth (0 = none, the default). */
  enrichmentGaps?: number;
  token?: string;
  appId?: number;
  portalId?: number;
  /** Requests per rolling 10 s per token; 0 turns the limit off. */
  rateLimit?: number;
  /** Search requests per second per token. */
  searchRate?: number;
  /** Share of API requests answered 500/502/504 (seeded, reproducible). */
  faultRate?: number;
  /** Requests per day per token (HubSpot: 250,000 to 1,000,000 by plan); past it a 429 DAILY until `reset`. */
  dailyLimit?: number;
  /** How long a change takes to become searchable (HubSpot's search index lags writes); default 0. */
  searchLagMs?: number;
  /**
   * More tokens, each granted only these scopes (`crm.objects.contacts.read`, `tickets`, ...): a call outside
   * them answers 403 MISSING_SCOPES, as HubSpot does for a private app without the scope. `token` has them all.
   */
  scopedTokens?: Record<string, string[]>;
  latencyMs?: number;
  webhookTarget?: string;
  clientSecret?: string;
  /** How long to gather events before a POST. */
  webhookBatchMs?: number;
  /** First webhook retry delay (doubles per attempt); HubSpot's 24-hour schedule, compressed. */
  webhookRetryBaseMs?: number;
  webhookMaxAttempts?: number;
  stateFile?: string;
  logger?: Logger;
}

export interface SandboxHandle {
  url: string;
  port: number;
  portalId: string;
  appId: string;
  token: string;
  /** The portal's HTTP app; the multi-portal front door (portals.ts) hands each request to its portal's app. */
  app: FastifyInstance;
  groundTruth(): GroundTruth;
  reset(): Promise<void>;
  /** Resolves when every pending webhook delivery has been answered 2xx or given up. */
  flushWebhooks(): Promise<void>;
  metrics(): { requests: number; http429: number; byRoute: Record<string, number> };
  /** Changes fault injection while running (also `PUT /_sandbox/faults`). */
  setFaults(f: { faultRate?: number; latencyMs?: number; failRoute?: FaultSettings['failRoute'] }): void;
  /** Starts a new day for the daily limit (also `POST /_sandbox/new-day`). */
  newDay(): void;
  close(): Promise<void>;
}

/** Starts the sandbox portal: generates (or restores) the data, then serves the HubSpot API subset over HTTP. */
export async function startSandbox(opts: SandboxOptions = {}): Promise<SandboxHandle> {
  const seed = opts.seed ?? 7;
  const companies = opts.companies ?? 300;
  const portalId = opts.portalId ?? DEFAULT_PORTAL_ID;
  const appId = opts.appId ?? DEFAULT_APP_ID;
  const token = opts.token ?? 'sandbox-token';
  const logger = opts.logger ?? silentLogger;
  const portal = generatePortal({ seed, companies, ...(opts.whales !== undefined ? { whales: opts.whales } : {}), ...(opts.style ? { style: opts.style } : {}), ...(opts.enrichmentGaps ? { enrichmentGaps: opts.enrichmentGaps } : {}) });
  const store = new PortalStore(portal);
  let simulator: Simulator;
  let simRng = new Rng(seed).fork('simulations');
  const counters = { requests: 0, http429: 0, byRoute: {} as Record<string, number> };

  const truth = (): GroundTruth => {
    const counts = Object.fromEntries(OBJECT_TYPES.map((t) => [t, countLive(store, t)])) as Record<ObjectType, number>;
    return { ...portal.groundTruth, portalId: String(portalId), appId: String(appId), counts, calls: [...portal.groundTruth.calls, ...simulator.simulatedCalls] };
  };
  const searchIndex = new SearchIndex(store, () => opts.searchLagMs ?? 0);
  const ctx: SandboxContext = {
    store, portal, truth, portalId, appId, token, logger, counters,
    integration: { sourceType: 'INTEGRATION', sourceId: String(appId) },
    simRng: () => simRng,
    search: (type, req) => search(store, type, req, searchIndex.view(type)),
  };
  simulator = new Simulator(ctx);
  if (opts.stateFile) {
    const calls = loadState(opts.stateFile, store, { seed, companies });
    if (calls) simulator.simulatedCalls.push(...calls);
    searchIndex.rebuild();
  }

  let dispatcher: WebhookDispatcher | undefined;
  if (opts.webhookTarget) {
    if (!opts.clientSecret) throw new Error('sandbox: --webhook-target needs --client-secret (deliveries are signed)');
    dispatcher = new WebhookDispatcher({
      target: opts.webhookTarget, clientSecret: opts.clientSecret, batchMs: opts.webhookBatchMs ?? 200, logger,
      ...(opts.webhookRetryBaseMs !== undefined ? { retryBaseMs: opts.webhookRetryBaseMs } : {}),
      ...(opts.webhookMaxAttempts !== undefined ? { maxAttempts: opts.webhookMaxAttempts } : {}),
    });
    let eventId = 1;
    const ids = { portalId, appId, nextEventId: () => eventId++ };
    store.onChange((e) => dispatcher?.enqueue(toWebhookEvents(e, ids)));
  }

  const reset = async () => {
    store.load(portal);
    searchIndex.rebuild();
    simulator = new Simulator(ctx);
    simRng = new Rng(seed).fork('simulations');
    server.resetLimits();
    if (opts.stateFile) saveState(opts.stateFile, store, { seed, companies, simulatedCalls: [] });
  };
  const server = buildSandboxServer(
    ctx,
    {
      rateLimit: opts.rateLimit ?? 190,
      searchRate: opts.searchRate ?? 5,
      faultRate: opts.faultRate ?? 0,
      latencyMs: opts.latencyMs ?? 0,
      dailyLimit: opts.dailyLimit ?? 250_000,
      scopedTokens: opts.scopedTokens ?? {},
      seed,
    },
    { simulator: () => simulator, reset },
    { actions: new ActionExecutions({ portalId, appId, clientSecret: opts.clientSecret, logger }) },
  );
  const host = opts.host ?? '127.0.0.1';
  await server.app.listen({ port: opts.port ?? 0, host });
  const address = server.app.server.address();
  const port = typeof address === 'object' && address ? address.port : (opts.port ?? 0);
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  logger.info({ url, companies, seed }, 'sandbox portal listening');

  return {
    url,
    port,
    portalId: String(portalId),
    appId: String(appId),
    token,
    app: server.app,
    groundTruth: truth,
    reset,
    flushWebhooks: async () => dispatcher?.flush(),
    metrics: () => ({ ...counters, byRoute: { ...counters.byRoute } }),
    newDay: () => server.newDay(),
    setFaults: (f) => Object.assign(server.faults, Object.fromEntries(Object.entries(f).filter(([, v]) => v !== undefined))),
    close: async () => {
      // Like a portal going away: deliveries stop at once (in-flight ones are abandoned, none is retried).
      await dispatcher?.close();
      await server.app.close();
      if (opts.stateFile) saveState(opts.stateFile, store, { seed, companies, simulatedCalls: simulator.simulatedCalls });
    },
  };
}

function countLive(store: PortalStore, type: ObjectType): number {
  let n = 0;
  for (const o of store.objects[type].values()) if (!o.archived) n++;
  return n;
}
