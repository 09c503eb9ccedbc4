import { hybridSearch, type HybridSearchInput } from './hybrid-search.ts';
import { reciprocalRankFusion } from './rank-fusion.ts';
import type { ChunkHit } from './vector-store.ts';

/**
 * Standing questions an agent asks of an account's history whatever triggered it ("what budget is approved?",
 * "who signs?"), searched so that the answer is found in whatever words the buyer used.
 *
 * One query per question finds only answers that share its words. A facet therefore carries several short
 * queries written from the information need (each searched on its own, fused by reciprocal rank), and sentence
 * cues that recognise an answer by its shape rather than its words: a budget states an amount of money, a
 * deadline a date, a decision maker a title. A chunk's facet score is its best sentence's cue weight, so one
 * sentence inside a long e-mail counts in full; retrieval rank breaks ties. For single-valued facts (the budget,
 * the deadline, the signer) a newer statement supersedes an older one of the same strength.
 */
export interface Facet {
  name: string;
  /** Short queries, each in different words for the same need. */
  queries: string[];
  /** Sentence cues with their weights; a sentence scores the sum of the cues it matches. */
  cues: Array<{ pattern: RegExp; weight: number }>;
  /** A sentence below this cue weight does not answer the facet (its chunk ranks by retrieval only). */
  minCue?: number;
  /** How many chunks the facet may put at the front of the context. Default 1. */
  quota?: number;
  /** The newest of the equally strong answers first (a revised budget beats the old one). */
  supersede?: boolean;
}

export type FacetSearchInput = Omit<HybridSearchInput, 'query' | 'k'> & { facet: Facet; k: number; perQuery?: number };

/** A sentence end, but not the dot of a title or an abbreviation ("Ms. Reyes", "vs. them"). */
const SENTENCE_END = /(?<=[.!?;])(?<!\b(?:Mr|Ms|Mrs|Dr|Prof|St|vs|etc|e\.g|i\.e|approx|incl)\.)\s+/i;

/** Sentences of a chunk: transcript turns and lines, then sentence ends (speech-to-text lines have none). */
export function chunkSentences(text: string): string[] {
  return text
    .split(/\n+/)
    .flatMap((line) => line.split(SENTENCE_END))
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

/** The best sentence's cue weight. */
export function facetCueScore(facet: Pick<Facet, 'cues'>, text: string): number {
  let best = 0;
  for (const sentence of chunkSentences(text)) {
    let score = 0;
    for (const cue of facet.cues) if (cue.pattern.test(sentence)) score += cue.weight;
    if (score > best) best = score;
  }
  return best;
}

/**
 * Ranks already-retrieved candidates for one facet: answers (cue score ≥ minCue) by cue score, then by fused
 * retrieval score; with `supersede`, the newest of the answers that share the top cue score comes first.
 */
export function rankForFacet(facet: Facet, fused: ChunkHit[]): ChunkHit[] {
  const min = facet.minCue ?? 1;
  const scored = fused.map((h, rank) => ({ h, rank, cue: facetCueScore(facet, h.chunk.text) }));
  const answers = scored.filter((s) => s.cue >= min).sort((a, b) => b.cue - a.cue || a.rank - b.rank);
  if (facet.supersede && answers.length > 1) {
    const top = answers[0]!.cue;
    const tied = answers.filter((a) => a.cue === top).sort((a, b) => b.h.chunk.occurredAt.localeCompare(a.h.chunk.occurredAt) || a.rank - b.rank);
    answers.splice(0, tied.length, ...tied);
  }
  const rest = scored.filter((s) => s.cue < min);
  return [...answers, ...rest].map((s) => s.h);
}

/** Every query of the facet searched on its own, fused by reciprocal rank, then ranked by the facet's cues. */
export async function facetSearch(input: FacetSearchInput): Promise<ChunkHit[]> {
  const { facet, k, perQuery, ...rest } = input;
  const lists = await Promise.all(facet.queries.map((query) => hybridSearch({ ...rest, query, k: perQuery ?? 20 })));
  return rankForFacet(facet, reciprocalRankFusion(lists)).slice(0, k);
}
