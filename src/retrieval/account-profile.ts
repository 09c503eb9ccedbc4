import { createHash } from 'node:crypto';
import type { AccountHistory, Engagement } from '../core/objects.ts';
import { evidenceEngagements } from '../core/product-output.ts';
import type { Embedder } from '../text/embedder.ts';
import { firmographicsOf, humanize } from './firmographics.ts';
import { contentTerms, rawTerms, termFrequencies } from './text-terms.ts';
import { normalized } from './vector-math.ts';
import type { AccountProfile, ChunkPayload } from './vector-store.ts';

/**
 * The account profile: one vector per account for "similar accounts", built from the account's history alone.
 *
 * Design: the vector is the mean embedding of the account's THEMED_SENTENCES most "themed" history sentences. A
 * sentence scores by its terms that some accounts of the portal share but most do not (max(2, THEMED_MIN_SHARE · N)
 * ≤ document frequency ≤ THEMED_MAX_SHARE · N for N accounts, weight log(N/df), over √terms): names (one account),
 * coincidences (a word a handful of accounts happen to share) and boilerplate (nearly every account) score
 * nothing, so what remains is what the account needs and how it buys. Only whole sentences count (ending in
 * . ! ?), not subject lines or headers, which carry product names rather than needs.
 *
 * Why the lower bound is a share and not 2: with df ≥ 2 the highest weights went to words two or three accounts
 * share by chance (a vendor, a date, a one-off requirement), so the top sentences were mostly one-off facts. Exact
 * term overlap (the lexical embedder) still found the theme words inside them, but a sentence model embeds what a
 * sentence is about, and eight one-off facts averaged into a vector that said little about the account's need
 * (the real model lost 0.05–0.09 precision@10 to the lexical embedder on the dev seeds).
 *
 * The document frequencies are the portal's (one "document" per account), maintained incrementally as accounts
 * are indexed (ingest/term-stats.ts) and never mixed across portals. Firmographic fields (industry, size, location,
 * description) and the record chunks never enter the vector: they are filters of the similar-accounts API and
 * reasons shown beside a neighbour. When industry and size band were embedded into the vector, "similar" only
 * restated the CRM's segment fields and said nothing about what an account needs (`npm run eval`, similar).
 * Only an account with no history at all falls back to an embedding of its firmographic phrase, so that it still
 * has a profile (and can be found through the filters).
 *
 * Options chosen on development seeds 504–505 (100 companies; dev and test style; lexical embedder and the real model,
 * never the test seeds): k = 16, minShare = 0.06, maxShare = 0.5 (was k = 8, df ≥ 2).
 */

export const THEMED_SENTENCES = 16;
export const THEMED_MIN_SHARE = 0.06;
export const THEMED_MAX_SHARE = 0.5;
/**
 * The version of the sentence choice above, part of a profile's source key: a profile built by an earlier choice
 * is rebuilt when its account is next indexed, as if its history had changed.
 */
const PROFILE_VERSION = 2;
export const TOPIC_COUNT = 12;

/** Portal-wide document frequencies of terms (one "document" per account). */
export interface TermDocumentFrequencies {
  documents: number;
  df: ReadonlyMap<string, number>;
}

/**
 * What an account's history contributes to its profile before portal statistics are known (computed in the
 * work-pool threads during a backfill): the account's distinct terms (its "document" for the portal's document
 * frequencies), its candidate sentences with their terms, and its topic candidates with their counts.
 */
export interface HistoryDigest {
  terms: string[];
  sentences: Array<{ text: string; terms: string[] }>;
  /** [term, count] of content terms, speaker labels and numbers left out (for topics). */
  termCounts: Array<[string, number]>;
  /**
   * What the history contributes, as 16 hex digits: equal for equal histories whatever order their chunks came
   * in (a work-pool thread's drafts or the store's chunks). Part of a profile's content hash.
   */
  fingerprint: string;
}

/** Texts of the history: normalized chunk texts when the indexer has them, else the raw engagement properties. */
export function historyTexts(history: AccountHistory | undefined, chunks?: Array<Pick<ChunkPayload, 'text' | 'sourceType'>>): string[] {
  // Profiles describe what people did: the records' own text (firmographics, description) and the product's
  // earlier output stay out.
  if (chunks && chunks.length > 0) return chunks.filter((c) => c.sourceType !== 'record' && c.sourceType !== 'ai_output').map((c) => c.text);
  if (!history) return [];
  const texts = evidenceEngagements(history.engagements).map(engagementText);
  for (const t of history.tickets) texts.push([t.properties.subject, t.properties.content].filter(Boolean).join('\n'));
  for (const d of history.deals) if (d.properties.dealname) texts.push(d.properties.dealname);
  return texts.filter((t) => t.trim().length > 0);
}

const SPEAKER = /^\s*(?:\[[^\]]*\]\s*)?[^:]{1,80}:\s+/;

/**
 * Reads the chunks when given (the indexer always gives them), so a profile rebuilt later from the stored chunks
 * is the one the indexer built. The account's own names need no list: a name one account uses has document
 * frequency 1, which weighs nothing.
 */
export function digestHistory(history: AccountHistory | undefined, chunks?: Array<Pick<ChunkPayload, 'text' | 'sourceType'>>): HistoryDigest {
  const texts = historyTexts(history, chunks);
  const terms = new Set<string>();
  for (const t of texts) for (const term of contentTerms(t)) terms.add(term);
  const seen = new Set<string>();
  const sentences: HistoryDigest['sentences'] = [];
  for (const raw of texts.flatMap((t) => t.split(/(?<=[.!?])\s+|\n+/))) {
    const s = raw.replace(SPEAKER, '').trim();
    if (s.length <= 20 || s.length >= 300 || !/[.!?]$/.test(s) || /^(?:re|fwd?):/i.test(s) || seen.has(s)) continue;
    seen.add(s);
    sentences.push({ text: s, terms: [...new Set(contentTerms(s))] });
  }
  const exclude = speakerNames(texts);
  const counts = termFrequencies(texts.flatMap((t) => contentTerms(t)).filter((t) => !exclude.has(t) && !/^\d+$/.test(t)));
  const sortedTerms = [...terms].sort();
  const termCounts = [...counts];
  const fingerprint = shortHash([sortedTerms, sentences.map((x) => x.text).sort(), [...termCounts].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))]);
  return { terms: sortedTerms, sentences, termCounts, fingerprint };
}

function shortHash(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(value)).digest('hex').slice(0, 16);
}

/**
 * The first 16 hex digits of the content hash of a profile built from this digest and record with this embedder: when a
 * stored profile's hash starts with it, the account's history and record are what the profile was built from,
 * and only a change in the portal's statistics (the drift pass, account-profiler.ts) can change its sentences.
 */
export function profileSourceKey(digest: HistoryDigest, record: ProfileRecord, embedder: Pick<Embedder, 'model' | 'dimensions'>): string {
  return shortHash([PROFILE_VERSION, digest.fingerprint, embedder.model, embedder.dimensions, record.name, record.industry, record.sizeBand, record.lifecycle, record.isCustomer]);
}

/** Weight of a term in the portal: log(N/df) inside the band max(2, minShare · N) ≤ df ≤ maxShare · N, else 0. */
function themeWeight(docs: TermDocumentFrequencies, term: string, maxShare: number, minShare = 0): number {
  const df = docs.df.get(term) ?? 0;
  return df >= Math.max(2, minShare * docs.documents) && df <= maxShare * docs.documents ? Math.log(docs.documents / df) : 0;
}

/** The account's k most themed sentences, best first (ties by text, so the choice is deterministic). */
export function themedSentences(digest: HistoryDigest, docs: TermDocumentFrequencies, k = THEMED_SENTENCES, maxShare = THEMED_MAX_SHARE, minShare = THEMED_MIN_SHARE): string[] {
  const score = (terms: string[]) => (terms.length ? terms.reduce((a, t) => a + themeWeight(docs, t, maxShare, minShare), 0) / Math.sqrt(terms.length) : 0);
  return digest.sentences
    .map((s) => ({ s: s.text, v: score(s.terms) }))
    .filter((x) => x.v > 0)
    .sort((a, b) => b.v - a.v || a.s.localeCompare(b.s))
    .slice(0, k)
    .map((x) => x.s);
}

/** Topics shown as "shared topics": log-scaled term frequency × the portal weight of the term. */
export function profileTopics(digest: HistoryDigest, docs: TermDocumentFrequencies, count = TOPIC_COUNT): string[] {
  return digest.termCounts
    .map(([term, n]) => ({ term, score: (1 + Math.log(n)) * themeWeight(docs, term, THEMED_MAX_SHARE) }))
    .filter((s) => s.score > 0)
    .sort((a, b) => b.score - a.score || a.term.localeCompare(b.term))
    .slice(0, count)
    .map((s) => s.term);
}

/** The terms whose document frequencies a profile of this digest reads. */
export function termsToLookUp(digest: HistoryDigest): string[] {
  const out = new Set<string>();
  for (const s of digest.sentences) for (const t of s.terms) out.add(t);
  for (const [t] of digest.termCounts) out.add(t);
  return [...out];
}

/** What a profile carries from the CRM record: shown beside a neighbour and used as filters, never embedded. */
export type ProfileRecord = Pick<AccountProfile, 'name' | 'industry' | 'sizeBand' | 'lifecycle' | 'isCustomer'>;

export function profileRecordOf(history: AccountHistory): ProfileRecord {
  const f = firmographicsOf(history);
  return { name: f.name, industry: f.industry, sizeBand: f.sizeBand, lifecycle: f.lifecycle, isCustomer: f.isCustomer };
}

export interface BuildProfileInput {
  portalId: string;
  accountId: string;
  record: ProfileRecord;
  embedder: Embedder;
  /** `digestHistory(history, chunks)`, computed by the caller (the indexer's work-pool threads do). */
  digest: HistoryDigest;
  /** The portal's document frequencies, at least for `termsToLookUp(digest)`. */
  docs: TermDocumentFrequencies;
  /**
   * The stored profile: when the new content hash equals its, nothing is embedded and null is returned; when only
   * the record changed (same sentences), its vector is reused.
   */
  previous?: Pick<AccountProfile, 'contentHash' | 'vector' | 'embeddingModel'>;
  now?: Date;
}

/** Builds the profile, or null when it is unchanged since `previous` (no embedding call then). */
export async function buildAccountProfile(input: BuildProfileInput): Promise<AccountProfile | null> {
  const plan = planAccountProfile(input);
  if (!plan) return null;
  return { ...plan.profile, vector: plan.vector ?? (await embedTexts(input.embedder, plan.texts)) };
}

/**
 * What `buildAccountProfile` builds, before its one embedding call: null when unchanged since `previous`; else the
 * profile without its vector, the texts whose mean embedding (`meanOfUnitVectors`) is the vector, and the vector
 * itself when the previous one is reused. Callers that build many profiles embed all their texts in one call.
 */
export function planAccountProfile(input: BuildProfileInput): { profile: Omit<AccountProfile, 'vector'>; texts: string[]; vector?: Float32Array } | null {
  const { record: f, embedder, digest, docs } = input;
  const sentences = themedSentences(digest, docs);
  const topics = profileTopics(digest, docs);
  // No themed sentence (a tiny portal, or an account whose history is all names and boilerplate): its topics or
  // terms; no history at all: the firmographic phrase, so that the account still has a profile.
  const texts = sentences.length > 0 ? sentences : topics.length > 0 ? [topics.join(' ')] : digest.terms.length > 0 ? [digest.terms.slice(0, 64).join(' ')] : [firmographicPhrase(f.industry, f.sizeBand)];
  // Three parts of 16 hex digits: what the account's history and record are (profileSourceKey), what the profile
  // shows (its texts and topics), and what its vector embeds (reused when only the record changed).
  const textsKey = shortHash([embedder.model, embedder.dimensions, texts]);
  const contentHash = profileSourceKey(digest, f, embedder) + shortHash([textsKey, topics]) + textsKey;
  const previous = input.previous;
  if (contentHash === previous?.contentHash) return null;
  const reuse = previous && previous.embeddingModel === embedder.model && previous.vector.length === embedder.dimensions && previous.contentHash.length === 48 && previous.contentHash.slice(32) === textsKey;
  const profile = {
    portalId: input.portalId,
    accountId: input.accountId,
    ...f,
    topics,
    updatedAt: (input.now ?? new Date()).toISOString(),
    contentHash,
    embeddingModel: embedder.model,
  };
  return reuse ? { profile, texts, vector: previous.vector } : { profile, texts };
}

async function embedTexts(embedder: Embedder, texts: string[]): Promise<Float32Array> {
  const { vectors } = await embedder.embed(texts);
  if (vectors.length !== texts.length) throw new Error(`embedder ${embedder.model} returned ${vectors.length} vectors for ${texts.length} texts`);
  return meanOfUnitVectors(vectors);
}

function firmographicPhrase(industry: string | null, sizeBand: string | null): string {
  return `${industry ? humanize(industry) : 'unknown industry'} · ${sizeBand ?? 'unknown size'}`;
}

/** The normalized mean of the vectors, each normalized first (one long sentence does not outweigh the others). */
export function meanOfUnitVectors(vectors: Float32Array[]): Float32Array {
  const d = vectors[0]?.length ?? 0;
  const out = new Float32Array(d);
  for (const v of vectors) {
    const u = normalized(v);
    for (let i = 0; i < d; i++) out[i]! += u[i]!;
  }
  return normalized(out);
}

/** Counts, per term, how many of the given accounts' histories contain it (tests and one-off tools). */
export function documentFrequencies(digests: Iterable<Pick<HistoryDigest, 'terms'>>): TermDocumentFrequencies {
  const df = new Map<string, number>();
  let documents = 0;
  for (const d of digests) {
    documents += 1;
    for (const term of d.terms) df.set(term, (df.get(term) ?? 0) + 1);
  }
  return { documents, df };
}

/** Words of transcript speaker labels ("[00:01:02] Jane Doe (Acme):"): people, not topics. */
function speakerNames(texts: string[]): Set<string> {
  const out = new Set<string>();
  for (const t of texts) {
    for (const m of t.matchAll(/^\s*(?:[[(]?\d{1,2}:\d{2}(?::\d{2})?[\])]?\s*)?([^:\n]{1,80}?)\s*:\s/gmu)) {
      for (const w of rawTerms(m[1] ?? '')) out.add(w);
    }
  }
  return out;
}

const ENGAGEMENT_FIELDS: Record<Engagement['type'], string[]> = {
  notes: ['hs_note_body'],
  emails: ['hs_email_subject', 'hs_email_text'],
  calls: ['hs_call_title', 'hs_call_body'],
  meetings: ['hs_meeting_title', 'hs_meeting_body', 'hs_internal_meeting_notes'],
  tasks: ['hs_task_subject', 'hs_task_body'],
};

function engagementText(e: Engagement): string {
  const text = ENGAGEMENT_FIELDS[e.type].map((f) => e.object.properties[f] ?? '').join('\n');
  // Raw engagement bodies may be HTML; tags would otherwise become "terms".
  return text.replace(/<[^>]*>/g, ' ');
}
