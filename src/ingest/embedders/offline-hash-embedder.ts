import type { Embedder, EmbeddingResult } from '../embedder.ts';

/**
 * The offline embedder: feature hashing of word unigrams and bigrams into a fixed number of dimensions.
 *
 * It is LEXICAL, NOT SEMANTIC. Two texts are close when they share words (after lowercasing, light English
 * stemming and stop-word removal), not when they mean the same thing: "cancel the contract" and "terminate our
 * agreement" are far apart. It exists so the product runs with zero set-up and no network, deterministically
 * (tests, demos, air-gapped installs); configure EMBEDDING_PROVIDER=openai for real semantic search.
 *
 * Words come from Intl.Segmenter, which splits unspaced scripts (Japanese, Chinese, Thai) with ICU's
 * dictionaries, so non-English text gets real word features. Each feature is hashed to an index and a sign
 * (signed hashing keeps collisions from biasing similarities upwards); counts are dampened with log(1+tf) and the
 * vector is L2-normalized, so cosine similarity and dot product agree.
 */
export const OFFLINE_MODEL = 'offline-hash-v1';

const STOP_WORDS = new Set(
  'a an and are as at be been but by can could did do does for from had has have he her his i if in into is it its me my no not of on or our she so than that the their them then there these they this to too us was we were what when which who will with would you your'.split(' '),
);

const BIGRAM_WEIGHT = 0.5;

let wordSegmenter: Intl.Segmenter | undefined;

/** Lowercased, stemmed content words of a text; also the offline embedder's notion of a token. */
export function lexicalTerms(text: string): string[] {
  wordSegmenter ??= new Intl.Segmenter('und', { granularity: 'word' });
  const out: string[] = [];
  for (const { segment, isWordLike } of wordSegmenter.segment(text.normalize('NFKC').toLowerCase())) {
    if (!isWordLike) continue;
    if (STOP_WORDS.has(segment)) continue;
    out.push(stem(segment));
  }
  return out;
}

/** A few English suffixes only: enough to match "renewal"/"renewals", "price"/"pricing" is out of scope. */
function stem(word: string): string {
  if (!/^[a-z]+$/.test(word) || word.length <= 4) return word;
  if (word.endsWith('ies') && word.length > 5) return `${word.slice(0, -3)}y`;
  if (word.endsWith('ing') && word.length > 6) return word.slice(0, -3);
  if (word.endsWith('ed') && word.length > 5) return word.slice(0, -2);
  if (word.endsWith('es') && /(?:ss|x|ch|sh)es$/.test(word)) return word.slice(0, -2);
  if (word.endsWith('s') && !word.endsWith('ss')) return word.slice(0, -1);
  return word;
}

export function hashEmbed(text: string, dimensions: number): Float32Array {
  return embedTerms(lexicalTerms(text), dimensions);
}

export function embedTerms(terms: string[], dimensions: number): Float32Array {
  const vector = new Float32Array(dimensions);
  const counts = new Map<string, number>();
  for (let i = 0; i < terms.length; i += 1) {
    const unigram = `u:${terms[i]}`;
    counts.set(unigram, (counts.get(unigram) ?? 0) + 1);
    if (i > 0) {
      const bigram = `b:${terms[i - 1]} ${terms[i]}`;
      counts.set(bigram, (counts.get(bigram) ?? 0) + BIGRAM_WEIGHT);
    }
  }
  // An empty text gets one fixed feature rather than a zero vector, whose cosine similarity is undefined.
  if (counts.size === 0) counts.set('empty:', 1);
  for (const [feature, tf] of counts) {
    const h = hash32(feature);
    const index = h % dimensions;
    const sign = h >>> 31 === 0 ? 1 : -1;
    vector[index] = vector[index]! + sign * Math.log1p(tf);
  }
  let norm = 0;
  for (const v of vector) norm += v * v;
  norm = Math.sqrt(norm);
  if (norm > 0) for (let i = 0; i < dimensions; i += 1) vector[i] = vector[i]! / norm;
  return vector;
}

/**
 * FNV-1a over UTF-16 units with murmur3's finalizer: fast, stable across platforms and releases (vectors are
 * cached and stored, so this function must never change for `offline-hash-v1`), well mixed in every bit.
 */
function hash32(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i += 1) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Worker threads that run this embedder's hashing for large batches (work-pool.ts). */
export interface OfflineEmbedPool {
  embedOffline(texts: string[], dimensions: number): Promise<{ vectors: Float32Array[]; tokens: number }>;
}

/** Texts from which a call embeds in the work pool's threads instead of this one. */
const POOL_MIN_TEXTS = 32;

export class OfflineHashEmbedder implements Embedder {
  readonly provider = 'offline' as const;
  readonly model: string;
  readonly dimensions: number;
  private readonly pool: OfflineEmbedPool | undefined;

  constructor(opts: { dimensions?: number; model?: string; pool?: OfflineEmbedPool } = {}) {
    this.dimensions = opts.dimensions ?? 384;
    this.model = opts.model ?? OFFLINE_MODEL;
    this.pool = opts.pool;
    if (!Number.isInteger(this.dimensions) || this.dimensions < 8) throw new RangeError(`dimensions must be an integer ≥ 8, got ${this.dimensions}`);
  }

  /** `tokens` is the number of word terms hashed: nothing is billed, but the count is comparable across runs. */
  async embed(texts: string[]): Promise<EmbeddingResult> {
    // Large batches (a backfill's) are hashed off the main thread; a webhook's few chunks are not worth a message.
    if (this.pool && texts.length >= POOL_MIN_TEXTS) return { ...(await this.pool.embedOffline(texts, this.dimensions)), cacheHits: 0 };
    let tokens = 0;
    const vectors = texts.map((text) => {
      const terms = lexicalTerms(text);
      tokens += terms.length;
      return embedTerms(terms, this.dimensions);
    });
    return { vectors, tokens, cacheHits: 0 };
  }

  /** Lexical vectors: queries and documents are embedded alike. */
  cacheTag(): string {
    return '';
  }

  async ping(): Promise<void> {}
  async close(): Promise<void> {}
}
