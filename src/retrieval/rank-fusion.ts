import { contentTerms } from './text-terms.ts';
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
  const pool = hits.map((h) => ({ hit: h, rel: h.score / top, terms: new Set(contentTerms(h.chunk.text)), maxSim: 0 }));
  const picked: typeof pool = [];
  const perSource = new Map<string, number>();
  while (picked.length < k && pool.length > 0) {
    let bestIdx = -1;
    let bestValue = -Infinity;
    for (let i = 0; i < pool.length; i++) {
      const c = pool[i]!;
      if ((perSource.get(c.hit.chunk.sourceId) ?? 0) >= maxPerSource) continue;
      const value = lambda * c.rel - (1 - lambda) * c.maxSim;
      if (value > bestValue) {
        bestValue = value;
        bestIdx = i;
      }
    }
    if (bestIdx < 0) break;
    const [chosen] = pool.splice(bestIdx, 1);
    picked.push(chosen!);
    perSource.set(chosen!.hit.chunk.sourceId, (perSource.get(chosen!.hit.chunk.sourceId) ?? 0) + 1);
    for (const c of pool) {
      const sameSource = c.hit.chunk.sourceId === chosen!.hit.chunk.sourceId ? 0.5 : 0;
      c.maxSim = Math.max(c.maxSim, sameSource, jaccard(c.terms, chosen!.terms));
    }
  }
  return picked.map((p) => p.hit);
}

function jaccard(a: Set<string>, b: Set<string>): number {
  if (a.size === 0 || b.size === 0) return 0;
  let inter = 0;
  for (const t of a) if (b.has(t)) inter++;
  return inter / (a.size + b.size - inter);
}

export function byScore(a: ChunkHit, b: ChunkHit): number {
  return b.score - a.score || a.chunk.id.localeCompare(b.chunk.id);
}
