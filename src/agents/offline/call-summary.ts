import type { CallSummaryOutput } from '../schemas.ts';
import type { ReferencedChunk } from '../untrusted.ts';
import { extractCommitments } from './commitments.ts';
import { COMPETITOR_CUES, COMPETITOR_CUES_LOWER, FILLERS, COMPETITOR_SUBJECT, NOT_A_VENDOR_WORD, KEY_POINT, NOT_A_COMPANY, NOT_AN_OBJECTION, OBJECTION, RISK, SMALL_TALK } from './cues.ts';
import { normalizeKey, sentencesOf, sentencesOfChunks, type Sentence } from './sentences.ts';
import { OFFLINE_LABEL, type OfflineCallSummaryInput } from './types.ts';

/**
 * Extractive call summary: picks the call's own sentences that state next steps, objections, risks and
 * competitors, and adds key facts from the retrieved history (requirements, budgets, deadlines) that the call
 * alone does not show. Every item cites the chunk it was copied from.
 */

interface Item {
  text: string;
  evidence: string[];
}

class ItemSet<T extends Item> {
  private readonly byKey = new Map<string, T>();
  add(item: T): void {
    const key = normalizeKey(item.text);
    if (!key) return;
    const existing = this.byKey.get(key);
    if (existing) {
      for (const e of item.evidence) if (!existing.evidence.includes(e)) existing.evidence.push(e);
      return;
    }
    this.byKey.set(key, item);
  }
  values(limit: number): T[] {
    return [...this.byKey.values()].slice(0, limit);
  }
  get size(): number {
    return this.byKey.size;
  }
}

function clean(text: string): string {
  return text.replace(/\s+/g, ' ').trim().replace(/^[-–•*]\s*/, '');
}

/** "To be honest, one concern: the price is above budget." → "the price is above budget" */
function afterColon(text: string): string {
  const i = text.indexOf(':');
  const tail = i >= 0 && i < 60 ? text.slice(i + 1) : text;
  return clean(tail).replace(/[.!]+$/, '');
}

function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

export function competitorsIn(text: string, exclude: ReadonlySet<string> = new Set()): string[] {
  const out: string[] = [];
  const add = (name: string) => {
    // "Compared with Zendrix, the…" can capture a trailing capitalized word from the next clause.
    const trimmed = name.split(/\s+/).filter((w) => !NOT_A_COMPANY.has(w) && !exclude.has(w)).join(' ');
    if (trimmed && !out.includes(trimmed)) out.push(trimmed);
  };
  for (const m of text.matchAll(COMPETITOR_CUES)) {
    const name = (m[1] ?? '').trim();
    if (name && !NOT_A_COMPANY.has(name.split(/\s+/)[0] ?? '')) add(name);
  }
  for (const m of text.matchAll(COMPETITOR_SUBJECT)) {
    const name = (m[1] ?? m[2] ?? m[3] ?? '').trim();
    if (name && !NOT_A_COMPANY.has(name)) add(name);
  }
  // Speech-to-text writes names in lower case: only in such a line (after its speaker label) a strong cue names
  // the vendor that follows it.
  for (const line of text.split('\n')) {
    const said = line.replace(/^\s*(?:[[(]?\d{1,2}:\d{2}(?::\d{2})?[\])]?\s*)?[^:]{1,120}?:\s+/, '').replace(FILLERS, ' ').replace(/\s+/g, ' ');
    if (/\p{Lu}/u.test(said)) continue;
    for (const m of said.matchAll(COMPETITOR_CUES_LOWER)) {
      const word = m[1] ?? '';
      if (word && !NOT_A_VENDOR_WORD.has(word) && !exclude.has(word)) add(word.charAt(0).toUpperCase() + word.slice(1));
    }
  }
  return out;
}

/** Vendors named anywhere in the account's history, found again in lower-case speech ("we looked at zendrix"). */
function knownVendorsIn(text: string, known: Iterable<string>): string[] {
  const lower = ` ${text.toLowerCase().replace(/[^\p{L}\p{N}]+/gu, ' ')} `;
  return [...known].filter((k) => lower.includes(` ${k.toLowerCase()} `));
}

export function summarizeCallOffline(input: OfflineCallSummaryInput): CallSummaryOutput {
  const triggerSentences = sentencesOfChunks(input.trigger);
  const callSentences = triggerSentences.filter((s) => !SMALL_TALK.test(s.text));
  const historySentences = input.history.flatMap(sentencesOf).filter((s) => !SMALL_TALK.test(s.text));

  const nextSteps = new ItemSet<Item & { owner: string | null; dueDate: string | null }>();
  const objections = new ItemSet<Item>();
  const risks = new ItemSet<Item>();
  const keyPoints = new ItemSet<Item>();
  const competitors = new Map<string, string[]>();

  // People on the call are not vendors.
  const people = new Set(callSentences.flatMap((s) => (s.speaker ?? '').split(/\s+/)).filter(Boolean));
  // Acceptances ("Sure, will do.") look like small talk but turn a request into a commitment: keep every sentence.
  for (const c of extractCommitments(triggerSentences)) {
    nextSteps.add({ text: c.text, owner: c.owner, dueDate: c.dueDate, evidence: [...new Set(c.sources.map((x) => x.ref))] });
  }
  const historyVendors = new Set(historySentences.flatMap((s) => competitorsIn(s.text, people)));
  for (const s of callSentences) {
    if (OBJECTION.test(s.text) && !NOT_AN_OBJECTION.test(s.text)) objections.add({ text: capitalize(afterColon(s.text)), evidence: [s.ref] });
    if (RISK.test(s.text)) risks.add({ text: capitalize(afterColon(s.text)), evidence: [s.ref] });
    for (const c of [...competitorsIn(s.text, people), ...knownVendorsIn(s.text, historyVendors)]) competitors.set(c, [...new Set([...(competitors.get(c) ?? []), s.ref])]);
    if (KEY_POINT.test(s.text) && !OBJECTION.test(s.text)) keyPoints.add({ text: clean(s.text), evidence: [s.ref] });
  }
  // History: facts the call does not repeat but the summary should carry (the buried requirement, budget…).
  const fromHistory = new ItemSet<Item>();
  for (const s of historySentences) {
    if (KEY_POINT.test(s.text)) fromHistory.add({ text: clean(s.text), evidence: [s.ref] });
    for (const c of competitorsIn(s.text, people)) competitors.set(c, [...new Set([...(competitors.get(c) ?? []), s.ref])]);
  }
  for (const [name, refs] of competitors) {
    risks.add({ text: `Competing evaluation: ${name}`, evidence: refs });
  }

  const points = [...keyPoints.values(4), ...fromHistory.values(3).map((p) => ({ ...p, text: `From the account history: ${p.text}` }))];
  const steps = nextSteps.values(10);
  const objs = objections.values(8);
  const comps = [...competitors].map(([name, evidence]) => ({ name, evidence }));
  const summary = [
    OFFLINE_LABEL,
    `Call with ${speakersOf(callSentences) || 'the account'}.`,
    steps.length ? `${steps.length} next step${steps.length > 1 ? 's' : ''} agreed.` : 'No explicit next step was stated.',
    objs.length ? `${objs.length} objection${objs.length > 1 ? 's' : ''} raised.` : '',
    comps.length ? `Competitors mentioned: ${comps.map((c) => c.name).join(', ')}.` : '',
  ]
    .filter(Boolean)
    .join(' ');

  return {
    summary,
    keyPoints: points,
    nextSteps: steps,
    objections: objs,
    risks: risks.values(6),
    competitors: comps,
  };
}

function speakersOf(sentences: Sentence[]): string {
  const names = [...new Set(sentences.map((s) => s.speaker).filter((n): n is string => Boolean(n)))];
  return names.slice(0, 5).join(', ');
}

/** For tests and the eval: every reference a summary cites. */
export function citedRefs(out: CallSummaryOutput): string[] {
  const refs = [
    ...out.keyPoints,
    ...out.nextSteps,
    ...out.objections,
    ...out.risks,
    ...out.competitors,
  ].flatMap((i) => i.evidence);
  return [...new Set(refs)];
}

export type { ReferencedChunk };
