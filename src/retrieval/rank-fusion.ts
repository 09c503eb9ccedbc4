import { TermIds } from './text-terms.ts';
import type { ChunkHit, ChunkPayload } from './vector-store.ts';

/**
 * Ranking steps of hybrid retrieval, as pure functions over hits (so they are tested without a store).
 */

/** The usual RRF constant (Cormack et al. 2009): damps the influence of the very top ranks of any one list. */
export const RRF_K = 60;

/**
 * Reciprocal rank fusion: score(d) = Σ_lists 1 / (RRF_K + rank). It needs no score calibration between dense
 * cosine and BM25, which live on unrelated scales. Scores are scaled so a document ranked first in every list
 * gets 1.
 */
export function reciprocalRankFusion(lists: ChunkHit[][], k = RRF_K): ChunkHit[] {
  const fused = new Map<string, { chunk: ChunkPayload; score: number }>();
  const nonEmpty = lists.filter((l) => l.length > 0);
  const best = nonEmpty.length / (k + 1);
  for (const list of nonEmpty) {
    list.forEach((hit, i) => {
      const entry = fused.get(hit.chunk.id) ?? { chunk: hit.chunk, score: 0 };
      entry.score += 1 / (k + i + 1);
      fused.set(hit.chunk.id, entry);
    });
  }
  return [...fused.values()].map((e) => ({ chunk: e.chunk, score: e.score / best })).sort(byScore);
}

/**
 * Multiplies scores by a recency factor: 1 for today, falling towards `floor` with the given half-life. The floor
 * keeps an old but exact match (the contract signed two years ago) retrievable.
 */
export function applyRecency(hits: ChunkHit[], opts: { halfLifeDays: number; now: Date; floor?: number }): ChunkHit[] {
  const floor = opts.floor ?? 0.6;
  const now = opts.now.getTime();
  return hits
    .map((h) => {
      const ageDays = Math.max(0, (now - Date.parse(h.chunk.occurredAt)) / 86_400_000);
      const decay = Number.isFinite(ageDays) ? Math.pow(0.5, ageDays / opts.halfLifeDays) : 0;
      return { chunk: h.chunk, score: h.score * (floor + (1 - floor) * decay) };
    })
    .sort(byScore);
}

/**
 * Maximal marginal relevance: picks k hits, each maximizing λ·relevance − (1−λ)·(max similarity to those already
 * picked), and never more than `maxPerSource` chunks of one source. Similarity is lexical (Jaccard of content
 * terms), raised to at least 0.5 for chunks of the same source: that is what keeps one long thread from filling
 * the window. Payloads carry no vectors, so this works the same on every store.
 */
export function maximalMarginalRelevance(hits: ChunkHit[], k: number, opts: { lambda?: number; maxPerSource?: number } = {}): ChunkHit[] {
  const lambda = opts.lambda ?? 0.7;
  const maxPerSource = opts.maxPerSource ?? 3;
  const top = hits[0]?.score ?? 0;
  if (top <= 0) return hits.slice(0, k);
  // Candidates best first (ties keep their input order). A candidate's value is at most λ·relevance, so the search
  // for the next pick stops at the first one whose λ·relevance cannot reach the best value found: the candidates
  // below it are neither tokenised nor compared. Each
  // candidate's similarity to the picks is brought up to date only when it is looked at. The picks are exactly
  // those of the plain O(k·n) definition (tested against it).
  const termIds = new TermIds();
  const pool: Candidate[] = hits
    .map((hit, index) => ({ hit, index, rel: hit.score / top, terms: undefined, maxSim: 0, compared: 0 }))
    .sort((a, b) => b.rel - a.rel || a.index - b.index);
  const termsOf = (c: Candidate) => (c.terms ??= termIds.of(c.hit.chunk.text));
  // The terms of each pick, as a membership array over the ids known when it was picked: a term first seen
  // later cannot be one of its terms.
  const pickedTerms: Uint8Array[] = [];
  const bounded = lambda <= 1; // the bound needs −(1−λ)·similarity ≤ 0
  const picked: Candidate[] = [];
  const perSource = new Map<string, number>();
  while (picked.length < k && pool.length > 0) {
    let bestIdx = -1;
    let bestValue = -Infinity;
    for (let i = 0; i < pool.length; i++) {
      const c = pool[i]!;
      if (bounded && lambda * c.rel < bestValue) break;
      if ((perSource.get(c.hit.chunk.sourceId) ?? 0) >= maxPerSource) continue;
      for (; c.compared < picked.length; c.compared++) {
        const p = picked[c.compared]!;
        const sameSource = c.hit.chunk.sourceId === p.hit.chunk.sourceId ? 0.5 : 0;
        c.maxSim = Math.max(c.maxSim, sameSource, jaccard(termsOf(c), termsOf(p), pickedTerms[c.compared]!));
      }
      const value = lambda * c.rel - (1 - lambda) * c.maxSim;
      if (value > bestValue || (bestIdx >= 0 && value === bestValue && c.index < pool[bestIdx]!.index)) {
        bestValue = value;
        bestIdx = i;
      }
    }
    if (bestIdx < 0) break;
    const [chosen] = pool.splice(bestIdx, 1);
    picked.push(chosen!);
    if (picked.length === k) break;
    const terms = termsOf(chosen!);
    const members = new Uint8Array(termIds.size);
    for (const id of terms) members[id] = 1;
    pickedTerms.push(members);
    perSource.set(chosen!.hit.chunk.sourceId, (perSource.get(chosen!.hit.chunk.sourceId) ?? 0) + 1);
  }
  return picked.map((p) => p.hit);
}

interface Candidate {
  hit: ChunkHit;
  /** Position in the input: breaks ties as the input order does. */
  index: number;
  rel: number;
  /** Distinct content term ids, computed when first compared. */
  terms: number[] | undefined;
  /** Highest similarity to the first `compared` picks. */
  maxSim: number;
  compared: number;
}

/** Jaccard similarity of a candidate's distinct terms and a pick's (its terms and their membership array). */
function jaccard(terms: readonly number[], pickTerms: readonly number[], pickMembers: Uint8Array): number {
  if (terms.length === 0 || pickTerms.length === 0) return 0;
  let inter = 0;
  for (const id of terms) if (id < pickMembers.length && pickMembers[id] === 1) inter++;
  return inter / (terms.length + pickTerms.length - inter);
}

export function byScore(a: ChunkHit, b: ChunkHit): number {
  return b.score - a.score || a.chunk.id.localeCompare(b.chunk.id);
}
