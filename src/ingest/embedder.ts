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
  /** Embeds texts, preserving order. Throws an AppError subclass on failure. */
  embed(texts: string[]): Promise<EmbeddingResult>;
  ping(): Promise<void>;
  close(): Promise<void>;
}
