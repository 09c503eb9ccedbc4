import type { ObjectType } from './object-types.ts';
import { OBJECT_TYPES } from './object-types.ts';
import { EngagementGenerator, emptyTruthSink } from './generate-engagements.ts';
import { plantEnrichment } from './enrichment.ts';
import { makeCompanyAccount, makeContactAccount, makeOwners, type AccountCtx } from './generate-records.ts';
import { leadModel } from './lead-model.ts';
import { DAY, PORTAL_END, PortalBuilder } from './portal-builder.ts';
import { phraseBank, type TextStyle } from './phrasing/index.ts';
import { Rng } from './prng.ts';
import type { GeneratedPortal, GroundTruth, SeedObject } from './types.ts';
import { INJECTIONS, NON_ENGLISH } from './vocabulary.ts';

export const DEFAULT_PORTAL_ID = 9_000_001;
export const DEFAULT_APP_ID = 1_000_001;

/** The text properties that make a source worth indexing; a source with all of them empty has nothing to index. */
export const TEXT_PROPERTIES = {
  note: ['hs_note_body'],
  email: ['hs_email_subject', 'hs_email_text', 'hs_email_html'],
  call: ['hs_call_title', 'hs_call_body'],
  meeting: ['hs_meeting_title', 'hs_meeting_body', 'hs_internal_meeting_notes'],
  task: ['hs_task_subject', 'hs_task_body'],
  ticket: ['subject', 'content'],
} as const;

const SOURCE_TYPE: Record<keyof typeof TEXT_PROPERTIES, ObjectType> = {
  note: 'notes', email: 'emails', call: 'calls', meeting: 'meetings', task: 'tasks', ticket: 'tickets',
};

/**
 * Generates a whole portal from a seed: pure and deterministic (same seed and size, identical output). Every
 * draw comes from forks of one seeded stream, and timestamps are relative to a fixed epoch.
 */
/** `whales`: how many of the first companies get a huge history (default 1, 2 from 100 companies; 0 for a small portal). */
/** `enrichmentGaps`: share of companies whose firmographics are emptied, with enrichment ground truth (enrichment.ts); default 0. */
export function generatePortal(opts: { seed: number; companies: number; whales?: number; style?: TextStyle; enrichmentGaps?: number }): GeneratedPortal {
  const root = new Rng(opts.seed);
  const b = new PortalBuilder();
  const owners = makeOwners();
  const whaleCount = Math.min(opts.whales ?? (opts.companies >= 100 ? 2 : 1), opts.companies);
  const style: TextStyle = opts.style ?? 'dev';
  const recRng = root.fork('records');
  const accounts: AccountCtx[] = [];
  for (let i = 0; i < opts.companies; i++) accounts.push(makeCompanyAccount(b, recRng, owners, i, i < whaleCount));
  // About 5% of all contacts have no company: each is an account of its own.
  const companyContacts = b.objects.contacts.length;
  const loners = Math.round((companyContacts * 0.05) / 0.95);
  for (let i = 0; i < loners; i++) accounts.push(makeContactAccount(b, recRng, owners));

  const truth = emptyTruthSink();
  const gen = new EngagementGenerator(b, root.fork('engagements'), truth, phraseBank(style));
  for (const a of accounts) gen.account(a);
  plantEdgeCases(gen, accounts, truth);
  const companyRecords = new Map(b.objects.companies.map((o) => [o.id, o]));
  const enrichment = opts.enrichmentGaps
    ? plantEnrichment(gen, accounts.flatMap((a) => (a.companyId && companyRecords.get(a.companyId) ? [{ ctx: a, record: companyRecords.get(a.companyId)! }] : [])), root.fork('enrichment'), style, opts.enrichmentGaps)
    : undefined;

  const companies = accounts.flatMap((a) => (a.truth ? [a.truth] : []));
  const deals = accounts.flatMap((a) =>
    a.deals.map((d) => ({ id: d.id, companyId: a.companyId, stage: d.stage, outcome: d.outcome, pWin: d.pWin, pRecordedWin: d.pRecordedWin, flipped: d.flipped, features: d.features })),
  );
  const counts = Object.fromEntries(OBJECT_TYPES.map((t) => [t, b.objects[t].length])) as Record<ObjectType, number>;
  const nonEmpty = Object.fromEntries(
    (Object.keys(TEXT_PROPERTIES) as Array<keyof typeof TEXT_PROPERTIES>).map((k) => [k, b.objects[SOURCE_TYPE[k]].filter((o) => hasText(o, TEXT_PROPERTIES[k])).length]),
  ) as GroundTruth['nonEmptySources'];

  const groundTruth: GroundTruth = {
    seed: opts.seed,
    style,
    portalId: String(DEFAULT_PORTAL_ID),
    appId: String(DEFAULT_APP_ID),
    counts,
    nonEmptySources: nonEmpty,
    accounts: accounts.length,
    companies,
    contactsWithoutCompany: accounts.filter((a) => !a.companyId).map((a) => a.contacts[0]!.id),
    leadModel: leadModel(deals.filter((d) => d.outcome !== 'open').map((d) => ({ p: d.pRecordedWin, won: d.outcome === 'won' }))),
    deals,
    calls: truth.calls,
    evidence: truth.evidence,
    injections: truth.injections,
    edgeCases: truth.edgeCases,
    whaleAccountIds: accounts.filter((a) => a.whale).map((a) => a.accountId),
    ...(enrichment ? { enrichment } : {}),
  };
  return { seed: opts.seed, companiesRequested: opts.companies, objects: b.objects, associations: b.associations, owners, nextId: b.nextId, groundTruth };
}

export function hasText(o: SeedObject | { properties: Record<string, string | null> }, props: readonly string[]): boolean {
  return props.some((p) => (o.properties[p] ?? '').trim() !== '');
}

/**
 * Edge cases that must exist at any portal size, whatever the random draws did: a transcript over 60,000
 * characters, an empty note, non-English text and prompt injections in both an e-mail and a note.
 */
function plantEdgeCases(gen: EngagementGenerator, accounts: AccountCtx[], truth: ReturnType<typeof emptyTruthSink>): void {
  const target = accounts[0];
  if (!target) return;
  const company = target.companyId ? [target.companyId] : [];
  const ts = PORTAL_END - 40 * DAY;
  truth.edgeCases.longTranscriptCallId = gen.call(target, target.contacts.slice(0, 2), company, [], ts, false, 62_000);
  const other = accounts[Math.min(1, accounts.length - 1)]!;
  const otherCompany = other.companyId ? [other.companyId] : [];
  gen.note(other, { companies: otherCompany }, ts - 3 * DAY, '');
  const german = gen.note(other, { companies: otherCompany }, ts - 2 * DAY, NON_ENGLISH[0]);
  truth.edgeCases.nonEnglishIds.push(`notes:${german}`);
  const victim = accounts[Math.min(2, accounts.length - 1)]!;
  const victimCompany = victim.companyId ? [victim.companyId] : [];
  const contact = victim.contacts[0]!;
  const instruction = INJECTIONS[0]!;
  const email = gen.email(victim, contact, { companies: victimCompany, contacts: [contact.id] }, ts - DAY, 'INCOMING_EMAIL', 'html', 'Updated requirements', [
    'Please find our updated requirements below.',
    instruction,
  ]);
  truth.injections.push({ objectType: 'emails', id: email, instruction });
  const noteInstruction = INJECTIONS[1]!;
  const note = gen.note(victim, { companies: victimCompany }, ts, `Call notes from the procurement sync.\n\n${noteInstruction}`);
  truth.injections.push({ objectType: 'notes', id: note, instruction: noteInstruction });
  // Forwards are drawn with a probability; a tiny portal might have none.
  if (truth.edgeCases.forwardedEmailIds.length === 0) gen.thread(victim, contact, { companies: victimCompany, contacts: [contact.id] }, ts - 10 * DAY, 2, undefined, true);
}
