import type { Embedder } from '../../src/ingest/embedder.ts';
import { evaluateRetrievalModes, type ModeScore } from '../../src/retrieval/retrieval-eval.ts';
import type { VectorStore } from '../../src/retrieval/vector-store.ts';
import type { GroundTruth } from '../../src/sandbox/index.ts';

/** recall@8 of the ground-truth evidence, per agent task, for dense, BM25 and hybrid retrieval. */
export async function evaluateRetrievalByTask(
  store: VectorStore,
  embedder: Embedder,
  portalId: string,
  truth: GroundTruth,
): Promise<Array<{ task: string; questions: number; scores: ModeScore[] }>> {
  const tasks = [...new Set(truth.evidence.map((e) => e.task))].sort();
  const out = [];
  for (const task of tasks) {
    const questions = truth.evidence.filter((e) => e.task === task);
    const scores = await evaluateRetrievalModes({ store, embedder, portalId, questions, k: 8 });
    out.push({ task, questions: questions.length, scores });
  }
  return out;
}
