import type { Embedder } from '../text/embedder.ts';
import { applyRecency, maximalMarginalRelevance, reciprocalRankFusion } from './rank-fusion.ts';
import type { ChunkFilter, ChunkHit, VectorStore } from './vector-store.ts';

export type RetrievalMode = 'dense' | 'bm25' | 'hybrid';

export interface HybridSearchInput {
  store: VectorStore;
  /** Needed for `dense` and `hybrid`. */
  embedder?: Embedder;
  portalId: string;
  accountId: string;
  query: string;
  k: number;
  mode?: RetrievalMode;
  filter?: ChunkFilter;
  /** Half-life of the recency weight; 0 disables it. Default 180 days. */
  recencyHalfLifeDays?: number;
  /** MMR trade-off: 1 = relevance only, lower = more diverse. Default 0.7. */
  mmrLambda?: number;
  /** At most this many chunks of one source (one e-mail thread, one transcript). Default 3. */
  maxPerSource?: number;
  /** Candidates fetched from each list before fusion and MMR. Default max(4k, 40). */
  candidates?: number;
  now?: Date;
}

/**
 * Context retrieval within one account: dense and/or BM25 candidates, fused by reciprocal rank, weighted by
 * recency, diversified by MMR. Scores of every mode are rank-based (RRF of one or two lists), so recency
 * weighting means the same thing in each mode and the modes can be compared on the evaluation.
 */
export async function hybridSearch(input: HybridSearchInput): Promise<ChunkHit[]> {
  const mode = input.mode ?? 'hybrid';
  if (input.k <= 0 || input.query.trim() === '') return [];
  const n = input.candidates ?? Math.max(input.k * 4, 40);
  const lists: Array<Promise<ChunkHit[]>> = [];
  if (mode !== 'bm25') {
    if (!input.embedder) throw new TypeError(`hybridSearch: mode "${mode}" needs an embedder`);
    const embedder = input.embedder;
    lists.push(
      embedder.embed([input.query], 'query').then(({ vectors }) =>
        input.store.searchDense(input.portalId, input.accountId, vectors[0]!, n, input.filter),
      ),
    );
  }
  if (mode !== 'dense') lists.push(input.store.searchKeyword(input.portalId, input.accountId, input.query, n, input.filter));
  let hits = reciprocalRankFusion(await Promise.all(lists));
  const halfLife = input.recencyHalfLifeDays ?? 180;
  if (halfLife > 0) hits = applyRecency(hits, { halfLifeDays: halfLife, now: input.now ?? new Date() });
  return maximalMarginalRelevance(hits, input.k, { lambda: input.mmrLambda, maxPerSource: input.maxPerSource });
}
