import { createCache } from '../../src/cache/create-cache.ts';
import type { KeyValueCache } from '../../src/cache/kv.ts';
import { createHubSpotGateway } from '../../src/hubspot/create-gateway.ts';
import type { HubSpotGateway } from '../../src/hubspot/gateway.ts';
import { runBackfill, type BackfillSummary } from '../../src/ingest/backfill.ts';
import { createCheckpointStore } from '../../src/ingest/checkpoint-store.ts';
import { createEmbedder } from '../../src/ingest/create-embedder.ts';
import type { Embedder } from '../../src/text/embedder.ts';
import { WorkPool } from '../../src/ingest/work-pool.ts';
import { Indexer } from '../../src/ingest/indexer.ts';
import { SqlTermStatsStore, type TermStatsStore } from '../../src/ingest/term-stats.ts';
import { createSql } from '../../src/db/sql.ts';
import { SqliteVectorStore } from '../../src/retrieval/sqlite-vector-store.ts';
import type { VectorStore } from '../../src/retrieval/vector-store.ts';

/**
 * The embedded stack over a sandbox URL, indexed by the real backfill: what the eval measures is what
 * `hubspot-ai backfill` + the agents would see in production with the offline embedder.
 */
export interface EvalStack {
  gateway: HubSpotGateway;
  cache: KeyValueCache;
  embedder: Embedder;
  store: VectorStore;
  /** The portal term statistics behind the served account profiles (the SQL layer's, as in the product). */
  termStats: TermStatsStore;
  portalId: string;
  backfill: BackfillSummary;
  close(): Promise<void>;
}

const NOT_INDEXED: BackfillSummary = { mode: 'full', resumed: false, records: 0, accounts: 0, chunks: 0, chunksEmbedded: 0, chunksDeleted: 0, accountsRemoved: 0, embeddingTokens: 0, cacheHits: 0, http429: 0, retries: 0, requests: 0, durationMs: 0 };

export async function openEvalStack(opts: {
  baseUrl: string;
  accessToken: string;
  dataDir: string;
  /** Builds the embedder over the stack's cache; default the offline hashing embedder. */
  embedder?: (cache: KeyValueCache) => Promise<Embedder>;
  concurrency?: number;
  /** Skip indexing (sections that only read HubSpot, e.g. the scorer): `backfill` then reports 0 chunks. */
  index?: boolean;
}): Promise<EvalStack> {
  const gateway = createHubSpotGateway({
    baseUrl: opts.baseUrl,
    accessToken: opts.accessToken,
    rateLimitPer10s: 10_000,
    searchPerSecond: 50,
    timeoutMs: 30_000,
    maxRetries: 4,
  });
  const cache = await createCache({ dataDir: opts.dataDir });
  const pool = new WorkPool();
  const embedder = opts.embedder ? await opts.embedder(cache) : await createEmbedder({ provider: 'offline', model: 'offline-hash-v1', dimensions: 384, cache, pool });
  const store = new SqliteVectorStore({ dataDir: opts.dataDir, chunkDimensions: embedder.dimensions, accountDimensions: embedder.dimensions, embeddingModel: embedder.model });
  await store.init();
  const checkpoints = await createCheckpointStore({ dataDir: opts.dataDir });
  const sql = await createSql({ dataDir: opts.dataDir });
  const termStats = new SqlTermStatsStore(sql);
  const indexer = new Indexer({ store, embedder, gateway, pool, termStats });
  const backfill = opts.index === false ? NOT_INDEXED : await runBackfill({ gateway, indexer, store, checkpoints }, { concurrency: opts.concurrency ?? 4 });
  const portalId = await gateway.portalId();
  return {
    gateway,
    cache,
    embedder,
    store,
    termStats,
    portalId,
    backfill,
    async close() {
      await checkpoints.close();
      await sql.close();
      await store.close();
      await embedder.close();
      await pool.close();
      await cache.close();
      await gateway.close();
    },
  };
}
