import type { QdrantClient, Schemas } from '@qdrant/js-client-rest';
import type { SourceType } from '../core/objects.ts';
import { silentLogger, type Logger } from '../logging.ts';
import { bm25DocumentVector, bm25QueryVector } from './bm25-sparse.ts';
import { normalizeBm25 } from './fts-query.ts';
import {
  ACCOUNT_INDEXES, CHUNK_INDEXES, accountFilter, accountPointId, chunkFilter, chunkPointId, chunkToPayload, payloadToChunk,
  payloadToProfile, profileToPayload,
} from './qdrant-payload.ts';
import { EmbeddingModelChangedError, REINDEX_HINT, VectorStoreError } from './retrieval-errors.ts';
import type {
  AccountFilter, AccountHit, AccountProfile, ChunkFilter, ChunkHit, ChunkKey, ChunkPayload, ChunkRecord, VectorStore,
  VectorStoreStats,
} from './vector-store.ts';

export interface QdrantVectorStoreOptions {
  client: QdrantClient;
  chunkDimensions: number;
  accountDimensions: number;
  /** The embedder's model: collections holding another model's vectors (even of the same size) are refused. */
  embeddingModel?: string;
  /** Prefix of the two collection names (`<prefix>chunks`, `<prefix>accounts`); tests use a unique one. */
  collectionPrefix?: string;
  /** Points per upsert request: 64–256 is what Qdrant recommends for bulk loads. */
  batchSize?: number;
  logger?: Logger;
}

const DENSE = 'dense';
const SPARSE = 'bm25';
const SCROLL_PAGE = 1000;

/**
 * The production vector store. Thin on purpose: the contract suite covers its logic whenever QDRANT_URL is set.
 * One `chunks` and one `accounts` collection hold every portal (multitenancy by payload, tenant keys indexed
 * with `is_tenant`); dense search uses the named vector `dense`, BM25 the sparse vector `bm25` with Qdrant's IDF
 * modifier (bm25-sparse.ts). Foreign errors become VectorStoreError (retryable on 429, 5xx, timeouts).
 */
export class QdrantVectorStore implements VectorStore {
  readonly kind = 'qdrant' as const;
  private readonly client: QdrantClient;
  private readonly chunks: string;
  private readonly accounts: string;
  private readonly batchSize: number;
  private readonly logger: Logger;

  constructor(private readonly opts: QdrantVectorStoreOptions) {
    this.client = opts.client;
    this.chunks = `${opts.collectionPrefix ?? ''}chunks`;
    this.accounts = `${opts.collectionPrefix ?? ''}accounts`;
    this.batchSize = Math.min(256, Math.max(64, opts.batchSize ?? 128));
    this.logger = opts.logger ?? silentLogger;
  }

  async init(): Promise<void> {
    await this.ensureCollection(this.chunks, 'chunk', this.opts.chunkDimensions, {
      vectors: { [DENSE]: { size: this.opts.chunkDimensions, distance: 'Cosine' } },
      sparse_vectors: { [SPARSE]: { modifier: 'idf' } },
    });
    // Binary quantization pays off from ~1k dimensions (OpenAI's 1536); queries rescore with the float vectors.
    const quantize = this.opts.accountDimensions >= 1024;
    await this.ensureCollection(this.accounts, 'account profile', this.opts.accountDimensions, {
      vectors: { [DENSE]: { size: this.opts.accountDimensions, distance: 'Cosine' } },
      ...(quantize ? { quantization_config: { binary: { always_ram: true } } } : {}),
    });
    if (this.opts.embeddingModel) await this.checkModel(this.opts.embeddingModel);
    for (const ix of CHUNK_INDEXES) await this.call('createPayloadIndex', () => this.client.createPayloadIndex(this.chunks, { field_name: ix.field, field_schema: ix.schema, wait: true }));
    for (const ix of ACCOUNT_INDEXES) await this.call('createPayloadIndex', () => this.client.createPayloadIndex(this.accounts, { field_name: ix.field, field_schema: ix.schema, wait: true }));
  }

  async reset(): Promise<void> {
    for (const name of [this.chunks, this.accounts]) await this.call('deleteCollection', () => this.client.deleteCollection(name));
    await this.init();
  }

  async upsertChunks(chunks: ChunkRecord[]): Promise<void> {
    for (const c of chunks) {
      if (c.vector.length !== this.opts.chunkDimensions) {
        throw new RangeError(`chunk ${c.id}: vector has ${c.vector.length} dimensions, the store expects ${this.opts.chunkDimensions}`);
      }
    }
    for (let i = 0; i < chunks.length; i += this.batchSize) {
      const points = chunks.slice(i, i + this.batchSize).map(({ vector, ...payload }) => ({
        id: chunkPointId(payload.portalId, payload.id),
        vector: { [DENSE]: Array.from(vector), [SPARSE]: bm25DocumentVector(payload.text) },
        payload: chunkToPayload(payload),
      }));
      // wait: the port promises read-after-write (an agent reads what its ingest just wrote).
      await this.call('upsert', () => this.client.upsert(this.chunks, { wait: true, points }));
    }
  }

  async deleteChunks(portalId: string, ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.call('delete', () => this.client.delete(this.chunks, { wait: true, points: ids.map((id) => chunkPointId(portalId, id)) }));
  }

  async deleteSources(portalId: string, sourceIds: string[]): Promise<void> {
    if (sourceIds.length === 0) return;
    await this.call('delete', () => this.client.delete(this.chunks, { wait: true, filter: chunkFilter(portalId, null, { sourceIds }) }));
  }

  async accountsHoldingSources(portalId: string, sourceIds: string[]): Promise<string[]> {
    if (sourceIds.length === 0) return [];
    // Facet counts over the account_id keyword index, restricted to the sources: one request, no point scan.
    const facet = await this.call('facet', () =>
      this.client.facet(this.chunks, { key: 'account_id', filter: chunkFilter(portalId, null, { sourceIds }), limit: 1_000_000, exact: true }),
    );
    return facet.hits.map((h) => String(h.value)).sort();
  }

  async deleteAccount(portalId: string, accountId: string): Promise<void> {
    await this.call('delete', () => this.client.delete(this.chunks, { wait: true, filter: chunkFilter(portalId, accountId) }));
    await this.call('delete', () => this.client.delete(this.accounts, { wait: true, points: [accountPointId(portalId, accountId)] }));
  }

  async listChunkKeys(portalId: string, accountId: string): Promise<ChunkKey[]> {
    const keys: ChunkKey[] = [];
    await this.scroll(this.chunks, chunkFilter(portalId, accountId), ['chunk_id', 'source_id', 'content_hash'], (p) => {
      keys.push({ id: String(p.chunk_id), sourceId: String(p.source_id), contentHash: String(p.content_hash) });
    });
    return keys;
  }

  async listAccounts(portalId: string): Promise<string[]> {
    const ids = new Set<string>();
    const facet = await this.call('facet', () =>
      this.client.facet(this.chunks, { key: 'account_id', filter: chunkFilter(portalId, null), limit: 1_000_000, exact: true }),
    );
    for (const h of facet.hits) ids.add(String(h.value));
    await this.scroll(this.accounts, accountFilter(portalId), ['account_id'], (p) => ids.add(String(p.account_id)));
    return [...ids].sort();
  }

  async getChunks(portalId: string, ids: string[]): Promise<ChunkPayload[]> {
    if (ids.length === 0) return [];
    const points = await this.call('retrieve', () =>
      this.client.retrieve(this.chunks, { ids: ids.map((id) => chunkPointId(portalId, id)), with_payload: true, with_vector: false }),
    );
    const byId = new Map(points.map((p) => [String(p.payload?.chunk_id), payloadToChunk(p.payload)]));
    return ids.flatMap((id) => byId.get(id) ?? []);
  }

  async searchDense(portalId: string, accountId: string, vector: Float32Array, k: number, filter?: ChunkFilter): Promise<ChunkHit[]> {
    return this.queryChunks(Array.from(vector), DENSE, chunkFilter(portalId, accountId, filter), k, (s) => s);
  }

  async searchDenseAll(portalId: string, vector: Float32Array, k: number): Promise<ChunkHit[]> {
    return this.queryChunks(Array.from(vector), DENSE, chunkFilter(portalId, null), k, (s) => s);
  }

  async searchKeyword(portalId: string, accountId: string, query: string, k: number, filter?: ChunkFilter): Promise<ChunkHit[]> {
    const q = bm25QueryVector(query);
    if (q.indices.length === 0) return [];
    return this.queryChunks(q, SPARSE, chunkFilter(portalId, accountId, filter), k, (s) => normalizeBm25(-s));
  }

  async searchKeywordAll(portalId: string, query: string, k: number): Promise<ChunkHit[]> {
    const q = bm25QueryVector(query);
    if (q.indices.length === 0) return [];
    return this.queryChunks(q, SPARSE, chunkFilter(portalId, null), k, (s) => normalizeBm25(-s));
  }

  async upsertProfiles(profiles: AccountProfile[]): Promise<void> {
    for (let i = 0; i < profiles.length; i += this.batchSize) {
      const points = profiles.slice(i, i + this.batchSize).map((p) => {
        if (p.vector.length !== this.opts.accountDimensions) {
          throw new RangeError(`account ${p.accountId}: vector has ${p.vector.length} dimensions, the store expects ${this.opts.accountDimensions}`);
        }
        return { id: accountPointId(p.portalId, p.accountId), vector: { [DENSE]: Array.from(p.vector) }, payload: profileToPayload(p) };
      });
      await this.call('upsert', () => this.client.upsert(this.accounts, { wait: true, points }));
    }
  }

  async getProfile(portalId: string, accountId: string): Promise<AccountProfile | null> {
    const [point] = await this.call('retrieve', () =>
      this.client.retrieve(this.accounts, { ids: [accountPointId(portalId, accountId)], with_payload: true, with_vector: true }),
    );
    if (!point) return null;
    const dense = (point.vector as Record<string, unknown> | null | undefined)?.[DENSE] as number[] | undefined;
    return { ...payloadToProfile(point.payload), vector: Float32Array.from(dense ?? []) };
  }

  async nearestAccounts(portalId: string, vector: Float32Array, k: number, filter?: AccountFilter): Promise<AccountHit[]> {
    if (k <= 0) return [];
    const res = await this.call('query', () =>
      this.client.query(this.accounts, {
        query: Array.from(vector),
        using: DENSE,
        filter: accountFilter(portalId, filter),
        limit: k,
        with_payload: true,
        params: { quantization: { rescore: true, oversampling: 4 } },
      }),
    );
    return res.points.map((p) => ({ profile: payloadToProfile(p.payload), score: p.score }));
  }

  async stats(portalId: string): Promise<VectorStoreStats> {
    const [accounts, facet] = await Promise.all([
      this.call('count', () => this.client.count(this.accounts, { filter: accountFilter(portalId), exact: true })),
      this.call('facet', () => this.client.facet(this.chunks, { key: 'source_type', filter: chunkFilter(portalId, null), limit: 100, exact: true })),
    ]);
    const chunksBySourceType: Partial<Record<SourceType, number>> = {};
    let chunks = 0;
    for (const h of facet.hits) {
      chunksBySourceType[String(h.value) as SourceType] = h.count;
      chunks += h.count;
    }
    return { accounts: accounts.count, chunks, chunksBySourceType };
  }

  async ping(): Promise<void> {
    await this.call('getCollections', () => this.client.getCollections());
  }

  async close(): Promise<void> {
    // The REST client holds no connection of its own to release.
  }

  private async queryChunks(
    query: number[] | { indices: number[]; values: number[] },
    using: string,
    filter: Schemas['Filter'],
    k: number,
    score: (raw: number) => number,
  ): Promise<ChunkHit[]> {
    if (k <= 0) return [];
    const res = await this.call('query', () => this.client.query(this.chunks, { query, using, filter, limit: k, with_payload: true }));
    return res.points.map((p) => ({ chunk: payloadToChunk(p.payload), score: score(p.score) }));
  }

  private async scroll(collection: string, filter: Schemas['Filter'], fields: string[], each: (payload: Record<string, unknown>) => void): Promise<void> {
    let offset: Schemas['ExtendedPointId'] | undefined;
    do {
      const page = await this.call('scroll', () =>
        this.client.scroll(collection, { filter, limit: SCROLL_PAGE, offset, with_payload: { include: fields }, with_vector: false }),
      );
      for (const p of page.points) each(p.payload ?? {});
      const next = page.next_page_offset;
      offset = next === null || next === undefined ? undefined : (next as Schemas['ExtendedPointId']);
    } while (offset !== undefined);
  }

  /** One stored chunk names the model its vectors came from (every chunk carries it). */
  private async checkModel(wanted: string): Promise<void> {
    const page = await this.call('scroll', () =>
      this.client.scroll(this.chunks, { limit: 1, with_payload: { include: ['embedding_model'] }, with_vector: false }),
    );
    const stored = page.points[0]?.payload?.embedding_model;
    if (typeof stored === 'string' && stored !== wanted) throw new EmbeddingModelChangedError('chunk', stored, wanted, REINDEX_HINT);
  }

  private async ensureCollection(name: string, what: string, size: number, config: Parameters<QdrantClient['createCollection']>[1]): Promise<void> {
    const { exists } = await this.call('collectionExists', () => this.client.collectionExists(name));
    if (!exists) {
      try {
        await this.client.createCollection(name, config);
        this.logger.info({ collection: name, size }, 'created Qdrant collection');
        return;
      } catch (err) {
        // Another worker may have created it between our check and our create: fall through to the check.
        if (statusOf(err) !== 409) throw toStoreError('createCollection', err);
      }
    }
    const info = await this.call('getCollection', () => this.client.getCollection(name));
    const vectors = info.config.params.vectors as Record<string, { size?: number }> | undefined;
    const stored = vectors?.[DENSE]?.size;
    if (stored !== undefined && stored !== size) throw new EmbeddingModelChangedError(what, stored, size, REINDEX_HINT);
  }

  private async call<T>(op: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw toStoreError(op, err);
    }
  }
}

function statusOf(err: unknown): number | undefined {
  if (err && typeof err === 'object' && 'status' in err && typeof err.status === 'number') return err.status;
  const m = /Unexpected Response: (\d{3})/.exec(err instanceof Error ? err.message : '');
  return m ? Number(m[1]) : undefined;
}

export function toStoreError(op: string, err: unknown): VectorStoreError {
  if (err instanceof VectorStoreError) return err;
  const status = statusOf(err);
  const name = err instanceof Error ? err.name : '';
  const timeout = name.includes('Timeout') || name === 'AbortError';
  const network = err instanceof TypeError; // fetch failed: connection refused, DNS
  const exhausted = name === 'QdrantClientResourceExhaustedError';
  const retryable = timeout || network || exhausted || status === 429 || (status !== undefined && status >= 500);
  const message = err instanceof Error ? err.message.split('\n')[0] : String(err);
  return new VectorStoreError(`Qdrant ${op} failed${status ? ` (${status})` : ''}: ${message}`, { cause: err, retryable, status });
}
