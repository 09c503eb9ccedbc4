import { contentTerms, termFrequencies } from './text-terms.ts';

/**
 * BM25 as Qdrant sparse vectors. Documents carry the BM25 term-frequency part, tf·(k1+1)/(tf + k1·(1−b+b·len/avg));
 * the collection's `modifier: idf` multiplies in the inverse document frequency at query time, computed by Qdrant
 * over the live collection. Queries carry 1 per distinct term, so the dot product is the BM25 score.
 * Terms map to indices by a fixed 31-bit hash (the hashing trick: no vocabulary to store or synchronize);
 * collisions at this size are negligible. The hash and the constants are part of the stored format.
 */

export interface SparseVector {
  indices: number[];
  values: number[];
}

const K1 = 1.2;
const B = 0.75;
/** Typical chunk length in content terms; a constant keeps documents independent of each other. */
const AVG_DOC_TERMS = 120;

export function bm25DocumentVector(text: string): SparseVector {
  const terms = contentTerms(text);
  const len = terms.length;
  const byIndex = new Map<number, number>();
  for (const [term, tf] of termFrequencies(terms)) {
    const weight = (tf * (K1 + 1)) / (tf + K1 * (1 - B + (B * len) / AVG_DOC_TERMS));
    const i = termIndex(term);
    byIndex.set(i, (byIndex.get(i) ?? 0) + weight);
  }
  return toSparse(byIndex);
}

export function bm25QueryVector(query: string): SparseVector {
  const byIndex = new Map<number, number>();
  for (const term of new Set(contentTerms(query))) byIndex.set(termIndex(term), 1);
  return toSparse(byIndex);
}

/** FNV-1a (32-bit) folded to 31 bits: stable across platforms and releases. */
export function termIndex(term: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < term.length; i++) {
    h ^= term.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) & 0x7fffffff;
}

function toSparse(m: Map<number, number>): SparseVector {
  const indices = [...m.keys()].sort((a, b) => a - b);
  return { indices, values: indices.map((i) => m.get(i)!) };
}
