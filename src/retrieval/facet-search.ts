import type { Embedder } from '../text/embedder.ts';
import { hybridSearch, type HybridSearchInput } from './hybrid-search.ts';
import { reciprocalRankFusion } from './rank-fusion.ts';
import { contentTerms } from './text-terms.ts';
import { cosine } from './vector-math.ts';
import type { ChunkHit } from './vector-store.ts';

/** What a cue tests a sentence with: a regular expression, or any test of the same shape. */
export interface SentenceTest {
  test(sentence: string): boolean;
}

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
  cues: Array<{ pattern: SentenceTest; weight: number }>;
  /**
   * A next sentence that states what follows from the one before it ("… must support SSO. Without that we cannot
   * sign."): when its pattern matches, the two are read as one statement, scored by the cues plus `weight` (a
   * condition with a stated consequence is a stronger answer than either sentence alone).
   */
  carry?: { pattern: RegExp; weight: number };
  /** A sentence below this cue weight does not answer the facet (its chunk ranks by retrieval only). */
  minCue?: number;
  /** How many chunks the facet may put at the front of the context. Default 1. */
  quota?: number;
  /**
   * The fact is single-valued (the budget, the deadline, the signer): a later statement of another value revises
   * an earlier one, so the newer answer comes first (see `revises`).
   */
  supersede?: boolean;
  /**
   * What an answer of a single-valued fact states: an amount, a date, a person. Two answers from different
   * sources that state different values are two versions of the fact. Default: amounts and titled names.
   */
  value?: RegExp;
  /**
   * Spread the answers over the deals they are associated with: the best answer of every deal before a second
   * answer of any (answers on no deal are one more group). For a question asked of every deal (is each deal's
   * budget confirmed?), not of the account as a whole.
   */
  perDeal?: boolean;
}

export type FacetSearchInput = Omit<HybridSearchInput, 'query' | 'k'> & {
  facet: Facet;
  k: number;
  /**
   * Further current answers returned after the first `k` (never non-answers): what the context builder takes when
   * one of the facet's first `k` is already in the context through another list, so the facet's slot still brings
   * a fact of its own. Default 0.
   */
  spare?: number;
  perQuery?: number;
  /**
   * Sources that never answer (the trigger's own call or e-mail, already in the context): dropped before the
   * facet's quota is taken, so that the trigger cannot use up a facet's only slot.
   */
  excludeSourceIds?: ReadonlySet<string>;
};

/**
 * A sentence end, but not the dot of a title or an abbreviation ("Ms. Reyes", "vs. them"), in other languages too
 * ("Hr. Becker", "M. Laurent", "la Sra. Molina"; a standalone "M." is the French "Monsieur", "p.m." is not). Not a
 * semicolon: the clauses of "Mr. Castellanos has left the company; Ms. Varga now holds final sign-off authority" are
 * one statement, and read apart the first clause answered alone, with the old signer only, so the revision was not
 * seen. Not the dot of a day either ("live by 1. marts", "bis 15. März"): the date would lose its month.
 */
const SENTENCE_END =
  /(?<=[.!?])(?<!\b(?:Mr|Ms|Mrs|Dr|Prof|St|vs|etc|e\.g|i\.e|approx|incl|Mme|Mlle|Hr|Fr|Sr|Sra|Srta|Dhr|Mevr|Sig)\.)(?<!(?<![\p{L}.])M\.)(?<!(?<![\p{N}.,])\p{N}{1,2}\.)\s+/iu;

/**
 * The indexer's header line of a chunk (`Account: Acme | Email (inbound) | 2025-06-03 | Participants: …`): what the
 * chunk is, not what anyone said. Its date made every chunk look like a half-answer to "when is the deadline?".
 */
const HEADER_LINE = /^Account: [^\n]*\| \d{4}-\d{2}-\d{2}\b/;

/** Sentences of a chunk: transcript turns and lines, then sentence ends (speech-to-text lines have none). */
export function chunkSentences(text: string): string[] {
  return text
    .split(/\n+/)
    .filter((line) => !HEADER_LINE.test(line))
    .flatMap((line) => line.split(SENTENCE_END))
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

/** The best sentence's cue weight. */
export function facetCueScore(facet: Pick<Facet, 'cues' | 'carry'>, text: string): number {
  return bestSentence(facet, text).score;
}

/**
 * The sentence with the highest cue weight (the first of equals) and that weight; a sentence followed by one the
 * facet's `carry` matches is read together with it.
 */
export function bestSentence(facet: Pick<Facet, 'cues' | 'carry'>, text: string): { sentence: string; score: number } {
  let best = { sentence: '', score: 0 };
  const { carry } = facet;
  const sentences = chunkSentences(text);
  for (let i = 0; i < sentences.length; i++) {
    const next = sentences[i + 1];
    const carried = carry !== undefined && next !== undefined && carry.pattern.test(next);
    const sentence = carried ? `${sentences[i]!} ${next}` : sentences[i]!;
    let score = carried ? carry.weight : 0;
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

export function statedValues(sentence: string, pattern: RegExp = VALUE): string[] {
  const global = pattern.global ? pattern : new RegExp(pattern.source, `${pattern.flags}g`);
  return [...sentence.matchAll(global)].map((m) => normalValue(m[0])).filter((v) => v.length > 0);
}

/** One form per value: "$65,000", "$65000" and "65k usd" stay different strings, but spacing, case and end dots do not. */
const normalValue = (v: string) => v.toLowerCase().replace(/\s+/g, ' ').trim().replace(/[.,;:]$/, '');

/**
 * Words that say a statement changes an earlier one: the generic English of a revision (a value now, new,
 * updated, moved, cut, replaced, no longer…), not any one writer's phrase.
 */
export const CHANGE_MARKER =
  /\b(?:now|new(?:ly)?|updated?|updating|revis\w*|chang\w*|instead|replac\w*|no longer|any ?more|correct(?:ion|ed|ing)?|actually|took over|tak(?:es|ing) over|moved?|moving|left|leaving|switch\w*|going forward|from now on|increas\w*|reduc\w*|cut|rais\w*|lower\w*|bump\w*|push\w*|postpon\w*|delay\w*|slipp?\w*|brought forward|pulled in|extend\w*|reschedul\w*|shift\w*|adjust\w*|amend\w*|latest|scratch that|rather than|not \$?\d|successor|succeed\w*|step(?:s|ped|ping) (?:down|in)|handed over|hand(?:s|ing) over|taken over|in place of)\b/i;

interface Answer {
  h: ChunkHit;
  cue: number;
  values: string[];
  changes: boolean;
}

/**
 * `newer` revises `older`: both answer a single-valued fact, `newer` is later and from another source, it states a
 * value `older` does not, and it either says that something changed or answers at least as strongly. Structure
 * (same fact, another value, later), so that it holds for wordings it was not written from.
 */
export function revises(newer: Answer, older: Answer): boolean {
  return (
    newer.h.chunk.occurredAt > older.h.chunk.occurredAt &&
    newer.h.chunk.sourceId !== older.h.chunk.sourceId &&
    older.values.length > 0 &&
    newer.values.some((v) => !older.values.includes(v)) &&
    !newer.values.every((v) => older.values.includes(v)) &&
    (newer.changes || newer.cue >= older.cue)
  );
}

/**
 * Moves every answer that revises one ranked above it to just before that one (the rest keep their order): the
 * current version of a fact is read first, the outdated one stays in the list behind it.
 */
export function newerVersionsFirst<T>(items: T[], answerOf: (item: T) => Answer | null): T[] {
  const out = items.slice();
  const answers = new Map<T, Answer | null>(out.map((x) => [x, answerOf(x)]));
  for (let i = 0; i < out.length; i++) {
    const older = answers.get(out[i]!);
    if (!older || older.values.length === 0) continue;
    // The newest revision of the item at i takes its place; the loop then looks at position i again.
    let best = -1;
    for (let j = i + 1; j < out.length; j++) {
      const n = answers.get(out[j]!);
      if (n && revises(n, older) && (best < 0 || n.h.chunk.occurredAt > answers.get(out[best]!)!.h.chunk.occurredAt)) best = j;
    }
    if (best >= 0) {
      const [moved] = out.splice(best, 1);
      out.splice(i, 0, moved!);
      i--;
    }
  }
  return out;
}

const dealOf = (h: ChunkHit) => h.chunk.relatedIds.find((id) => id.startsWith('deals:')) ?? '';

/** Round robin over the deals the hits are associated with (in order of each deal's first hit), order kept within a deal. */
export function spreadOverDeals<T extends { h: ChunkHit }>(items: T[]): T[] {
  const groups = new Map<string, T[]>();
  for (const x of items) {
    const key = dealOf(x.h);
    const g = groups.get(key);
    if (g) g.push(x);
    else groups.set(key, [x]);
  }
  const out: T[] = [];
  const lists = [...groups.values()];
  for (let i = 0; out.length < items.length; i++) for (const g of lists) if (i < g.length) out.push(g[i]!);
  return out;
}

/** A chunk as an answer of a single-valued facet (null when it does not answer it). */
export function slotAnswer(facet: Facet, h: ChunkHit): Answer | null {
  const best = bestSentence(facet, h.chunk.text);
  if (best.score < (facet.minCue ?? 1)) return null;
  return { h, cue: best.score, values: statedValues(best.sentence, facet.value), changes: CHANGE_MARKER.test(best.sentence) };
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
  return rankAnswers(facet, fused).map((x) => x.hit);
}

/**
 * A facet's ranking with each hit marked: `answer` when its best sentence answers the facet (cue ≥ minCue) and it
 * is current (neither a copy of an older statement nor a value a newer answer revised).
 */
export interface FacetHit extends ChunkHit {
  answer: boolean;
}

function rankAnswers(facet: Facet, fused: ChunkHit[]): Array<{ hit: ChunkHit; answer: boolean }> {
  const min = facet.minCue ?? 1;
  const scored = fused.map((h, rank) => {
    const best = bestSentence(facet, h.chunk.text);
    return {
      h,
      rank,
      cue: best.score,
      // Per deal, the same words about two deals are two statements, not a statement and its copy.
      key: facet.perDeal ? `${dealOf(h)} ${sentenceKey(best.sentence)}` : sentenceKey(best.sentence),
      values: statedValues(best.sentence, facet.value),
      changes: CHANGE_MARKER.test(best.sentence),
      text: h.chunk.text.toLowerCase(),
    };
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
  // Of equally strong answers, one that states the fact's value (an amount, a date, a person) comes first: "Could we
  // keep the whole thing under €65,000?" answers "what is the budget?"; "Our budget is approved" and a rep's "I will
  // introduce us to the CFO for budget approval" only speak of it.
  const states = (a: (typeof scored)[number]) => (facet.value && a.values.length > 0 ? 1 : 0);
  const current = answers.filter((a) => !stepBack.has(a)).sort((a, b) => b.cue - a.cue || states(b) - states(a) || a.rank - b.rank);
  if (facet.supersede && current.length > 1) {
    const top = current[0]!;
    const tied = current
      .filter((a) => a.cue === top.cue && states(a) === states(top))
      .sort((a, b) => b.h.chunk.occurredAt.localeCompare(a.h.chunk.occurredAt) || a.rank - b.rank);
    current.splice(0, tied.length, ...tied);
  }
  const versions = facet.supersede ? newerVersionsFirst(current, (a) => a) : current;
  const ordered = facet.perDeal ? spreadOverDeals(versions) : versions;
  const rest = scored.filter((s) => s.cue < min);
  const back = answers.filter((a) => stepBack.has(a)).sort((a, b) => b.cue - a.cue || a.rank - b.rank);
  return [...ordered.map((s) => ({ hit: s.h, answer: true })), ...[...rest, ...back].map((s) => ({ hit: s.h, answer: false }))];
}

/**
 * Every query of the facet searched on its own, fused by reciprocal rank, then ranked by the facet's cues: the
 * first `k`, then up to `spare` further current answers, each marked whether it answers.
 */
export async function facetSearch(input: FacetSearchInput): Promise<FacetHit[]> {
  const { facet, k, spare, perQuery, excludeSourceIds, ...rest } = input;
  const lists = await Promise.all(facet.queries.map((query) => hybridSearch({ ...rest, query, k: perQuery ?? 20 })));
  const fused = reciprocalRankFusion(lists).filter((h) => !excludeSourceIds?.has(h.chunk.sourceId));
  let ranked = rankAnswers(facet, fused).map(({ hit, answer }) => ({ ...hit, answer }));
  const answers = ranked.filter((h) => h.answer).length;
  if (answers < k && rest.embedder && (rest.mode ?? 'hybrid') !== 'bm25' && isSemantic(rest.embedder)) {
    ranked = [...ranked.slice(0, answers), ...(await guessesByMeaning(facet, ranked.slice(answers), rest.embedder))];
  }
  return [...ranked.slice(0, k), ...ranked.slice(k).filter((h) => h.answer).slice(0, spare ?? 0)];
}

/**
 * The offline embedder hashes words: its "similarity" is word overlap, which BM25 already ranks by. As a guess
 * ranker it lost recall on every development seed tried (call summaries with the cues for other languages left
 * out: 0.817 → 0.793 and 0.833 → 0.786), so guesses are read for meaning only with a model.
 */
const isSemantic = (e: Embedder) => e.provider !== 'offline';

/** How many of a facet's best-retrieved non-answers are read for meaning. */
export const GUESSES_READ = 8;
/** A chunk's sentences read for meaning, at most (a long transcript's first ones). */
const SENTENCES_READ = 40;

/**
 * A facet with fewer answers than slots fills them with guesses: chunks its cues do not recognise as answers. By
 * retrieval rank alone, the guess is whatever chunk is most like the queries as a whole, often a long one that
 * touches the topic; the answer in words the cues were not written for ("Un requisito imprescindible: alojamiento
 * de datos en España") ranks a little lower. So the first `GUESSES_READ` guesses are ordered by their best
 * sentence's similarity to any of the facet's queries, embedded by the model; the rest keep retrieval order.
 * The sentence vectors go through the embedder's cache like every other text.
 */
export async function guessesByMeaning<T extends ChunkHit>(facet: Pick<Facet, 'queries'>, guesses: T[], embedder: Embedder): Promise<T[]> {
  const head = guesses.slice(0, GUESSES_READ);
  if (head.length < 2) return guesses;
  const sentences = head.map((h) => chunkSentences(h.chunk.text).slice(0, SENTENCES_READ));
  const flat = sentences.flat();
  if (flat.length === 0) return guesses;
  const [queries, docs] = await Promise.all([embedder.embed(facet.queries, 'query'), embedder.embed(flat, 'document')]);
  let next = 0;
  const scored = head.map((hit, index) => {
    let best = -Infinity;
    for (let i = 0; i < sentences[index]!.length; i++) {
      const v = docs.vectors[next++]!;
      for (const q of queries.vectors) best = Math.max(best, cosine(v, q));
    }
    return { hit, index, best };
  });
  scored.sort((a, b) => b.best - a.best || a.index - b.index);
  return [...scored.map((x) => x.hit), ...guesses.slice(GUESSES_READ)];
}
