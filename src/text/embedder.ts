import type { EmbedRole } from './embedding-models.ts';

export type { EmbedRole } from './embedding-models.ts';

/**
 * Embedding port. Adapters: the offline hashing embedder (deterministic, lexical, NOT semantic; the embedded
 * default) and OpenAI (or any OpenAI-compatible server). Wrapped by the cache (`cached-embedder.ts`).
 */
export interface EmbeddingResult {
  vectors: Float32Array[];
  /** Tokens billed by the provider for this call (0 for cache hits and the offline embedder reports its count). */
  tokens: number;
  /** How many inputs were answered from the cache. */
  cacheHits: number;
}

export interface Embedder {
  readonly provider: 'offline' | 'openai';
  readonly model: string;
  readonly dimensions: number;
  /**
   * Embeds texts, preserving order. `role` (default `document`) picks the model's query or document prefix:
   * queries and the passages they should find are embedded differently by asymmetric models (e5, bge, nomic).
   * Throws an AppError subclass on failure.
   */
  embed(texts: string[], role?: EmbedRole): Promise<EmbeddingResult>;
  /** What besides the text distinguishes this role's vectors ('' when none): part of the embedding cache key. */
  cacheTag(role: EmbedRole): string;
  /**
   * The same embedder for one HubSpot portal: its cache entries are keyed by the portal, so purging the portal
   * removes them (and no portal is served another's cached vector). Absent when nothing is cached.
   */
  forPortal?(portalId: string): Embedder;
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** The portal's view of an embedder (its cache keyed by the portal), or the embedder itself when it caches nothing. */
export function portalEmbedder(e: Embedder, portalId: string): Embedder {
  return e.forPortal?.(portalId) ?? e;
}
