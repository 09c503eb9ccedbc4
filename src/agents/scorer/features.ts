import { evidenceEngagements } from '../../core/product-output.ts';
import type { AccountHistory, Engagement, HubSpotObject } from '../../core/objects.ts';
import { competitorsIn } from '../offline/call-summary.ts';
import { textTerms } from './text-model.ts';

/**
 * What the lead scorer sees of a deal (or of an account without an open deal): firmographic fit, buying-group
 * seniority, engagement, staleness and competitive pressure. Observations are raw; `vectorize` turns them into
 * the model's numeric inputs with the vocabulary learned at training time.
 */

export type SizeBand = 'smb' | 'mid-market' | 'enterprise';

export interface Observation {
  industry: string | null;
  sizeBand: SizeBand | null;
  /** 1 when a senior buyer (VP, head, chief, director, founder) is on the deal. */
  seniorBuyer: number;
  meetings: number;
  inboundEmails: number;
  outboundEmails: number;
  calls: number;
  notes: number;
  /** Months from the last activity to the close date (closed deals) or to now (open deals). */
  staleMonths: number;
  /** 1 when a competitor is named in the deal's calls or e-mails. */
  competitorMentioned: number;
  /**
   * The words of the history (text-model.ts terms): of the deal's own engagements and of the whole account's.
   * A trained scorer turns each into one learned input; absent in observations made before text was read.
   */
  terms?: { deal: string[]; account: string[] };
}

export const NUMERIC_FEATURES = ['seniorBuyer', 'meetings', 'inboundEmails', 'outboundEmails', 'calls', 'notes', 'staleMonths', 'competitorMentioned'] as const;

const SENIOR = /\b(?:VP|Vice President|Head|Chief|C[EFIOT]O|CISO|CRO|Director|Founder|Owner|President|Partner)\b/i;
const DAY_MS = 86_400_000;

export function sizeBand(employees: string | null | undefined): SizeBand | null {
  const n = Number(employees);
  if (!employees || !Number.isFinite(n) || n <= 0) return null;
  return n <= 50 ? 'smb' : n <= 500 ? 'mid-market' : 'enterprise';
}

function timestampOf(e: Engagement): number {
  const p = e.object.properties;
  const raw = p.hs_timestamp ?? p.hs_meeting_start_time ?? p.hs_createdate ?? e.object.createdAt ?? null;
  const t = raw ? (/^\d+$/.test(raw) ? Number(raw) : Date.parse(raw)) : NaN;
  return Number.isFinite(t) ? t : NaN;
}

function textOf(e: Engagement): string {
  const p = e.object.properties;
  return [p.hs_call_body, p.hs_call_title, p.hs_email_text, p.hs_email_subject, p.hs_note_body, p.hs_meeting_body].filter(Boolean).join('\n');
}

function isInbound(e: Engagement): boolean {
  const d = e.object.properties.hs_email_direction ?? '';
  return d === 'INCOMING_EMAIL' || d.toLowerCase() === 'inbound';
}

/**
 * Observation of one deal. `dealContacts` are the contacts associated with the deal (the gateway's
 * deal→contact associations); engagements count when they are associated with the deal.
 */
export function observeDeal(
  history: AccountHistory,
  deal: HubSpotObject,
  opts: { dealContacts?: HubSpotObject[]; now?: number } = {},
): Observation {
  const engagements = history.engagements.filter((e) => e.associations.deals.includes(deal.id));
  const closed = isClosedStage(deal);
  const closeMs = Date.parse(deal.properties.closedate ?? '');
  const reference = closed && Number.isFinite(closeMs) ? closeMs : (opts.now ?? Date.now());
  return observe(history.company, engagements, opts.dealContacts ?? [], reference, accountTerms(history));
}

/** Observation of an account as a whole (no open deal to score): every engagement and contact counts. */
export function observeAccount(history: AccountHistory, opts: { now?: number } = {}): Observation {
  const account = accountTerms(history);
  return observe(history.company, history.engagements, history.contacts, opts.now ?? Date.now(), account);
}

// An account's terms are read once however many of its deals are observed.
const accountTermsCache = new WeakMap<AccountHistory, string[]>();
function accountTerms(history: AccountHistory): string[] {
  let t = accountTermsCache.get(history);
  if (!t) accountTermsCache.set(history, (t = textTerms(evidenceEngagements(history.engagements).map(textOf))));
  return t;
}

function observe(company: HubSpotObject | undefined, all: Engagement[], contacts: HubSpotObject[], referenceMs: number, account: string[]): Observation {
  // The product's own notes and tasks are not the buyer's activity: they would score the AI, not the account.
  const engagements = evidenceEngagements(all);
  const count = (type: Engagement['type'], pred: (e: Engagement) => boolean = () => true) =>
    engagements.filter((e) => e.type === type && pred(e)).length;
  const times = engagements.map(timestampOf).filter((t) => Number.isFinite(t) && t <= referenceMs);
  const last = times.length ? Math.max(...times) : NaN;
  const staleMonths = Number.isFinite(last) ? Math.max(0, (referenceMs - last) / (30 * DAY_MS)) : 12;
  const competitor = engagements.some((e) => (e.type === 'calls' || e.type === 'emails') && competitorsIn(textOf(e)).length > 0);
  return {
    industry: company?.properties.industry ?? null,
    sizeBand: sizeBand(company?.properties.numberofemployees),
    seniorBuyer: contacts.some((c) => SENIOR.test(c.properties.jobtitle ?? '')) ? 1 : 0,
    meetings: count('meetings'),
    inboundEmails: count('emails', isInbound),
    outboundEmails: count('emails', (e) => !isInbound(e)),
    calls: count('calls'),
    notes: count('notes'),
    staleMonths: Math.round(staleMonths * 100) / 100,
    competitorMentioned: competitor ? 1 : 0,
    terms: { deal: textTerms(engagements.map(textOf)), account },
  };
}

/** Closed per HubSpot's own flag or the default pipeline's closed stage ids. */
export function isClosedStage(deal: HubSpotObject, closedStageIds?: ReadonlySet<string>): boolean {
  const stage = deal.properties.dealstage ?? '';
  if (closedStageIds) return closedStageIds.has(stage);
  if (deal.properties.hs_is_closed === 'true') return true;
  return stage === 'closedwon' || stage === 'closedlost';
}

export function isWon(deal: HubSpotObject, wonStageIds?: ReadonlySet<string>): boolean {
  const stage = deal.properties.dealstage ?? '';
  if (wonStageIds) return wonStageIds.has(stage);
  return deal.properties.hs_is_closed_won === 'true' || stage === 'closedwon';
}

/** The vocabulary a trained model carries so that inference builds the same columns. */
export interface FeatureSpace {
  industries: string[];
  sizeBands: SizeBand[];
}

export function featureSpace(observations: Observation[]): FeatureSpace {
  const industries = [...new Set(observations.map((o) => o.industry).filter((i): i is string => Boolean(i)))].sort();
  return { industries, sizeBands: ['smb', 'mid-market', 'enterprise'] };
}

export function featureNames(space: FeatureSpace): string[] {
  // One level of each one-hot group is dropped (the first): with an intercept, a full one-hot is collinear.
  return [
    ...NUMERIC_FEATURES,
    ...space.industries.slice(1).map((i) => `industry=${i}`),
    ...space.sizeBands.slice(1).map((b) => `size=${b}`),
  ];
}

export function vectorize(o: Observation, space: FeatureSpace): number[] {
  return [
    ...NUMERIC_FEATURES.map((k) => o[k]),
    ...space.industries.slice(1).map((i) => (o.industry === i ? 1 : 0)),
    ...space.sizeBands.slice(1).map((b) => (o.sizeBand === b ? 1 : 0)),
  ];
}
