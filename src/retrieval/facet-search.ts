import { hybridSearch, type HybridSearchInput } from './hybrid-search.ts';
import { reciprocalRankFusion } from './rank-fusion.ts';
import { contentTerms } from './text-terms.ts';
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

export type FacetSearchInput = Omit<HybridSearchInput, 'query' | 'k'> & {
  facet: Facet;
  k: number;
  perQuery?: number;
  /**
   * Sources that never answer (the trigger's own call or e-mail, already in the context): dropped before the
   * facet's quota is taken, so that the trigger cannot use up a facet's only slot.
   */
  excludeSourceIds?: ReadonlySet<string>;
};

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
  return bestSentence(facet, text).score;
}

/** The sentence with the highest cue weight (the first of equals) and that weight. */
export function bestSentence(facet: Pick<Facet, 'cues'>, text: string): { sentence: string; score: number } {
  let best = { sentence: '', score: 0 };
  for (const sentence of chunkSentences(text)) {
    let score = 0;
    for (const cue of facet.cues) if (cue.pattern.test(sentence)) score += cue.weight;
    if (score > best.score) best = { sentence, score };
  }
  return best;
}

/** A sentence as words only, so that a quoted or forwarded copy ("> …", other spacing) compares equal. */
const sentenceKey = (s: string) => contentTerms(s).join(' ');

/**
 * The value a statement states: an amount of money, or a titled or named person ("Ms. Reyes", "the CFO").
 * Used to see that a newer statement names an older one's value while it states another (a revision).
 */
const VALUE = /(?:[$€£¥]\s?\d[\d,.']*\s?(?:k|m|mm|bn)?|\b\d[\d,.']*\s?(?:k|m|mm|bn|thousand|million)\b(?:\s(?:usd|eur|gbp|dollars|euros|pounds))?|\b(?:mr|ms|mrs|dr)\.?\s+[A-Z][\p{L}'-]+)/giu;

export function statedValues(sentence: string): string[] {
  return [...sentence.matchAll(VALUE)].map((m) => m[0].toLowerCase().replace(/\s+/g, ' ').trim().replace(/[.,]$/, ''));
}

/**
 * Ranks already-retrieved candidates for one facet: answers (cue score ≥ minCue) by cue score, then by fused
 * retrieval score; with `supersede`, the newest of the answers that share the top cue score comes first.
 *
 * Two kinds of answers step back behind the others (they stay in the list, after the non-answers):
 *   - a copy: the same answering sentence as an older answer (a forward or a quoted reply repeats the statement;
 *     the statement is the original one);
 *   - with `supersede`, an answer whose value (an amount, a named person) a newer answer names beside a value of
 *     its own ("revised from $50,000 to $65,000", "Ms. Park has left; Mr. Diallo now signs"): that one is outdated.
 */
export function rankForFacet(facet: Facet, fused: ChunkHit[]): ChunkHit[] {
  const min = facet.minCue ?? 1;
  const scored = fused.map((h, rank) => {
    const best = bestSentence(facet, h.chunk.text);
    return { h, rank, cue: best.score, key: sentenceKey(best.sentence), values: statedValues(best.sentence), text: h.chunk.text.toLowerCase() };
  });
  const answers = scored.filter((s) => s.cue >= min);
  const stepBack = new Set<(typeof scored)[number]>();
  // Copies: the oldest statement of a sentence stays.
  const original = new Map<string, (typeof scored)[number]>();
  for (const a of [...answers].sort((x, y) => x.h.chunk.occurredAt.localeCompare(y.h.chunk.occurredAt) || x.rank - y.rank)) {
    if (!a.key) continue;
    if (original.has(a.key)) stepBack.add(a);
    else original.set(a.key, a);
  }
  if (facet.supersede) {
    for (const old of answers) {
      if (stepBack.has(old) || old.values.length === 0) continue;
      const revised = answers.some(
        (n) =>
          n !== old &&
          !stepBack.has(n) &&
          n.h.chunk.occurredAt > old.h.chunk.occurredAt &&
          n.h.chunk.sourceId !== old.h.chunk.sourceId &&
          n.values.some((v) => !old.values.includes(v)) &&
          old.values.some((v) => n.text.includes(v)),
      );
      if (revised) stepBack.add(old);
    }
  }
  const current = answers.filter((a) => !stepBack.has(a)).sort((a, b) => b.cue - a.cue || a.rank - b.rank);
  if (facet.supersede && current.length > 1) {
    const top = current[0]!.cue;
    const tied = current.filter((a) => a.cue === top).sort((a, b) => b.h.chunk.occurredAt.localeCompare(a.h.chunk.occurredAt) || a.rank - b.rank);
    current.splice(0, tied.length, ...tied);
  }
  const rest = scored.filter((s) => s.cue < min);
  const back = answers.filter((a) => stepBack.has(a)).sort((a, b) => b.cue - a.cue || a.rank - b.rank);
  return [...current, ...rest, ...back].map((s) => s.h);
}

/** Every query of the facet searched on its own, fused by reciprocal rank, then ranked by the facet's cues. */
export async function facetSearch(input: FacetSearchInput): Promise<ChunkHit[]> {
  const { facet, k, perQuery, excludeSourceIds, ...rest } = input;
  const lists = await Promise.all(facet.queries.map((query) => hybridSearch({ ...rest, query, k: perQuery ?? 20 })));
  const fused = reciprocalRankFusion(lists).filter((h) => !excludeSourceIds?.has(h.chunk.sourceId));
  return rankForFacet(facet, fused).slice(0, k);
}
