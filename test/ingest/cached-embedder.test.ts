import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqliteKv } from '../../src/cache/sqlite-kv.ts';
import { createEmbedder } from '../../src/ingest/create-embedder.ts';
import { CachedEmbedder, embeddingCacheKey } from '../../src/ingest/cached-embedder.ts';
import { OfflineHashEmbedder } from '../../src/ingest/embedders/offline-hash-embedder.ts';
import { startOpenAICompatibleServer, type OpenAICompatibleServer } from '../../src/testing/openai-compatible-server.ts';
import { describeRedis, uniqueName } from '../support/services.ts';
import { createRedisKv } from '../../src/cache/redis-kv.ts';
import { tempDir } from '../support/tmp.ts';

describe('CachedEmbedder', () => {
  let server: OpenAICompatibleServer;
  const tmp = tempDir('hsai-emb-');
  let cache: SqliteKv;
  beforeAll(async () => {
    server = await startOpenAICompatibleServer();
    cache = new SqliteKv({ dataDir: tmp.dir });
  });
  afterAll(async () => {
    await cache.close();
    await server.close();
    tmp.cleanup();
  });

  it("keys a portal's view by the portal: no portal is served another's cached vector, and its entries purge by prefix", async () => {
    const embedder = await createEmbedder({ provider: 'openai', model: 'text-embedding-3-small', dimensions: 64, baseURL: server.url, cache });
    const [a, b] = [embedder.forPortal!('901'), embedder.forPortal!('9011')];
    const calls = server.requests.length;
    expect((await a.embed(['shared words of two portals'])).cacheHits).toBe(0);
    expect((await b.embed(['shared words of two portals'])).cacheHits).toBe(0);
    expect(server.requests.length).toBe(calls + 2);
    expect((await a.embed(['shared words of two portals'])).cacheHits).toBe(1);
    expect(embeddingCacheKey('m', 8, 'x', '', '901')).toMatch(/^emb:p901:m:8:/);
    expect(await cache.deletePrefix('emb:p901:')).toBe(1);
    expect((await b.embed(['shared words of two portals'])).cacheHits).toBe(1);
    // A view shares the process-wide embedder: closing it leaves that one working.
    await a.close();
    expect((await embedder.embed(['still open'])).vectors).toHaveLength(1);
  });

  it('embeds only misses, once per distinct text, and reports hits and miss tokens', async () => {
    const embedder = await createEmbedder({ provider: 'openai', model: 'text-embedding-3-small', dimensions: 64, baseURL: server.url, cache });
    const first = await embedder.embed(['alpha beta', 'gamma', 'alpha beta']);
    expect(first.cacheHits).toBe(0);
    expect(server.requests.at(-1)!.body.input).toEqual(['alpha beta', 'gamma']);
    expect(first.tokens).toBe(server.requests.at(-1)!.tokenCount);
    expect(Array.from(first.vectors[2]!)).toEqual(Array.from(first.vectors[0]!));

    const calls = server.requests.length;
    const second = await embedder.embed(['gamma', 'delta', 'alpha beta']);
    expect(second.cacheHits).toBe(2);
    expect(server.requests.length).toBe(calls + 1);
    expect(server.requests.at(-1)!.body.input).toEqual(['delta']);
    expect(second.tokens).toBe(server.requests.at(-1)!.tokenCount);
    expect(Array.from(second.vectors[0]!)).toEqual(Array.from(first.vectors[1]!));

    const third = await embedder.embed(['gamma', 'delta']);
    expect(third).toMatchObject({ cacheHits: 2, tokens: 0 });
    expect(server.requests.length).toBe(calls + 1);
  });

  it('keys by model, dimensions and content hash, storing float32 bytes', async () => {
    const embedder = new CachedEmbedder(new OfflineHashEmbedder({ dimensions: 32 }), cache);
    const { vectors } = await embedder.embed(['hello world']);
    const key = embeddingCacheKey('offline-hash-v1', 32, 'hello world');
    expect(key).toMatch(/^emb:offline-hash-v1:32:[0-9a-f]{64}$/);
    const bytes = (await cache.get(key))!;
    expect(bytes.length).toBe(32 * 4);
    expect(Array.from(new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length)))).toEqual(Array.from(vectors[0]!));
    // Other dimensions are another key: a miss, not a wrongly-sized hit.
    const other = new CachedEmbedder(new OfflineHashEmbedder({ dimensions: 16 }), cache);
    expect((await other.embed(['hello world'])).cacheHits).toBe(0);
  });

  it('creates the offline embedder by default, unwrapped without a cache', async () => {
    const offline = await createEmbedder({ provider: 'offline', model: 'offline-hash-v1', dimensions: 384 });
    expect(offline).toBeInstanceOf(OfflineHashEmbedder);
    expect(offline).toMatchObject({ provider: 'offline', model: 'offline-hash-v1', dimensions: 384 });
  });

  it('caches a model, never the offline embedder (hashing a text costs less than a cache round trip)', async () => {
    const offline = await createEmbedder({ provider: 'offline', model: 'offline-hash-v1', dimensions: 24, cache });
    expect(offline).toBeInstanceOf(OfflineHashEmbedder);
    await offline.embed(['never cached offline']);
    expect(await cache.get(embeddingCacheKey('offline-hash-v1', 24, 'never cached offline'))).toBeNull();
    const model = await createEmbedder({ provider: 'openai', model: 'text-embedding-3-small', dimensions: 24, baseURL: server.url, cache });
    expect(model).toBeInstanceOf(CachedEmbedder);
    await model.embed(['cached for a model']);
    expect(await cache.get(embeddingCacheKey('text-embedding-3-small', 24, 'cached for a model'))).not.toBeNull();
  });
});

describeRedis('CachedEmbedder', (url) => {
  it('shares vectors through Redis', async () => {
    const kv = await createRedisKv({ url, keyPrefix: `${uniqueName('emb')}:` });
    const a = new CachedEmbedder(new OfflineHashEmbedder({ dimensions: 48 }), kv);
    const b = new CachedEmbedder(new OfflineHashEmbedder({ dimensions: 48 }), kv);
    const first = await a.embed(['renewal risk']);
    const second = await b.embed(['renewal risk']);
    expect(second.cacheHits).toBe(1);
    expect(Array.from(second.vectors[0]!)).toEqual(Array.from(first.vectors[0]!));
    await kv.close();
  });
});
