import type { Schemas } from '@qdrant/js-client-rest';
import { v5 as uuidv5 } from 'uuid';
import type { SourceType } from '../core/objects.ts';
import { filterKey } from './firmographics.ts';
import type { AccountFilter, AccountProfile, AccountProfilePayload, ChunkFilter, ChunkPayload } from './vector-store.ts';

/**
 * Mapping between the port's types and Qdrant points: deterministic point ids, payloads, filters.
 * Payload keys are snake_case and part of the stored format (payload indexes are declared on them).
 */

/** Fixed namespaces: changing them would orphan every stored point. */
const CHUNK_POINT_NS = '6f1d2c3b-8a4e-5f60-9b7c-1d2e3f4a5b6c';
const ACCOUNT_POINT_NS = '0b9e8d7c-6a5f-5e4d-8c3b-2a1f0e9d8c7b';

/** UUIDv5 of (portal, chunk id): the same chunk always lands on the same point, so re-ingest never duplicates. */
export function chunkPointId(portalId: string, chunkId: string): string {
  return uuidv5(`${portalId}\u0000${chunkId}`, CHUNK_POINT_NS);
}

export function accountPointId(portalId: string, accountId: string): string {
  return uuidv5(`${portalId}\u0000${accountId}`, ACCOUNT_POINT_NS);
}

export function chunkToPayload(c: ChunkPayload): Record<string, unknown> {
  return {
    portal_id: c.portalId,
    account_id: c.accountId,
    chunk_id: c.id,
    source_type: c.sourceType,
    source_id: c.sourceId,
    chunk_index: c.chunkIndex,
    related_ids: c.relatedIds,
    occurred_at: new Date(c.occurredAt).toISOString(),
    occurred_at_raw: c.occurredAt,
    direction: c.direction,
    speakers: c.speakers,
    text: c.text,
    content_hash: c.contentHash,
    embedding_model: c.embeddingModel,
  };
}

export function payloadToChunk(p: Record<string, unknown> | null | undefined): ChunkPayload {
  const x = p ?? {};
  return {
    id: str(x.chunk_id),
    portalId: str(x.portal_id),
    accountId: str(x.account_id),
    sourceType: x.source_type as SourceType,
    sourceId: str(x.source_id),
    chunkIndex: Number(x.chunk_index),
    relatedIds: (x.related_ids as string[] | undefined) ?? [],
    occurredAt: str(x.occurred_at_raw ?? x.occurred_at),
    direction: (x.direction as ChunkPayload['direction']) ?? null,
    speakers: (x.speakers as string[] | undefined) ?? [],
    text: str(x.text),
    contentHash: str(x.content_hash),
    embeddingModel: str(x.embedding_model),
  };
}

export function profileToPayload(p: AccountProfile): Record<string, unknown> {
  return {
    portal_id: p.portalId,
    account_id: p.accountId,
    name: p.name,
    industry: p.industry,
    size_band: p.sizeBand,
    lifecycle: p.lifecycle,
    industry_key: filterKey(p.industry),
    size_band_key: filterKey(p.sizeBand),
    lifecycle_key: filterKey(p.lifecycle),
    is_customer: p.isCustomer,
    topics: p.topics,
    updated_at: p.updatedAt,
    content_hash: p.contentHash,
    embedding_model: p.embeddingModel,
  };
}

export function payloadToProfile(p: Record<string, unknown> | null | undefined): AccountProfilePayload {
  const x = p ?? {};
  return {
    portalId: str(x.portal_id),
    accountId: str(x.account_id),
    name: str(x.name),
    industry: (x.industry as string | null) ?? null,
    sizeBand: (x.size_band as string | null) ?? null,
    lifecycle: (x.lifecycle as string | null) ?? null,
    isCustomer: x.is_customer === true,
    topics: (x.topics as string[] | undefined) ?? [],
    updatedAt: str(x.updated_at),
    contentHash: str(x.content_hash),
    embeddingModel: str(x.embedding_model),
  };
}

/** Payload values back to strings without ever printing `[object Object]`. */
function str(v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return '';
}

type Condition = Schemas['Condition'];

const match = (key: string, value: string | boolean): Condition => ({ key, match: { value } });

export function chunkFilter(portalId: string, accountId: string | null, f: ChunkFilter = {}): Schemas['Filter'] {
  const must: Condition[] = [match('portal_id', portalId)];
  if (accountId !== null) must.push(match('account_id', accountId));
  if (f.sourceTypes?.length) must.push({ key: 'source_type', match: { any: f.sourceTypes } });
  if (f.sourceIds?.length) must.push({ key: 'source_id', match: { any: f.sourceIds } });
  if (f.since || f.until) {
    must.push({
      key: 'occurred_at',
      range: { gte: f.since ? new Date(f.since).toISOString() : undefined, lte: f.until ? new Date(f.until).toISOString() : undefined },
    });
  }
  return { must };
}

export function accountFilter(portalId: string, f: AccountFilter = {}): Schemas['Filter'] {
  const must: Condition[] = [match('portal_id', portalId)];
  if (f.industry) must.push(match('industry_key', filterKey(f.industry)));
  if (f.sizeBand) must.push(match('size_band_key', filterKey(f.sizeBand)));
  if (f.lifecycle) must.push(match('lifecycle_key', filterKey(f.lifecycle)));
  if (f.excludeCustomers) must.push(match('is_customer', false));
  const must_not: Condition[] = f.excludeAccountIds?.length ? [{ has_id: f.excludeAccountIds.map((id) => accountPointId(portalId, id)) }] : [];
  return must_not.length ? { must, must_not } : { must };
}

/**
 * Payload indexes, created before the first upsert (Qdrant builds filterable HNSW links only for indexed keys).
 * The portal is the tenant key of both collections (`is_tenant`: Qdrant stores each portal's points together);
 * every filter the adapter builds starts with it, so no query reads across portals.
 */
export const CHUNK_INDEXES: Array<{ field: string; schema: Schemas['PayloadFieldSchema'] }> = [
  { field: 'portal_id', schema: { type: 'keyword', is_tenant: true } },
  { field: 'account_id', schema: 'keyword' },
  { field: 'occurred_at', schema: 'datetime' },
  { field: 'source_id', schema: 'keyword' },
  { field: 'source_type', schema: 'keyword' },
  { field: 'chunk_id', schema: 'keyword' },
];

export const ACCOUNT_INDEXES: Array<{ field: string; schema: Schemas['PayloadFieldSchema'] }> = [
  { field: 'portal_id', schema: { type: 'keyword', is_tenant: true } },
  { field: 'account_id', schema: 'keyword' },
  { field: 'industry_key', schema: 'keyword' },
  { field: 'size_band_key', schema: 'keyword' },
  { field: 'lifecycle_key', schema: 'keyword' },
  { field: 'is_customer', schema: 'bool' },
];
