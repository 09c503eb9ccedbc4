import { createHash } from 'node:crypto';
import type { AccountHistory, Engagement } from '../core/objects.ts';
import { evidenceEngagements } from '../core/product-output.ts';
import type { Embedder } from '../text/embedder.ts';
import { firmographicsOf, humanize, type Firmographics } from './firmographics.ts';
import { contentTerms, rawTerms, termFrequencies } from './text-terms.ts';
import { blend } from './vector-math.ts';
import type { AccountProfile, ChunkPayload } from './vector-store.ts';

/**
 * The account profile: one vector per account for "similar accounts".
 *
 * Design: the vector is a weighted blend of two embeddings from the configured embedder:
 *   - a digest of the history: its most salient terms (the account's own names, speaker labels and location left
 *     out), weight 0.45: what the account talks about and needs;
 *   - the firmographic phrase (industry and size band, e.g. "financial services · mid-market"), weight 0.2: a
 *     tie-breaker, no more. Industry and size are filters of the similar-accounts API; when they dominated the
 *     vector (weight 0.8), "similar" only restated the CRM's segment fields, and neighbours found that way said
 *     nothing about what an account needs (the eval's hidden-need clusters, `npm run eval`).
 * Blending two embeddings (instead of appending a one-hot block) keeps the profile in the embedder's own
 * dimensions and works the same with a semantic or the lexical offline embedder. Lifecycle is left out on
 * purpose: it is a filter, not a similarity.
 */

export const FIRMOGRAPHIC_WEIGHT = 0.2;
export const HISTORY_WEIGHT = 0.45;
export const TOPIC_COUNT = 12;
/** Terms embedded in the history digest: more than the topics shown, so the digest carries what the account is about. */
export const DIGEST_TERM_COUNT = 32;

/** Portal-wide document frequencies of terms (one "document" per account), for TF-IDF salience. */
export interface TermDocumentFrequencies {
  documents: number;
  df: ReadonlyMap<string, number>;
}

export interface ProfileText {
  firmographics: Firmographics;
  /** Embedded with FIRMOGRAPHIC_WEIGHT. */
  firmographicText: string;
  /** Embedded with HISTORY_WEIGHT. */
  digestText: string;
  topics: string[];
}

/** Texts of the history: normalized chunk texts when the indexer has them, else the raw engagement properties. */
export function historyTexts(history: AccountHistory, chunks?: Array<Pick<ChunkPayload, 'text' | 'sourceType'>>): string[] {
  // Profiles describe what people did: the records' own text and the product's earlier output stay out.
  if (chunks && chunks.length > 0) return chunks.filter((c) => c.sourceType !== 'record' && c.sourceType !== 'ai_output').map((c) => c.text);
  const texts = evidenceEngagements(history.engagements).map(engagementText);
  for (const t of history.tickets) texts.push([t.properties.subject, t.properties.content].filter(Boolean).join('\n'));
  for (const d of history.deals) if (d.properties.dealname) texts.push(d.properties.dealname);
  if (history.company?.properties.description) texts.push(history.company.properties.description);
  return texts.filter((t) => t.trim().length > 0);
}

export function buildProfileText(history: AccountHistory, docs?: TermDocumentFrequencies, chunks?: Array<Pick<ChunkPayload, 'text' | 'sourceType'>>): ProfileText {
  const firmographics = firmographicsOf(history);
  const texts = historyTexts(history, chunks);
  const terms = salientTerms(texts, new Set([...ownNames(history), ...speakerNames(texts)]), docs, DIGEST_TERM_COUNT);
  const topics = terms.slice(0, TOPIC_COUNT);
  const industry = firmographics.industry ? humanize(firmographics.industry) : 'unknown industry';
  const firmographicText = `${industry} · ${firmographics.sizeBand ?? 'unknown size'}`;
  // Location is a filter, not what an account is like: it stays out of the digest.
  return { firmographics, firmographicText, digestText: terms.length ? terms.join(' ') : 'no history', topics };
}

export interface BuildProfileInput {
  history: AccountHistory;
  embedder: Embedder;
  /** The account's chunks (normalized text); without them engagement properties are read directly. */
  chunks?: ChunkPayload[];
  /** `buildProfileText(history, docs, chunks)` when already computed (the indexer's work-pool threads do). */
  text?: ProfileText;
  docs?: TermDocumentFrequencies;
  /** When the new content hash equals this, nothing is embedded and null is returned. */
  previousContentHash?: string;
  now?: Date;
}

/** Builds the profile, or null when it is unchanged since `previousContentHash` (no embedding call then). */
export async function buildAccountProfile(input: BuildProfileInput): Promise<AccountProfile | null> {
  const { history, embedder } = input;
  const t = input.text ?? buildProfileText(history, input.docs, input.chunks);
  const f = t.firmographics;
  const contentHash = createHash('sha256')
    .update(JSON.stringify([embedder.model, embedder.dimensions, t.firmographicText, t.digestText, f.name, f.industry, f.sizeBand, f.lifecycle, f.isCustomer, t.topics]))
    .digest('hex')
    .slice(0, 32);
  if (contentHash === input.previousContentHash) return null;
  const { vectors } = await embedder.embed([t.firmographicText, t.digestText]);
  const [firmo, digest] = vectors;
  if (!firmo || !digest) throw new Error(`embedder ${embedder.model} returned ${vectors.length} vectors for 2 texts`);
  return {
    portalId: history.portalId,
    accountId: history.accountId,
    name: f.name,
    industry: f.industry,
    sizeBand: f.sizeBand,
    lifecycle: f.lifecycle,
    isCustomer: f.isCustomer,
    topics: t.topics,
    updatedAt: (input.now ?? new Date()).toISOString(),
    contentHash,
    embeddingModel: embedder.model,
    vector: blend([
      { vector: firmo, weight: FIRMOGRAPHIC_WEIGHT },
      { vector: digest, weight: HISTORY_WEIGHT },
    ]),
  };
}

/**
 * Top terms by log-scaled term frequency × smoothed IDF (IDF only when portal-wide frequencies are known).
 * The account's own names (company, contacts) are excluded: they say nothing about what the account is like.
 */
export function salientTerms(texts: string[], exclude: ReadonlySet<string>, docs?: TermDocumentFrequencies, count = TOPIC_COUNT): string[] {
  const tf = termFrequencies(texts.flatMap((t) => contentTerms(t)).filter((t) => !exclude.has(t) && !/^\d+$/.test(t)));
  const scored = [...tf].map(([term, n]) => {
    const idf = docs ? Math.log(1 + docs.documents / (1 + (docs.df.get(term) ?? 0))) : 1;
    return { term, score: (1 + Math.log(n)) * idf };
  });
  scored.sort((a, b) => b.score - a.score || a.term.localeCompare(b.term));
  return scored.slice(0, count).map((s) => s.term);
}

/** Counts, per term, how many of the given accounts' histories contain it (input to TF-IDF salience). */
export function documentFrequencies(historiesTexts: Iterable<string[]>): TermDocumentFrequencies {
  const df = new Map<string, number>();
  let documents = 0;
  for (const texts of historiesTexts) {
    documents += 1;
    for (const term of new Set(texts.flatMap((t) => contentTerms(t)))) df.set(term, (df.get(term) ?? 0) + 1);
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

function ownNames(h: AccountHistory): Set<string> {
  const names: string[] = [];
  const c = h.company?.properties;
  if (c) names.push(c.name ?? '', c.domain ?? '');
  for (const p of h.contacts) names.push(p.properties.firstname ?? '', p.properties.lastname ?? '', p.properties.email ?? '');
  return new Set(names.flatMap((n) => rawTerms(n)));
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
