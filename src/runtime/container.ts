import type { Redis } from 'ioredis';
import { redactUrl, type Config } from '../config/config.ts';
import type { KeyValueCache } from '../cache/kv.ts';
import type { SqlHandle } from '../db/sql.ts';
import type { HubSpotGateway } from '../hubspot/gateway.ts';
import type { OAuthRuntime } from '../oauth/create-oauth.ts';
import { portalEmbedder, type Embedder } from '../text/embedder.ts';
import type { Indexer } from '../ingest/indexer.ts';
import type { JobQueue } from '../queue/queue.ts';
import type { VectorStore } from '../retrieval/vector-store.ts';
import type { SqliteVectorStore } from '../retrieval/sqlite-vector-store.ts';
import type { LlmProvider } from '../agents/provider.ts';
import type { WritebackService } from '../writeback/create-writeback.ts';
import type { ScorerStore } from '../agents/scorer/scorer-store.ts';
import type { ValidationStore } from '../agents/validation/validation-store.ts';
import type { CheckpointStore } from '../ingest/checkpoint-store.ts';
import type { ModelRecordStore } from '../db/model-records.ts';
import type { EnrichmentProvider } from '../enrichment/provider.ts';
import { throttledWarn, type Logger } from '../logging.ts';
import { AppError, errorMessage } from '../errors.ts';
import { Resources } from './lazy.ts';
import { ForegroundGate } from '../queue/foreground.ts';
import { ActionWaiters } from '../actions/waiters.ts';
import type { SqliteFiles } from '../db/sqlite.ts';
import { ContainerMetrics } from '../metrics.ts';
import type { Tracing } from '../tracing.ts';
import { LookupsCache } from '../retrieval/reference-lookups.ts';
import { PortalNotServedError, PortalScopes, policyFileFor, type PortalLease, type PortalScope } from './portal-scopes.ts';

/**
 * The composition root: builds each port's adapter from the configuration, lazily, once per process, and
 * closes them in reverse order. Optional backends are imported only when configured.
 */
export interface Container {
  config: Config;
  logger: Logger;
  redis(): Promise<Redis | undefined>;
  sql(): Promise<SqlHandle>;
  cache(): Promise<KeyValueCache>;
  gateway(): Promise<HubSpotGateway>;
  /** OAuth mode's token store and install routes; undefined in private-app mode. */
  oauth(): Promise<OAuthRuntime | undefined>;
  /** The deployment's default portal: the private app's, or in OAuth mode HUBSPOT_PORTAL_ID or the only one installed. */
  portalId(): Promise<string>;
  /** Whether this deployment serves a portal now (the private app's; an installed one in OAuth mode). */
  serves(portalId: string): Promise<boolean>;
  /** One portal's gateway, write-back, indexer and scorer, built once; PortalNotServedError when not served. */
  portal(portalId: string): Promise<PortalScope>;
  /** Runs work (a job) with a portal's scope, holding a lease on it (portal-scopes.ts) while it runs. */
  usePortal<T>(portalId: string, work: (scope: PortalScope) => Promise<T>): Promise<T>;
  /** A lease on a portal's scope until `release()` (an API request, until it has answered). */
  leasePortal(portalId: string): Promise<PortalLease>;
  /** Runs work (a purge) with the portal to itself: its jobs and requests in this process finish first, new ones wait. */
  exclusivePortal<T>(portalId: string, work: () => Promise<T>): Promise<T>;
  /** Drops a portal's scope in this process (after it was removed, uninstalled or purged). */
  forgetPortal(portalId: string): Promise<void>;
  embedder(): Promise<Embedder>;
  store(): Promise<VectorStore>;
  /** `serve` and `worker` at start: the embedded store's warm-up in the background (VECTOR_PREWARM); once. */
  warmStore(): Promise<void>;
  /**
   * Drops the vector index (`backfill --reindex`), before `store()` opens it: its init() refuses vectors of
   * another embedding model or dimension.
   */
  dropVectorIndex(): Promise<void>;
  /** Checkpoints of long ingest jobs (the backfill), in the SQL database. */
  checkpoints(): Promise<CheckpointStore>;
  /** Trained models and validation records of every kind, in the SQL database. */
  modelRecords(): Promise<ModelRecordStore>;
  queue(): Promise<JobQueue>;
  /** Webhook deliveries in flight in this process; in-process workers step aside for them. */
  foreground: ForegroundGate;
  /** Workflow action requests waiting in this process for their job's outputs. */
  actionWaiters: ActionWaiters;
  provider(): Promise<LlmProvider>;
  indexer(): Promise<Indexer>;
  writeback(): Promise<WritebackService>;
  /** Trained lead scorers and their validation, in the SQL database. */
  scorers(): Promise<ScorerStore>;
  /** The enrichment provider (ENRICHMENT_URL), or null: enrichment then reads the account history only. */
  enrichment(): Promise<EnrichmentProvider | null>;
  /** Models' held-out validation records (confidence caps of judgments), in the SQL database, seeded from the code. */
  validations(): Promise<ValidationStore>;
  /** Health checks for /readyz and `doctor`: one per configured backend. */
  readiness(): Array<{ name: string; check: () => Promise<void> }>;
  /** This container's metrics (counters, histograms, scrape-time gauges), served on /metrics with the process's own. */
  metrics: ContainerMetrics;
  /** This container's tracing (OTLP when OTEL_EXPORTER_OTLP_ENDPOINT is set, else off), flushed on close. */
  tracing(): Promise<Tracing>;
  /** Owners and pipelines of each portal, cached for the agents. */
  lookups: LookupsCache;
  /** What this container holds open in the process now (tests: nothing after `close()`). */
  held(): { sqliteFiles: string[]; checkpointThread: boolean };
  close(): Promise<void>;
}

export function createContainer(config: Config, logger: Logger, opts: { role?: string } = {}): Container {
  const res = new Resources();
  const containerMetrics = new ContainerMetrics({
    // Portal ids are label values only when /metrics needs a token (METRICS_TOKEN): an open endpoint never names a portal.
    portalLabels: { allow: config.METRICS_PORTALS?.split(',').map((p) => p.trim()).filter(Boolean), max: config.METRICS_PORTAL_LABELS, ids: Boolean(config.METRICS_TOKEN) },
  });
  const lookups = new LookupsCache();
  // Closed last (registered first): the spans of everything closed before it are flushed.
  const tracing = res.lazy(
    'tracing',
    async () =>
      (await import('../tracing.ts')).startTracing({
        endpoint: config.OTEL_EXPORTER_OTLP_ENDPOINT,
        tracesEndpoint: config.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT,
        serviceName: config.OTEL_SERVICE_NAME,
        role: opts.role ?? 'cli',
        logger,
      }),
    (t) => t.close(),
  );
  // This container's SQLite connections (one per file, shared by its adapters) and their checkpoint thread. With the
  // SQL layer in the data file, its migration runs on the shared connection before any adapter gets the registry:
  // the migration's transaction spans awaits, and a statement of another adapter run meanwhile would run inside it
  // (and be rolled back with a failed migration). A failed migration fails every user; the next call tries again.
  let sqliteFiles: SqliteFiles | undefined;
  let sqliteMigrated: Promise<void> | undefined;
  const sqlite = async (): Promise<SqliteFiles> => {
    const { SqliteFiles } = await import('../db/sqlite.ts');
    const files = (sqliteFiles ??= new SqliteFiles({
      onError: (message) => logger.warn({ err: message }, 'SQLite background checkpoint failed; the write-ahead log keeps growing until it succeeds'),
    }));
    if (!config.DATABASE_URL) {
      sqliteMigrated ??= import('../db/migrator.ts').then(({ migrateSqliteData }) => migrateSqliteData(files, config.dataDir));
      sqliteMigrated.catch(() => (sqliteMigrated = undefined));
      await sqliteMigrated;
    }
    return files;
  };

  const redis = res.lazy<Redis | undefined>(
    'redis',
    async () => {
      if (!config.REDIS_URL) return undefined;
      const { Redis } = await import('ioredis');
      const client = new Redis(config.REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 3, enableOfflineQueue: true, connectTimeout: 5_000 });
      client.on('error', throttledWarn(logger, 'Redis (rate limiter) connection error'));
      try {
        await client.connect();
      } catch (err) {
        client.disconnect(); // stop ioredis from reconnecting forever in the background
        throw new AppError('REDIS_UNAVAILABLE', `Redis at ${redactUrl(config.REDIS_URL)} is unreachable: ${errorMessage(err)}`, { cause: err });
      }
      return client;
    },
    async (c) => {
      await c?.quit().catch(() => c.disconnect());
    },
  );

  const sql = res.lazy(
    'sql',
    async () =>
      (await import('../db/sql.ts')).createSql({ databaseUrl: config.DATABASE_URL, dataDir: config.dataDir, ...(config.DATABASE_URL ? {} : { sqlite: await sqlite() }) }),
    (h) => h.close(),
  );

  const cache = res.lazy(
    'cache',
    async () => {
      const kv = await (await import('../cache/create-cache.ts')).createCache({
        redisUrl: config.REDIS_URL,
        dataDir: config.dataDir,
        keyPrefix: `${config.REDIS_PREFIX}:`,
        ...(config.REDIS_URL ? {} : { sqlite: await sqlite() }),
      });
      // Entries cached before portals keyed them belong to no portal (a purge cannot find them): they go first.
      const { sweepUnscopedCacheKeys } = await import('../cache/unscoped-sweep.ts');
      await sweepUnscopedCacheKeys(kv).then(
        (r) => r.deleted > 0 && logger.info({ deleted: r.deleted }, 'removed cache entries written before portals keyed them'),
        (err: unknown) => logger.warn({ err: errorMessage(err) }, 'could not sweep cache entries written before portals keyed them; next start tries again'),
      );
      return kv;
    },
    (c) => c.close(),
  );

  const oauth = res.lazy('oauth', async () => {
    if (!config.oauth) return undefined;
    const { createOAuthRuntime } = await import('../oauth/create-oauth.ts');
    const runtime = await createOAuthRuntime(config.oauth, {
      sql: await sql(),
      baseUrl: config.hubspot.baseUrl,
      isSandbox: config.hubspot.isSandbox,
      logger: logger.child({ module: 'oauth' }),
      ...(config.HUBSPOT_APP_ID ? { appId: config.HUBSPOT_APP_ID } : {}),
    });
    runtime.tokens.onUninstalled(async (id) => {
      await self.forgetPortal(id);
      if (!config.PURGE_ON_UNINSTALL) return;
      // Not awaited: the uninstall may come from a job's token refresh (that job holds the portal, and the purge
      // waits for the portal's work to end) or from a webhook HubSpot wants answered within seconds.
      void import('./portal-purge.ts')
        .then(({ purgePortal }) => purgePortal(self, id, { actor: 'uninstall (PURGE_ON_UNINSTALL)' }))
        .then(
          (report) => logger.warn({ portalId: id, jobs: report.jobs, vectors: report.vectors, rows: report.sql }, 'uninstalled portal purged'),
          (err: unknown) => logger.error({ portalId: id, err: errorMessage(err) }, 'the purge of an uninstalled portal failed: run `hubspot-ai portals purge`'),
        );
    });
    return runtime;
  });

  const gateway = res.lazy(
    'gateway',
    async () =>
      {
        const { createHubSpotGateway, hubSpotGatewayOptions } = await import('../hubspot/create-gateway.ts');
        const opts = hubSpotGatewayOptions(config, { redis: await redis(), logger: logger.child({ module: 'hubspot' }), metrics: containerMetrics, tracing: await tracing() });
        const o = await oauth();
        if (!o) return createHubSpotGateway(opts);
        // OAuth mode, still one portal per deployment: the configured one, or the only one installed.
        const portal = config.oauth?.portalId;
        return createHubSpotGateway({ ...opts, oauth: { portalId: portal ?? 'served', tokens: o.tokens.servedSource(portal) } });
      },
    (g) => g.close(),
  );

  // Worker threads for chunking and offline embedding, shared by the embedder and the indexer.
  const workPool = res.lazy(
    'work-pool',
    async () => new (await import('../ingest/work-pool.ts')).WorkPool(),
    (p) => p.close(),
  );

  const embedder = res.lazy(
    'embedder',
    async () =>
      (await import('../ingest/create-embedder.ts')).createEmbedder({
        provider: config.embeddings.provider,
        model: config.embeddings.model,
        dimensions: config.embeddings.dimensions,
        queryPrefix: config.embeddings.queryPrefix,
        documentPrefix: config.embeddings.documentPrefix,
        batchSize: config.embeddings.batchSize,
        apiKey: config.OPENAI_API_KEY,
        baseURL: config.OPENAI_BASE_URL,
        timeoutMs: config.embeddings.timeoutMs,
        cache: await cache(),
        pool: await workPool(),
        logger: logger.child({ module: 'embeddings' }),
        metrics: containerMetrics,
      }),
    (e) => e.close(),
  );

  const openStore = async (): Promise<VectorStore> => {
      const e = await embedder();
      return (await import('../retrieval/create-vector-store.ts')).createVectorStore({
        qdrantUrl: config.QDRANT_URL,
        qdrantApiKey: config.QDRANT_API_KEY,
        dataDir: config.dataDir,
        ...(config.QDRANT_URL ? {} : { sqlite: await sqlite() }),
        chunkDimensions: e.dimensions,
        accountDimensions: e.dimensions,
        embeddingModel: e.model,
        logger: logger.child({ module: 'vectors' }),
      });
  };
  let storeOpened = false;
  const noWarming = (): void => undefined;
  let stopWarming = noWarming;
  const store = res.lazy(
    'store',
    async () => {
      storeOpened = true;
      const s = await openStore();
      await s.init();
      return s;
    },
    (s) => {
      stopWarming();
      return s.close();
    },
  );
  const warmStore = async (): Promise<void> => {
    const s = await store();
    if (!config.VECTOR_PREWARM || s.kind !== 'sqlite' || stopWarming !== noWarming) return;
    // In the background: queries are served meanwhile; closing the store stops the reads.
    const warming = new AbortController();
    stopWarming = () => warming.abort();
    (s as SqliteVectorStore).warm({ signal: warming.signal }).then(
      (r) => logger.info({ module: 'vectors', statementsMs: Math.round(r.statementsMs), fileMB: r.file && Math.round(r.file.bytesRead / 2 ** 20), ms: r.file && Math.round(r.file.ms), stopped: r.file?.stopped }, 'vector index warmed'),
      (err: unknown) => logger.warn({ module: 'vectors', err: errorMessage(err) }, 'vector index warm-up failed (queries are not affected)'),
    );
  };
  const dropVectorIndex = async (): Promise<void> => {
    if (storeOpened) return (await store()).reset();
    const raw = await openStore();
    try {
      await raw.reset();
    } finally {
      await raw.close();
    }
  };

  const checkpoints = res.lazy('checkpoints', async () => {
    const { SqlCheckpointStore } = await import('../ingest/checkpoint-store.ts');
    const s = new SqlCheckpointStore(await sql());
    await s.init();
    return s;
  });

  let stopJudgmentFigures = (): void => undefined;
  const modelRecords = res.lazy(
    'model-records',
    async () => {
      const store = new (await import('../db/model-records.ts')).SqlModelRecordStore(await sql());
      // The latest `validate judgments` run of the portal (writeback/scorer-report/judgment-report.ts).
      stopJudgmentFigures = containerMetrics.collectJudgmentFigures(async () => (await store.latest('judgment_report', await portalId()))?.figures ?? {});
      return store;
    },
    async () => stopJudgmentFigures(),
  );

  // Shared by the webhook route (which holds it) and the embedded queue's workers (which wait on it).
  const foreground = new ForegroundGate();
  let stopQueueMetrics = (): void => undefined;
  const queue = res.lazy(
    'queue',
    async () => {
      const q = await (await import('../queue/create-queue.ts')).createQueue({
        redisUrl: config.REDIS_URL,
        dataDir: config.dataDir,
        prefix: config.REDIS_PREFIX,
        defaultMaxAttempts: config.JOB_MAX_ATTEMPTS,
        foreground,
        ...(config.REDIS_URL ? {} : { sqlite: await sqlite() }),
        logger: logger.child({ module: 'queue' }),
        metrics: containerMetrics,
      });
      stopQueueMetrics = containerMetrics.collectQueueStats(() => q.stats());
      // Tracing on: the trace context rides along in each job (imported only then).
      const t = await tracing();
      return t.enabled ? new (await import('../queue/traced-queue.ts')).TracedQueue(q, t) : q;
    },
    async (q) => {
      stopQueueMetrics();
      await q.close();
    },
  );

  const provider = res.lazy(
    'provider',
    async () =>
      (await import('../agents/create-provider.ts')).createProvider({
        provider: config.llm.provider,
        model: config.llm.model,
        apiKey: config.OPENAI_API_KEY,
        baseURL: config.OPENAI_BASE_URL,
        azure: { apiKey: config.AZURE_OPENAI_API_KEY, endpoint: config.AZURE_OPENAI_ENDPOINT, apiVersion: config.AZURE_OPENAI_API_VERSION },
        timeoutMs: config.LLM_TIMEOUT_MS,
        maxRetries: config.LLM_MAX_RETRIES,
        cache: await cache(),
        logger: logger.child({ module: 'llm' }),
        metrics: containerMetrics,
      }),
    (p) => p.close(),
  );

  // Portal term statistics of account profiles: in the SQL layer (the SQLite file, or PostgreSQL).
  const termStats = res.lazy('term-stats', async () => new (await import('../ingest/term-stats.ts')).SqlTermStatsStore(await sql()));

  const indexer = res.lazy(
    'indexer',
    async () => {
      const [{ Indexer }, { HistorySnapshots }] = await Promise.all([import('../ingest/indexer.ts'), import('../ingest/history-snapshots.ts')]);
      const snapshots = new HistorySnapshots(await cache());
      // Embeddings cached under the served portal's key, so a purge of that portal removes them.
      const [e, served] = await Promise.all([embedder(), portalId().catch(() => undefined)]);
      const emb = served === undefined ? e : portalEmbedder(e, served);
      return new Indexer({ store: await store(), embedder: emb, gateway: await gateway(), pool: await workPool(), snapshots, termStats: await termStats(), logger: logger.child({ module: 'indexer' }) });
    },
    (i) => i.close(),
  );

  const makeWriteback = async (gw: HubSpotGateway, portal?: string, policyPortal = portal): Promise<WritebackService> => {
      const [{ createWriteback }, { loadPolicy }, { recordOwnWrite }] = await Promise.all([
        import('../writeback/create-writeback.ts'),
        import('../writeback/policy.ts'),
        import('../events/process-batch.ts'),
      ]);
      const kv = await cache();
      return createWriteback({
        gateway: gw,
        ...(portal === undefined ? {} : { portalId: portal }),
        sql: await sql(),
        policy: loadPolicy(policyPortal === undefined ? config.POLICY_FILE : policyFileFor(config, policyPortal)),
        dryRun: config.DRY_RUN,
        killSwitch: config.KILL_SWITCH,
        appId: config.HUBSPOT_APP_ID,
        hubspotAppUrl: config.HUBSPOT_APP_URL,
        ownerTasks: { enabled: config.OWNER_TASKS, ...(config.WEBHOOK_PUBLIC_URL ? { reviewPageUrl: `${config.WEBHOOK_PUBLIC_URL.replace(/\/+$/, '')}/review` } : {}) },
        onOwnWrite: (w) => recordOwnWrite(kv, { ...w, objectType: w.objectType }),
        resolveEvidence: async (ids) => {
          const chunks = await (await store()).getChunks(portal ?? (await gw.portalId()), ids);
          return chunks.map((ch) => ({ id: ch.id, text: ch.text, sourceType: ch.sourceType, occurredAt: ch.occurredAt }));
        },
        logger: logger.child({ module: 'writeback', ...(portal === undefined ? {} : { portalId: portal }) }),
        metrics: containerMetrics,
        tracing: await tracing(),
      });
  };
  const writeback = res.lazy(
    'writeback',
    async () => {
      const gw = await gateway();
      // The served portal's own policy file counts for it too (PORTAL_POLICY_DIR), not only for the other portals.
      const policyPortal = config.PORTAL_POLICY_DIR ? (config.oauth?.portalId ?? (await gw.portalId().catch(() => undefined))) : undefined;
      return makeWriteback(gw, undefined, policyPortal);
    },
    (w) => w.close(),
  );

  let stopScorerFigures = (): void => undefined;
  const scorers = res.lazy(
    'scorers',
    async () => {
      const store = new (await import('../agents/scorer/scorer-store.ts')).SqlScorerStore(await sql());
      stopScorerFigures = containerMetrics.collectScorerFigures(async () => store.figures(await portalId()));
      return store;
    },
    async () => stopScorerFigures(),
  );

  const validations = res.lazy('validations', async () => {
    const [{ SqlValidationStore }, { VALIDATION_RECORDS }] = await Promise.all([import('../agents/validation/validation-store.ts'), import('../agents/judgment-validation.ts')]);
    return new SqlValidationStore(await sql(), VALIDATION_RECORDS);
  });

  const enrichment = res.lazy(
    'enrichment',
    async () =>
      (await import('../enrichment/create-provider.ts')).createEnrichmentProvider({
        url: config.ENRICHMENT_URL,
        apiKey: config.ENRICHMENT_API_KEY,
        timeoutMs: config.ENRICHMENT_TIMEOUT_MS,
        hubspotBaseUrl: config.hubspot.baseUrl,
        hubspotToken: config.hubspot.accessToken,
      }),
    async (p) => p?.close(),
  );

  let portal: Promise<string> | undefined;
  const portalId = () => {
    portal ??= gateway().then((g) => g.portalId());
    portal.catch(() => (portal = undefined));
    return portal;
  };

  const serves = async (id: string): Promise<boolean> => {
    const o = await oauth();
    if (o) return o.tokens.isInstalled(id);
    return id === (await portalId());
  };

  // Per-portal parts. The default portal reuses the process-wide gateway and write-back; in OAuth mode every
  // other installed portal gets its own gateway (its token, its rate limiter) and its own write-back service.
  const buildScope = async (id: string): Promise<PortalScope> => {
    const o = await oauth();
    const { currentScorer } = await import('../agents/scorer/scorer-store.ts');
    const { adoptLegacyRows } = await import('../writeback/sql-schema.ts');
    const scorer = currentScorer(await scorers(), async () => id);
    const defaultPortal = o ? await o.tokens.servedPortal(config.oauth?.portalId).catch(() => undefined) : await portalId();
    if (!o && id !== defaultPortal) throw new PortalNotServedError(id, `the private-app token belongs to portal ${defaultPortal}`);
    if (o && !(await o.tokens.isInstalled(id))) throw new PortalNotServedError(id, 'the app is not installed there');
    if (id === defaultPortal) {
      const wb = await writeback();
      // Rows from before portals were recorded belong to the portal the deployment served then.
      await adoptLegacyRows(await sql(), id);
      return { portalId: id, gateway: await gateway(), writeback: wb, indexer: await indexer(), scorer };
    }
    const { createHubSpotGateway, hubSpotGatewayOptions } = await import('../hubspot/create-gateway.ts');
    const [{ Indexer }, { HistorySnapshots }] = await Promise.all([import('../ingest/indexer.ts'), import('../ingest/history-snapshots.ts')]);
    const opts = hubSpotGatewayOptions(config, { redis: await redis(), logger: logger.child({ module: 'hubspot', portalId: id }), metrics: containerMetrics, tracing: await tracing() });
    const gw = createHubSpotGateway({ ...opts, oauth: { portalId: id, tokens: o!.tokens.sourceFor(id) } });
    const wb = await makeWriteback(gw, id);
    const snapshots = new HistorySnapshots(await cache());
    const idx = new Indexer({ store: await store(), embedder: portalEmbedder(await embedder(), id), gateway: gw, pool: await workPool(), snapshots, termStats: await termStats(), logger: logger.child({ module: 'indexer', portalId: id }) });
    const close = async () => void (await Promise.allSettled([wb.close(), idx.close(), gw.close()]));
    return { portalId: id, gateway: gw, writeback: wb, indexer: idx, scorer, close } as PortalScope;
  };
  const closeScope = async (s: PortalScope) => {
    const own = (s as PortalScope & { close?: () => Promise<void> }).close;
    if (own) await own();
  };
  // Leases every process on this database sees: a purge here waits for other processes' requests and jobs too.
  const sharedLeases = res.lazy(
    'portal-leases',
    async () => new (await import('./shared-portal-leases.ts')).SqlPortalLeases(await sql(), { logger: logger.child({ module: 'portal-leases' }) }),
    (l) => l.close(),
  );
  const scopes = new PortalScopes({ build: buildScope, close: closeScope, max: config.PORTAL_SCOPES_MAX, idleMs: config.PORTAL_SCOPE_IDLE_MS, shared: sharedLeases });
  const portalScopes = res.lazy('portal-scopes', async () => scopes, (s) => s.closeAll());

  const self: Container = {
    config,
    logger,
    redis,
    sql,
    cache,
    gateway,
    oauth,
    portalId,
    serves,
    portal: async (id) => (await portalScopes()).get(id),
    forgetPortal: async (id) => {
      lookups.forget(id);
      await scopes.forget(id);
    },
    usePortal: async (id, work) => (await portalScopes()).use(id, work),
    leasePortal: async (id) => (await portalScopes()).lease(id),
    exclusivePortal: async (id, work) => (await portalScopes()).exclusive(id, work),
    embedder,
    store,
    warmStore,
    dropVectorIndex,
    checkpoints,
    modelRecords,
    queue,
    foreground,
    actionWaiters: new ActionWaiters(),
    metrics: containerMetrics,
    tracing,
    lookups,
    provider,
    indexer,
    writeback,
    scorers,
    enrichment,
    validations,
    readiness() {
      const checks: Array<{ name: string; check: () => Promise<void> }> = [
        { name: config.backends.sql === 'postgres' ? 'postgres' : 'sqlite', check: async () => void (await sql()).db.selectNoFrom((eb) => eb.val(1).as('one')).execute() },
        { name: config.backends.vectors === 'qdrant' ? 'qdrant' : 'vector-store', check: async () => (await store()).ping() },
        { name: config.backends.queue === 'bullmq' ? 'redis-queue' : 'queue', check: async () => (await queue()).ping() },
        { name: 'cache', check: async () => (await cache()).ping() },
      ];
      return checks;
    },
    held() {
      return { sqliteFiles: sqliteFiles?.openFiles ?? [], checkpointThread: sqliteFiles?.checkpointer.running ?? false };
    },
    async close() {
      await res.closeAll((name, err) => logger.warn({ err, resource: name }, 'error while closing'));
      // Last: whatever an adapter left open, and the checkpoint thread.
      await sqliteFiles?.close();
      lookups.clear();
      containerMetrics.close();
    },
  };
  return self;
}
