import { afterAll, describe, expect, it } from 'vitest';
import { bm25DocumentVector, bm25QueryVector, termIndex } from '../../src/retrieval/bm25-sparse.ts';
import { createVectorStore } from '../../src/retrieval/create-vector-store.ts';
import { accountFilter, accountPointId, chunkPointId } from '../../src/retrieval/qdrant-payload.ts';
import { toStoreError } from '../../src/retrieval/qdrant-vector-store.ts';
import { VectorStoreError } from '../../src/retrieval/retrieval-errors.ts';
import { describeQdrant, uniqueName } from '../support/services.ts';
import { CONTRACT_DIMS, chunk, vectorStoreContract } from './vector-store.contract.ts';

/**
 * The contract suite against Qdrant: in CI, Qdrant's own engine (qdrant-edge-py) behind the REST bridge in
 * test/support/qdrant-bridge, talked to by the real `@qdrant/js-client-rest`; anywhere, a real Qdrant
 * (`docker compose up qdrant`, QDRANT_URL=http://localhost:6333). Skipped locally without QDRANT_URL, never in CI.
 * Each store gets its own collection prefix, dropped after the run.
 */
describeQdrant('VectorStore on Qdrant', (url) => {
  const prefixes: string[] = [];
  afterAll(async () => {
    const { QdrantClient } = await import('@qdrant/js-client-rest');
    const client = new QdrantClient({ url, apiKey: process.env.QDRANT_API_KEY });
    for (const p of prefixes) for (const c of ['chunks', 'accounts']) await client.deleteCollection(`${p}${c}`).catch(() => undefined);
  });
  vectorStoreContract('qdrant', async () => {
    const collectionPrefix = `${uniqueName('t')}_`;
    prefixes.push(collectionPrefix);
    const store = await createVectorStore({
      qdrantUrl: url,
      qdrantApiKey: process.env.QDRANT_API_KEY,
      dataDir: '/nonexistent',
      collectionPrefix,
      ...CONTRACT_DIMS,
    });
    await store.init();
    return store;
  });

  // What the engine behind the bridge accepts but cannot show the effect of (tenant-keyed storage, quantized
  // search at scale): the collection as the server recorded it must say what the adapter asked for.
  it('asks for tenant indexes, a datetime index and binary quantization of large account vectors', async () => {
    const collectionPrefix = `${uniqueName('t')}_`;
    prefixes.push(collectionPrefix);
    const store = await createVectorStore({ qdrantUrl: url, dataDir: '/nonexistent', collectionPrefix, chunkDimensions: 16, accountDimensions: 1536 });
    await store.init();
    const { QdrantClient } = await import('@qdrant/js-client-rest');
    const client = new QdrantClient({ url, apiKey: process.env.QDRANT_API_KEY });
    const chunks = await client.getCollection(`${collectionPrefix}chunks`);
    expect(chunks.config.params.sparse_vectors).toEqual({ bm25: { modifier: 'idf' } });
    expect(chunks.payload_schema.portal_id).toMatchObject({ data_type: 'keyword', params: { type: 'keyword', is_tenant: true } });
    expect(chunks.payload_schema.account_id).toMatchObject({ data_type: 'keyword' });
    expect(chunks.payload_schema.occurred_at).toMatchObject({ data_type: 'datetime' });
    const accounts = await client.getCollection(`${collectionPrefix}accounts`);
    expect(accounts.config.quantization_config).toEqual({ binary: { always_ram: true } });
    expect(accounts.payload_schema.portal_id).toMatchObject({ params: { is_tenant: true } });
    expect(accounts.payload_schema.is_customer).toMatchObject({ data_type: 'bool' });
    await store.close();
  });

  it('makes the portal the tenant key of a collection built when the account was', async () => {
    const collectionPrefix = `${uniqueName('t')}_`;
    prefixes.push(collectionPrefix);
    const { QdrantClient } = await import('@qdrant/js-client-rest');
    const client = new QdrantClient({ url, apiKey: process.env.QDRANT_API_KEY });
    const store = await createVectorStore({ qdrantUrl: url, dataDir: '/nonexistent', collectionPrefix, ...CONTRACT_DIMS });
    await store.init();
    // The layout before: account_id the tenant key, portal_id a plain keyword index.
    const name = `${collectionPrefix}chunks`;
    await client.createPayloadIndex(name, { field_name: 'portal_id', field_schema: 'keyword', wait: true });
    await client.createPayloadIndex(name, { field_name: 'account_id', field_schema: { type: 'keyword', is_tenant: true }, wait: true });
    await store.init();
    const info = await client.getCollection(name);
    expect(info.payload_schema.portal_id).toMatchObject({ params: { is_tenant: true } });
    await store.close();
  });

  it('refuses to open collections built with another embedding model', async () => {
    const collectionPrefix = `${uniqueName('t')}_`;
    prefixes.push(collectionPrefix);
    const open = async (embeddingModel: string) => {
      const store = await createVectorStore({ qdrantUrl: url, dataDir: '/nonexistent', collectionPrefix, embeddingModel, ...CONTRACT_DIMS });
      await store.init();
      return store;
    };
    const first = await open('model-a');
    await first.upsertChunks([chunk({ portalId: 'p', accountId: 'a', id: 'c1', embeddingModel: 'model-a' })]);
    await expect(open('model-b')).rejects.toThrow(/"model-a" but the embedder is now "model-b"[\s\S]*backfill --reindex/);
    const other = await createVectorStore({ qdrantUrl: url, dataDir: '/nonexistent', collectionPrefix, chunkDimensions: 32, accountDimensions: 24 });
    await expect(other.init()).rejects.toThrow(/holds 16-dimensional chunk vectors but the embedder now produces 32/);
  });
});

describe('Qdrant adapter pieces that need no server', () => {
  it('derives deterministic, portal-scoped UUIDv5 point ids', () => {
    expect(chunkPointId('p1', 'c1')).toBe(chunkPointId('p1', 'c1'));
    expect(chunkPointId('p1', 'c1')).not.toBe(chunkPointId('p2', 'c1'));
    expect(accountPointId('p1', '42')).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(accountPointId('p1', '42')).not.toBe(chunkPointId('p1', '42'));
  });

  it('computes BM25 sparse vectors with saturating term frequency and length normalization', () => {
    const short = bm25DocumentVector('SSO pricing');
    const long = bm25DocumentVector(`SSO ${'filler words here '.repeat(100)}`);
    const sso = termIndex('sso');
    const w = (v: { indices: number[]; values: number[] }) => v.values[v.indices.indexOf(sso)]!;
    expect(w(short)).toBeGreaterThan(w(long));
    const twice = bm25DocumentVector('SSO SSO pricing');
    expect(w(twice)).toBeGreaterThan(w(short));
    expect(w(twice)).toBeLessThan(2 * w(short));
    expect(bm25QueryVector('the SSO and sso')).toEqual({ indices: [sso], values: [1] });
    expect([...short.indices]).toEqual([...short.indices].sort((a, b) => a - b));
  });

  it('builds account filters with normalized keys and excluded ids', () => {
    expect(accountFilter('p', { industry: ' Fintech ', excludeCustomers: true, excludeAccountIds: ['1'] })).toEqual({
      must: [
        { key: 'portal_id', match: { value: 'p' } },
        { key: 'industry_key', match: { value: 'fintech' } },
        { key: 'is_customer', match: { value: false } },
      ],
      must_not: [{ has_id: [accountPointId('p', '1')] }],
    });
  });

  it('maps client errors to retryable or permanent VectorStoreErrors', () => {
    const e429 = toStoreError('upsert', new Error('Unexpected Response: 429 (Too Many Requests)\nRaw response content:'));
    expect(e429).toBeInstanceOf(VectorStoreError);
    expect(e429).toMatchObject({ code: 'VECTOR_STORE_ERROR', retryable: true, status: 429 });
    expect(toStoreError('query', new Error('Unexpected Response: 400 (Bad Request)'))).toMatchObject({ retryable: false, status: 400 });
    expect(toStoreError('query', new TypeError('fetch failed')).retryable).toBe(true);
  });

  it('creates the embedded store when no QDRANT_URL is given', async () => {
    const { tempDir } = await import('../support/tmp.ts');
    const tmp = tempDir();
    const store = await createVectorStore({ dataDir: tmp.dir, ...CONTRACT_DIMS });
    expect(store.kind).toBe('sqlite');
    await store.init();
    await store.close();
    tmp.cleanup();
  });
});
