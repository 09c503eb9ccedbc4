import type { Embedder } from '../text/embedder.ts';
import { hybridSearch, type RetrievalMode } from './hybrid-search.ts';
import type { VectorStore } from './vector-store.ts';

/** One labelled question: the sources (`emails:123`) that hold the answer. Matches the sandbox's evidence. */
export interface RetrievalQuestion {
  accountId: string;
  query: string;
  sourceIds: string[];
}

export interface ModeScore {
  mode: RetrievalMode;
  /** Share of questions with at least one relevant source in the top k. */
  hitRate: number;
  /** Mean share of relevant sources found in the top k. */
  recall: number;
  /** Mean reciprocal rank of the first relevant chunk. */
  mrr: number;
}

/**
 * Dense-only, BM25-only and hybrid side by side on the same questions, so a mode is kept only when it beats the
 * simpler one (`npm run eval` prints this table on the sandbox).
 */
export async function evaluateRetrievalModes(input: {
  store: VectorStore;
  embedder: Embedder;
  portalId: string;
  questions: RetrievalQuestion[];
  k?: number;
  now?: Date;
}): Promise<ModeScore[]> {
  const k = input.k ?? 8;
  const modes: RetrievalMode[] = ['dense', 'bm25', 'hybrid'];
  const out: ModeScore[] = [];
  for (const mode of modes) {
    let hit = 0;
    let recall = 0;
    let mrr = 0;
    for (const q of input.questions) {
      const hits = await hybridSearch({ ...input, accountId: q.accountId, query: q.query, k, mode, now: input.now });
      const relevant = new Set(q.sourceIds);
      const found = new Set(hits.map((h) => h.chunk.sourceId).filter((s) => relevant.has(s)));
      const first = hits.findIndex((h) => relevant.has(h.chunk.sourceId));
      if (found.size > 0) hit += 1;
      recall += relevant.size === 0 ? 0 : found.size / relevant.size;
      mrr += first < 0 ? 0 : 1 / (first + 1);
    }
    const n = Math.max(1, input.questions.length);
    out.push({ mode, hitRate: hit / n, recall: recall / n, mrr: mrr / n });
  }
  return out;
}
