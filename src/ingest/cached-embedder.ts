import { createHash } from 'node:crypto';
import type { KeyValueCache } from '../cache/kv.ts';
import type { ContainerMetrics } from '../metrics.ts';
import type { EmbedRole, Embedder, EmbeddingResult } from '../text/embedder.ts';

/**
 * Embedding cache in front of any embedder. Keys name the model and dimensions, so switching either never serves
 * a stale vector; values are raw little-endian float32 bytes (1.5 KB for 384 dims). Re-ingesting unchanged
 * text costs no provider call; identical texts within one call are embedded once.
 */
export function embeddingCacheKey(model: string, dimensions: number, text: string, tag = '', portalId?: string): string {
  const hash = createHash('sha256');
  // A role's prefix or input type is hashed with the text; untagged keys stay what they were before roles.
  if (tag) hash.update(tag).update('\u0000');
  // A portal's entries start with its prefix (portalEmbeddingPrefix), so a purge deletes them by prefix.
  return `${portalId === undefined ? 'emb:' : portalEmbeddingPrefix(portalId)}${model}:${dimensions}:${hash.update(text).digest('hex')}`;
}

/** Where one portal's cached embeddings live in the cache. */
export function portalEmbeddingPrefix(portalId: string): string {
  return `emb:p${portalId}:`;
}

export function vectorToBytes(vector: Float32Array): Buffer {
  return Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength);
}

/** Copies out of the (possibly unaligned, pooled) buffer; null when the bytes cannot be a vector of this size. */
export function bytesToVector(bytes: Buffer, dimensions: number): Float32Array | null {
  if (bytes.length !== dimensions * 4) return null;
  const out = new Float32Array(dimensions);
  new Uint8Array(out.buffer).set(bytes);
  return out;
}

export interface CachedEmbedderOptions {
  /** Cache lifetime in seconds; unset keeps vectors until evicted (they never go stale for a fixed model). */
  ttlSeconds?: number;
  /** The portal whose texts this view embeds: its entries are keyed by it (forPortal). */
  portalId?: string;
  /** The container's metrics (cache hits). */
  metrics?: ContainerMetrics;
}

export class CachedEmbedder implements Embedder {
  readonly provider: Embedder['provider'];
  readonly model: string;
  readonly dimensions: number;

  constructor(
    private readonly inner: Embedder,
    private readonly cache: KeyValueCache,
    private readonly opts: CachedEmbedderOptions = {},
  ) {
    this.provider = inner.provider;
    this.model = inner.model;
    this.dimensions = inner.dimensions;
  }

  /** `tokens` counts only what the provider was asked to embed (misses); `cacheHits` the inputs served from cache. */
  async embed(texts: string[], role: EmbedRole = 'document'): Promise<EmbeddingResult> {
    if (texts.length === 0) return { vectors: [], tokens: 0, cacheHits: 0 };
    const tag = this.inner.cacheTag(role);
    const keys = texts.map((t) => embeddingCacheKey(this.model, this.dimensions, t, tag, this.opts.portalId));
    const cached = await this.cache.getMany(keys);
    const vectors = new Array<Float32Array>(texts.length);
    const missing = new Map<string, { text: string; positions: number[] }>();
    let hits = 0;
    for (const [i, bytes] of cached.entries()) {
      const vector = bytes ? bytesToVector(bytes, this.dimensions) : null;
      if (vector) {
        vectors[i] = vector;
        hits += 1;
        continue;
      }
      const key = keys[i]!;
      const entry = missing.get(key);
      if (entry) entry.positions.push(i);
      else missing.set(key, { text: texts[i]!, positions: [i] });
    }
    if (hits > 0) this.opts.metrics?.embeddingCacheHits.inc({ model: this.model }, hits);
    if (missing.size === 0) return { vectors, tokens: 0, cacheHits: hits };

    const entries = [...missing.entries()];
    const result = await this.inner.embed(entries.map(([, e]) => e.text), role);
    const toStore: Array<{ key: string; value: Buffer; ttlSeconds?: number }> = [];
    for (const [j, [key, entry]] of entries.entries()) {
      const vector = result.vectors[j]!;
      for (const position of entry.positions) vectors[position] = position === entry.positions[0] ? vector : vector.slice();
      toStore.push({ key, value: vectorToBytes(vector), ...(this.opts.ttlSeconds ? { ttlSeconds: this.opts.ttlSeconds } : {}) });
    }
    await this.cache.setMany(toStore);
    return { vectors, tokens: result.tokens, cacheHits: hits };
  }

  cacheTag(role: EmbedRole): string {
    return this.inner.cacheTag(role);
  }

  forPortal(portalId: string): Embedder {
    return new CachedEmbedder(this.inner, this.cache, { ...this.opts, portalId });
  }

  ping(): Promise<void> {
    return this.inner.ping();
  }

  /** The cache is shared with other users (LLM responses, dedupe keys): its owner closes it. A portal's view
   * shares the embedder with every portal: the process-wide one closes it. */
  close(): Promise<void> {
    return this.opts.portalId === undefined ? this.inner.close() : Promise.resolve();
  }
}
