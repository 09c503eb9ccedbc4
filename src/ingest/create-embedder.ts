import type { KeyValueCache } from '../cache/kv.ts';
import type { Logger } from '../logging.ts';
import type { ContainerMetrics } from '../metrics.ts';
import { CachedEmbedder } from './cached-embedder.ts';
import type { Embedder } from '../text/embedder.ts';
import type { WorkPool } from './work-pool.ts';

export interface CreateEmbedderOptions {
  provider: 'offline' | 'openai';
  model: string;
  /** Required offline; with `openai` unset means "read it from the server" (it is always checked at start). */
  dimensions?: number;
  /** EMBEDDING_QUERY_PREFIX / EMBEDDING_DOCUMENT_PREFIX / EMBEDDING_BATCH_SIZE over the model's known values. */
  queryPrefix?: string;
  documentPrefix?: string;
  batchSize?: number;
  apiKey?: string;
  baseURL?: string;
  timeoutMs?: number;
  maxRetries?: number;
  /**
   * When given, a model's embedder is wrapped by the embedding cache. The offline embedder never is: its vectors
   * are a pure function of the text and hashing one costs less CPU than looking it up (a key digest, a query, a
   * blob copy) and storing it, on the main thread that also drives HubSpot's requests (`npm run bench:backfill`).
   */
  cache?: KeyValueCache;
  /** Worker threads for the offline embedder's large batches (its work is CPU, not I/O). */
  pool?: WorkPool;
  logger?: Logger;
  /** The container's metrics (tokens, cost, cache hits). */
  metrics?: ContainerMetrics;
}

/**
 * Picks the embedding adapter from config. An OpenAI-compatible embedder embeds one probe text before it is
 * returned, so the vector size the store is opened with is the server's, and a wrong EMBEDDING_DIMENSIONS or an
 * unreachable server fails at start with a clear message.
 *
 * Picks the embedding adapter from config (`config.embeddings` + OPENAI_API_KEY / OPENAI_BASE_URL). Adapters are
 * imported on demand so that the offline default never loads the OpenAI SDK.
 */
export async function createEmbedder(opts: CreateEmbedderOptions): Promise<Embedder> {
  const embedder = await createAdapter(opts);
  return opts.cache && opts.provider !== 'offline' ? new CachedEmbedder(embedder, opts.cache, opts.metrics ? { metrics: opts.metrics } : {}) : embedder;
}

async function createAdapter(opts: CreateEmbedderOptions): Promise<Embedder> {
  switch (opts.provider) {
    case 'offline': {
      const { OfflineHashEmbedder } = await import('./embedders/offline-hash-embedder.ts');
      return new OfflineHashEmbedder({ dimensions: opts.dimensions ?? 384, model: opts.model, ...(opts.pool ? { pool: opts.pool } : {}) });
    }
    case 'openai': {
      const { OpenAIEmbedder } = await import('./embedders/openai-embedder.ts');
      const embedder = new OpenAIEmbedder({
        model: opts.model,
        ...(opts.dimensions !== undefined ? { dimensions: opts.dimensions } : {}),
        profile: {
          ...(opts.queryPrefix !== undefined ? { queryPrefix: opts.queryPrefix } : {}),
          ...(opts.documentPrefix !== undefined ? { documentPrefix: opts.documentPrefix } : {}),
          ...(opts.batchSize !== undefined ? { batchSize: opts.batchSize } : {}),
        },
        ...(opts.apiKey !== undefined ? { apiKey: opts.apiKey } : {}),
        ...(opts.baseURL !== undefined ? { baseURL: opts.baseURL } : {}),
        ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}),
        ...(opts.maxRetries !== undefined ? { maxRetries: opts.maxRetries } : {}),
        ...(opts.logger ? { logger: opts.logger } : {}),
        ...(opts.metrics ? { metrics: opts.metrics } : {}),
      });
      const dimensions = await embedder.probeDimensions();
      opts.logger?.info(
        { model: opts.model, dimensions, family: embedder.profile.family, queryPrefix: embedder.profile.queryPrefix, documentPrefix: embedder.profile.documentPrefix, inputType: embedder.profile.sendsInputType },
        'embedding model ready',
      );
      return embedder;
    }
    default: {
      const never: never = opts.provider;
      throw new Error(`Unknown embedding provider: ${String(never)}`);
    }
  }
}
