import { silentLogger, type Logger } from '../logging.ts';
import type { VectorStore } from './vector-store.ts';
import type { SqliteConnections } from '../db/sqlite.ts';

export interface CreateVectorStoreOptions {
  /** Set: Qdrant. Unset: the embedded SQLite store in DATA_DIR. */
  qdrantUrl?: string;
  qdrantApiKey?: string;
  dataDir: string;
  /** The embedder's dimensions; the store refuses to open storage built with others. */
  chunkDimensions: number;
  accountDimensions: number;
  /** The embedder's model: a store built with another model (even of the same size) is refused at init(). */
  embeddingModel?: string;
  /** Qdrant only: prefix of the collection names (tests, side-by-side reindexing). */
  collectionPrefix?: string;
  logger?: Logger;
  /** SQLite only: the container's connection registry. */
  sqlite?: SqliteConnections;
}

/**
 * Picks the vector store. Both adapters are imported lazily: embedded users never load the Qdrant client, and a
 * Qdrant deployment never opens the vector tables of the SQLite file. The caller runs `init()`.
 */
export async function createVectorStore(opts: CreateVectorStoreOptions): Promise<VectorStore> {
  const logger = opts.logger ?? silentLogger;
  if (opts.qdrantUrl) {
    const [{ QdrantClient }, { QdrantVectorStore }] = await Promise.all([import('@qdrant/js-client-rest'), import('./qdrant-vector-store.ts')]);
    const client = new QdrantClient({ url: opts.qdrantUrl, apiKey: opts.qdrantApiKey });
    logger.debug({ url: opts.qdrantUrl }, 'vector store: qdrant');
    return new QdrantVectorStore({ client, ...dims(opts), collectionPrefix: opts.collectionPrefix, logger });
  }
  const { SqliteVectorStore } = await import('./sqlite-vector-store.ts');
  logger.debug({ dataDir: opts.dataDir }, 'vector store: sqlite');
  return new SqliteVectorStore({ dataDir: opts.dataDir, ...(opts.sqlite ? { sqlite: opts.sqlite } : {}), ...dims(opts) });
}

function dims(o: CreateVectorStoreOptions) {
  return { chunkDimensions: o.chunkDimensions, accountDimensions: o.accountDimensions, ...(o.embeddingModel ? { embeddingModel: o.embeddingModel } : {}) };
}
