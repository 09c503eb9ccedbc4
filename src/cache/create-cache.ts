import type { Logger } from '../logging.ts';
import type { KeyValueCache } from './kv.ts';
import type { SqliteConnections } from '../db/sqlite.ts';

export interface CreateCacheOptions {
  /** REDIS_URL; unset selects the embedded SQLite cache. */
  redisUrl?: string;
  /** DATA_DIR: where the shared SQLite file lives. */
  dataDir: string;
  /** Redis only: prefix of every key (default `hsai:`). */
  keyPrefix?: string;
  logger?: Logger;
  /** SQLite only: the container's connection registry. */
  sqlite?: SqliteConnections;
}

/** The cache backend from config: Redis when REDIS_URL is set, the SQLite file under DATA_DIR otherwise. */
export async function createCache(opts: CreateCacheOptions): Promise<KeyValueCache> {
  if (opts.redisUrl) {
    const { createRedisKv } = await import('./redis-kv.ts');
    return createRedisKv({ url: opts.redisUrl, ...(opts.keyPrefix !== undefined ? { keyPrefix: opts.keyPrefix } : {}), ...(opts.logger ? { logger: opts.logger } : {}) });
  }
  const { SqliteKv } = await import('./sqlite-kv.ts');
  return new SqliteKv({ dataDir: opts.dataDir, ...(opts.sqlite ? { sqlite: opts.sqlite } : {}) });
}
