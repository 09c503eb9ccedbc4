import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.ts';
import { silentLogger } from '../../src/logging.ts';
import { createContainer } from '../../src/runtime/container.ts';
import { SqliteKv } from '../../src/cache/sqlite-kv.ts';
import { createRedisKv } from '../../src/cache/redis-kv.ts';
import { embeddingCacheKey } from '../../src/ingest/cached-embedder.ts';
import { responseCacheKey } from '../../src/agents/response-cache.ts';
import { describeRedis, uniqueName } from '../support/services.ts';
import { tempDir } from '../support/tmp.ts';

const tmp = tempDir('hsai-sweep-');
afterAll(() => tmp.cleanup());

const legacyEmb = embeddingCacheKey('offline-hash-v1', 384, 'text of a portal purged long ago');
const legacyLlm = responseCacheKey({ model: 'openai:gpt-4o-mini', promptVersion: 'v1', schemaName: 'S', messages: [{ role: 'user', content: 'old' }] });
const scoped = embeddingCacheKey('offline-hash-v1', 384, 'text of portal 7', '', '7');
const v = Buffer.from('v');

describe('a process opening the cache sweeps what was cached before portals keyed it', () => {
  it('embedded: the unscoped entries in the data directory are gone once the container has its cache', async () => {
    const before = new SqliteKv({ dataDir: tmp.dir });
    await before.setMany([{ key: legacyEmb, value: v }, { key: legacyLlm, value: v }, { key: scoped, value: v }]);
    await before.close();

    const c = createContainer(loadConfig({ DATA_DIR: tmp.dir, HUBSPOT_ACCESS_TOKEN: 'unused', REDIS_URL: '', DATABASE_URL: '', QDRANT_URL: '' }), silentLogger);
    try {
      const cache = await c.cache();
      expect(await cache.getMany([legacyEmb, legacyLlm, scoped])).toEqual([null, null, v]);
    } finally {
      await c.close();
    }
  });
});

describeRedis('a process opening the Redis cache sweeps it once', (url) => {
  it('deletes the unscoped entries under its REDIS_PREFIX and leaves other deployments sharing the Redis alone', async () => {
    const prefix = uniqueName('sweep');
    const other = uniqueName('sweep-other');
    const mine = await createRedisKv({ url, keyPrefix: `${prefix}:` });
    const theirs = await createRedisKv({ url, keyPrefix: `${other}:` });
    await mine.setMany([{ key: legacyEmb, value: v }, { key: legacyLlm, value: v }, { key: scoped, value: v }]);
    await theirs.set(legacyEmb, v);

    const c = createContainer(
      loadConfig({ DATA_DIR: tmp.dir, HUBSPOT_ACCESS_TOKEN: 'unused', REDIS_URL: url, REDIS_PREFIX: prefix, DATABASE_URL: '', QDRANT_URL: '' }),
      silentLogger,
    );
    try {
      await c.cache();
      expect(await mine.getMany([legacyEmb, legacyLlm, scoped])).toEqual([null, null, v]);
      expect(await theirs.get(legacyEmb)).toEqual(v);
    } finally {
      await c.close();
      await mine.deletePrefix('');
      await theirs.deletePrefix('');
      await mine.close();
      await theirs.close();
    }
  });
});
