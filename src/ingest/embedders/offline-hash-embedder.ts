import type { Embedder, EmbeddingResult } from '../../text/embedder.ts';

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
  const lower = text.normalize('NFKC').toLowerCase();
  const out: string[] = [];
  for (const word of wordsOf(lower)) {
    if (STOP_WORDS.has(word)) continue;
    out.push(stem(word));
  }
  return out;
}

const NON_ASCII = /[\u0080-\uffff]/;
const NON_SPACE_RUN = /[^ \t\n\r\f\v]+/g;

/**
 * The word-like segments of Intl.Segmenter, computed run by run between ASCII whitespace (where every word
 * breaks): ASCII runs by `asciiWords`, the others by the segmenter, given the whitespace character before them as
 * context (a combining mark right after a space belongs to the space). Real CRM text is mostly ASCII with a few
 * curly quotes, dashes and accented names, so most of it takes the fast path.
 */
export function wordsOf(lower: string): string[] {
  if (!NON_ASCII.test(lower)) return asciiWords(lower);
  const out: string[] = [];
  for (const m of lower.matchAll(NON_SPACE_RUN)) {
    const run = m[0];
    const at = m.index;
    const words = NON_ASCII.test(run) ? segmenterWords(at > 0 ? lower.slice(at - 1, at + run.length) : run) : asciiWords(run);
    for (const w of words) out.push(w);
  }
  return out;
}

/** The word-like segments of Intl.Segmenter (Unicode word boundaries, ICU dictionaries for unspaced scripts). */
export function segmenterWords(text: string): string[] {
  wordSegmenter ??= new Intl.Segmenter('und', { granularity: 'word' });
  const out: string[] = [];
  for (const { segment, isWordLike } of wordSegmenter.segment(text)) if (isWordLike) out.push(segment);
  return out;
}

// Word-break classes of the ASCII characters that can be part of a word (Unicode UAX #29 as ICU applies it).
const LETTER = 1;
const DIGIT = 2;
const UNDERSCORE = 3; // ExtendNumLet
const MID_LETTER = 4; // ':' joins letters only
const MID_NUM_LETTER = 5; // '.' and "'" join letters or digits
const MID_NUM = 6; // ',' and ';' join digits only
const OTHER = 0;

function wordClass(c: number): number {
  if (c >= 97 && c <= 122) return LETTER; // the text is lowercased
  if (c >= 48 && c <= 57) return DIGIT;
  if (c === 95) return UNDERSCORE;
  if (c === 58) return MID_LETTER;
  if (c === 46 || c === 39) return MID_NUM_LETTER;
  if (c === 44 || c === 59) return MID_NUM;
  return OTHER;
}

/**
 * `segmenterWords` for lowercased ASCII text, ~40× cheaper: Intl.Segmenter was most of the CPU of a backfill
 * with the offline embedder. It implements the word-boundary rules that apply to ASCII (letters, digits and `_`
 * join; `:` between letters, `.` and `'` between two letters or two digits, `,` and `;` between digits) and ICU's
 * word-likeness (a lone `_` is not a word, `__` is). The test compares it with Intl.Segmenter on random text, so
 * offline vectors (offline-hash-v1) stay exactly what they were.
 */
export function asciiWords(text: string): string[] {
  const out: string[] = [];
  const n = text.length;
  let i = 0;
  while (i < n) {
    const first = wordClass(text.charCodeAt(i));
    if (first !== LETTER && first !== DIGIT && first !== UNDERSCORE) {
      i += 1;
      continue;
    }
    const start = i;
    let prev = first;
    let wordLike = first !== UNDERSCORE;
    i += 1;
    while (i < n) {
      const c = wordClass(text.charCodeAt(i));
      if (c === LETTER || c === DIGIT || c === UNDERSCORE) {
        if (c !== UNDERSCORE) wordLike = true;
        prev = c;
        i += 1;
        continue;
      }
      const next = i + 1 < n ? wordClass(text.charCodeAt(i + 1)) : OTHER;
      const joinsLetters = (c === MID_LETTER || c === MID_NUM_LETTER) && prev === LETTER && next === LETTER;
      const joinsDigits = (c === MID_NUM || c === MID_NUM_LETTER) && prev === DIGIT && next === DIGIT;
      if (!joinsLetters && !joinsDigits) break;
      prev = next;
      i += 2;
    }
    if (wordLike || i - start > 1) out.push(text.slice(start, i));
  }
  return out;
}

/** A few English suffixes only: enough to match "renewal"/"renewals", "price"/"pricing" is out of scope. */
function stem(word: string): string {
  if (word.length <= 4 || !isLowerAsciiLetters(word)) return word;
  if (word.endsWith('ies') && word.length > 5) return `${word.slice(0, -3)}y`;
  if (word.endsWith('ing') && word.length > 6) return word.slice(0, -3);
  if (word.endsWith('ed') && word.length > 5) return word.slice(0, -2);
  if (word.endsWith('es') && /(?:ss|x|ch|sh)es$/.test(word)) return word.slice(0, -2);
  if (word.endsWith('s') && !word.endsWith('ss')) return word.slice(0, -1);
  return word;
}

/** `/^[a-z]+$/.test(word)` without the regex (it ran once per word of every text). */
function isLowerAsciiLetters(word: string): boolean {
  for (let i = 0; i < word.length; i += 1) {
    const c = word.charCodeAt(i);
    if (c < 97 || c > 122) return false;
  }
  return word.length > 0;
}

export function hashEmbed(text: string, dimensions: number): Float32Array {
  return embedTerms(lexicalTerms(text), dimensions);
}

/**
 * Counts unigram and bigram features (`u:term`, `b:prev term`) in order of first appearance, hashes each to an
 * index and a sign, adds log(1+tf) there, and L2-normalizes. Features are numbers rather than strings (terms
 * interned to ids: a unigram is its id, a bigram `n + prev * n + id`), and each hash is computed over the
 * feature's characters without building the string: the same features in the same order with the same counts,
 * so the same float32 sums, bit for bit (test/ingest/offline-embedder.test.ts checks it against the string
 * version), at a fraction of the CPU (the hashing was the largest cost of a backfill's pool threads).
 */
export function embedTerms(terms: string[], dimensions: number): Float32Array {
  const vector = new Float32Array(dimensions);
  const n = terms.length;
  // An empty text gets one fixed feature rather than a zero vector, whose cosine similarity is undefined.
  if (n === 0) {
    addFeature(vector, finish(fnv(FNV_BASIS, 'empty:')), 1);
    return normalize(vector);
  }
  const idOf = new Map<string, number>();
  const termOf: string[] = [];
  const ids = new Array<number>(n);
  for (let i = 0; i < n; i += 1) {
    const term = terms[i]!;
    let id = idOf.get(term);
    if (id === undefined) {
      // Two term pairs make the same bigram string only when a term holds a space ('a b' + 'c', 'a' + 'b c'):
      // lexicalTerms never makes one, but such a caller gets the string features themselves.
      if (term.includes(' ')) return embedStringFeatures(terms, dimensions);
      id = termOf.length;
      idOf.set(term, id);
      termOf.push(term);
    }
    ids[i] = id;
  }
  const counts = new Map<number, number>();
  for (let i = 0; i < n; i += 1) {
    const unigram = ids[i]!;
    counts.set(unigram, (counts.get(unigram) ?? 0) + 1);
    if (i > 0) {
      const bigram = n + ids[i - 1]! * n + unigram;
      counts.set(bigram, (counts.get(bigram) ?? 0) + BIGRAM_WEIGHT);
    }
  }
  for (const [feature, tf] of counts) {
    let h: number;
    if (feature < n) {
      h = fnv(FNV_UNIGRAM, termOf[feature]!);
    } else {
      const pair = feature - n;
      h = fnv(fnv(fnv(FNV_BIGRAM, termOf[Math.floor(pair / n)]!), ' '), termOf[pair % n]!);
    }
    addFeature(vector, finish(h), tf);
  }
  return normalize(vector);
}

/** The definition: string features in a map (used for terms with spaces, whose bigrams can coincide). */
function embedStringFeatures(terms: string[], dimensions: number): Float32Array {
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
  for (const [feature, tf] of counts) addFeature(vector, finish(fnv(FNV_BASIS, feature)), tf);
  return normalize(vector);
}

function addFeature(vector: Float32Array, h: number, tf: number): void {
  const index = h % vector.length;
  const sign = h >>> 31 === 0 ? 1 : -1;
  vector[index] = vector[index]! + sign * Math.log1p(tf);
}

function normalize(vector: Float32Array): Float32Array {
  let norm = 0;
  for (const v of vector) norm += v * v;
  norm = Math.sqrt(norm);
  if (norm > 0) for (let i = 0; i < vector.length; i += 1) vector[i] = vector[i]! / norm;
  return vector;
}

/**
 * FNV-1a over UTF-16 units with murmur3's finalizer: fast, stable across platforms and releases (vectors are
 * cached and stored, so this function must never change for `offline-hash-v1`), well mixed in every bit.
 * `fnv` continues a running FNV state over more characters, so a feature's hash needs no concatenated string.
 */
function fnv(state: number, s: string): number {
  let h = state;
  for (let i = 0; i < s.length; i += 1) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h;
}

function finish(state: number): number {
  let h = state;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

const FNV_BASIS = 0x811c9dc5;
const FNV_UNIGRAM = fnv(FNV_BASIS, 'u:');
const FNV_BIGRAM = fnv(FNV_BASIS, 'b:');

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
