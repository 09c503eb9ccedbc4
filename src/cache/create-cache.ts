import type { Logger } from '../logging.ts';
import type { KeyValueCache } from './kv.ts';

export interface CreateCacheOptions {
  /** REDIS_URL; unset selects the embedded SQLite cache. */
  redisUrl?: string;
  /** DATA_DIR: where the shared SQLite file lives. */
  dataDir: string;
  /** Redis only: prefix of every key (default `hsai:`). */
  keyPrefix?: string;
  logger?: Logger;
}

/** The cache backend from config: Redis when REDIS_URL is set, the SQLite file under DATA_DIR otherwise. */
export async function createCache(opts: CreateCacheOptions): Promise<KeyValueCache> {
  if (opts.redisUrl) {
    const { createRedisKv } = await import('./redis-kv.ts');
    return createRedisKv({ url: opts.redisUrl, ...(opts.keyPrefix !== undefined ? { keyPrefix: opts.keyPrefix } : {}), ...(opts.logger ? { logger: opts.logger } : {}) });
  }
  const { SqliteKv } = await import('./sqlite-kv.ts');
  return new SqliteKv({ dataDir: opts.dataDir });
}
