import type { SourceType } from '../core/objects.ts';

/**
 * The vector store port. One contract suite (test/retrieval/vector-store.contract.ts) runs against every
 * adapter: the embedded SQLite + sqlite-vec store and Qdrant.
 *
 * Tenancy: every call is scoped by `portalId`; chunk searches are scoped to one account.
 */

export interface ChunkPayload {
  /** UUIDv5 of (portal, account, source object type, source id, chunk index): deterministic. */
  id: string;
  portalId: string;
  accountId: string;
  sourceType: SourceType;
  /** `<objectType>:<id>`, e.g. `notes:123`, `companies:42`. */
  sourceId: string;
  chunkIndex: number;
  /** Other objects the source is associated with, as `<objectType>:<id>`. */
  relatedIds: string[];
  /** ISO timestamp of the activity. */
  occurredAt: string;
  direction: 'inbound' | 'outbound' | null;
  speakers: string[];
  /** The chunk text including its header line(s). */
  text: string;
  /** Hash of the chunk text (and embedding model): unchanged content is never re-embedded or re-written. */
  contentHash: string;
  embeddingModel: string;
}

export interface ChunkRecord extends ChunkPayload {
  vector: Float32Array;
}

/** Backend-neutral filter for chunk searches. */
export interface ChunkFilter {
  sourceTypes?: SourceType[];
  /** ISO bounds on occurredAt. */
  since?: string;
  until?: string;
  sourceIds?: string[];
}

export interface ChunkHit {
  chunk: ChunkPayload;
  /** Higher is better. Dense: cosine similarity; BM25: the normalized BM25 score. */
  score: number;
}

export interface ChunkKey {
  id: string;
  sourceId: string;
  contentHash: string;
}

export interface AccountProfile {
  portalId: string;
  accountId: string;
  name: string;
  industry: string | null;
  sizeBand: string | null;
  lifecycle: string | null;
  isCustomer: boolean;
  /** Salient terms of the account's history, used to explain similarity. */
  topics: string[];
  updatedAt: string;
  contentHash: string;
  embeddingModel: string;
  vector: Float32Array;
}

export type AccountProfilePayload = Omit<AccountProfile, 'vector'>;

export interface AccountFilter {
  industry?: string;
  sizeBand?: string;
  lifecycle?: string;
  excludeCustomers?: boolean;
  excludeAccountIds?: string[];
}

export interface AccountHit {
  profile: AccountProfilePayload;
  score: number;
}

export interface VectorStoreStats {
  accounts: number;
  chunks: number;
  chunksBySourceType: Partial<Record<SourceType, number>>;
}

export interface VectorStore {
  readonly kind: 'sqlite' | 'qdrant';
  /** Creates collections/tables and indexes if missing. Idempotent. */
  init(): Promise<void>;
  /**
   * Inserts or replaces chunks by id; resolves once a read sees them (a generation reads right after the ingest
   * that wrote its context).
   */
  upsertChunks(chunks: ChunkRecord[]): Promise<void>;
  deleteChunks(portalId: string, ids: string[]): Promise<void>;
  /**
   * Deletes every chunk of these sources (`notes:123`) in every account of the portal: a deleted or merged
   * engagement must vanish from all the accounts it was associated with, which the caller may not know.
   */
  deleteSources(portalId: string, sourceIds: string[]): Promise<void>;
  /**
   * The accounts holding chunks of any of these sources, sorted: where a deleted, merged or re-associated
   * source is indexed, found by the store's source index instead of a walk over every account.
   */
  accountsHoldingSources(portalId: string, sourceIds: string[]): Promise<string[]>;
  /** Keys of every chunk stored for an account (for incremental reconciliation). */
  listChunkKeys(portalId: string, accountId: string): Promise<ChunkKey[]>;
  /** Every account id that has chunks or a profile. */
  listAccounts(portalId: string): Promise<string[]>;
  deleteAccount(portalId: string, accountId: string): Promise<void>;
  getChunks(portalId: string, ids: string[]): Promise<ChunkPayload[]>;
  /** Dense nearest neighbours within one account. */
  searchDense(portalId: string, accountId: string, vector: Float32Array, k: number, filter?: ChunkFilter): Promise<ChunkHit[]>;
  /** BM25 keyword search within one account. */
  searchKeyword(portalId: string, accountId: string, query: string, k: number, filter?: ChunkFilter): Promise<ChunkHit[]>;
  /** Keyword search over all accounts of the portal (for "accounts whose history matches"). */
  searchKeywordAll(portalId: string, query: string, k: number): Promise<ChunkHit[]>;
  /** Dense search over all accounts of the portal. */
  searchDenseAll(portalId: string, vector: Float32Array, k: number): Promise<ChunkHit[]>;
  upsertProfiles(profiles: AccountProfile[]): Promise<void>;
  getProfile(portalId: string, accountId: string): Promise<AccountProfile | null>;
  nearestAccounts(portalId: string, vector: Float32Array, k: number, filter?: AccountFilter): Promise<AccountHit[]>;
  stats(portalId: string): Promise<VectorStoreStats>;
  /**
   * Drops every chunk and profile of every portal and recreates the empty schema with the dimensions given at
   * construction: the way to reindex after the embedding model changed (init() refuses a dimension mismatch).
   */
  reset(): Promise<void>;
  ping(): Promise<void>;
  close(): Promise<void>;
}
