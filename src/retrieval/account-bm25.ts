import { rawTerms } from './text-terms.ts';

/**
 * BM25 with one account's own statistics, for per-account keyword search in the embedded store.
 *
 * FTS5's `bm25()` computes each query term's IDF by walking that term's whole posting list, over every portal and
 * account in the file, on every query: at a million chunks a common CRM word costs hundreds of thousands of
 * postings per query, whatever the account's size. An account's history is small, so it is cheaper to read its
 * chunks and rank them here with exact statistics of the account: N is its chunk count, a term's document
 * frequency and the average length are counted over its chunks. Besides being cheap, a term's weight then depends
 * on this account's history only, never on other accounts'.
 *
 * IDF is the non-negative form ln(1 + (N − df + 0.5) / (df + 0.5)) (Lucene's, and Qdrant's IDF modifier), so a term
 * present in most of a small account's chunks still counts a little instead of nothing. k1 and b are FTS5's.
 */
const K1 = 1.2;
const B = 0.75;

export interface Bm25Candidate {
  text: string;
}

/**
 * Scores every chunk of one account for `terms` (distinct, normalised as `contentTerms` does). Returns raw BM25
 * scores in chunk order: 0 for a chunk without any of the terms, > 0 otherwise.
 */
export function accountBm25Scores(terms: readonly string[], candidates: readonly Bm25Candidate[]): number[] {
  if (candidates.length === 0 || terms.length === 0) return candidates.map(() => 0);
  const wanted = new Set(terms);
  const lengths = new Set(terms.map((t) => t.length));
  const docs = candidates.map((c) => {
    const tf = new Map<string, number>();
    const length = countTerms(c.text, wanted, lengths, tf);
    return { length, tf };
  });
  const df = new Map<string, number>();
  for (const d of docs) for (const t of d.tf.keys()) df.set(t, (df.get(t) ?? 0) + 1);
  const n = candidates.length;
  const idf = new Map([...df].map(([t, f]) => [t, Math.log(1 + (n - f + 0.5) / (f + 0.5))]));
  const avgLength = docs.reduce((s, d) => s + d.length, 0) / docs.length || 1;
  return docs.map((d) => {
    let score = 0;
    for (const [t, f] of d.tf) score += (idf.get(t) ?? 0) * ((f * (K1 + 1)) / (f + K1 * (1 - B + (B * d.length) / avgLength)));
    return score;
  });
}

const NON_ASCII = /[\u0080-\uffff]/;

/**
 * Counts the text's tokens as `rawTerms` (the FTS5 tokenizer's mirror) splits them, and the occurrences of the
 * wanted terms into `tf`. ASCII text, the usual case, is scanned in place: no normalisation, no token strings
 * except those as long as a wanted term; this is what keeps ranking a large account's matches cheap.
 */
function countTerms(text: string, wanted: ReadonlySet<string>, lengths: ReadonlySet<number>, tf: Map<string, number>): number {
  const add = (t: string) => {
    if (wanted.has(t)) tf.set(t, (tf.get(t) ?? 0) + 1);
  };
  if (NON_ASCII.test(text)) {
    const tokens = rawTerms(text);
    for (const t of tokens) add(t);
    return tokens.length;
  }
  const lower = text.toLowerCase();
  let count = 0;
  let start = -1;
  for (let i = 0; i <= lower.length; i++) {
    const c = i < lower.length ? lower.charCodeAt(i) : 32;
    if ((c >= 97 && c <= 122) || (c >= 48 && c <= 57)) {
      if (start < 0) start = i;
    } else if (start >= 0) {
      count += 1;
      if (lengths.has(i - start)) add(lower.slice(start, i));
      start = -1;
    }
  }
  return count;
}
