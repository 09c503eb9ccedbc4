import type { ObjectType } from './object-types.ts';
import type { NeedCluster, TextStyle } from './phrasing/types.ts';

/** The generator's output and the sandbox's ground truth: plain data, JSON-serialisable. */

export interface SeedHistoryEntry {
  value: string;
  timestamp: number;
}

/** A record as the generator makes it; the store turns it into a live object. */
export interface SeedObject {
  id: string;
  properties: Record<string, string>;
  createdAt: number;
  updatedAt: number;
  /** Earlier values of properties that changed over time (oldest first); the current value is last. */
  history?: Record<string, SeedHistoryEntry[]>;
}

export type SeedAssociation = readonly [ObjectType, string, ObjectType, string];

export interface Owner {
  id: string;
  userId: number;
  email: string;
  firstName: string;
  lastName: string;
}

export type SizeBand = 'smb' | 'mid-market' | 'enterprise';

export interface CompanyTruth {
  id: string;
  name: string;
  industry: string;
  sizeBand: SizeBand;
  segment: string;
  lifecycle: string;
  isCustomer: boolean;
  /** Hidden: what the account is trying to achieve. Never a CRM field; it only shapes the history text and outcomes. */
  needCluster: NeedCluster;
}

export interface DealFeatures {
  /** 0..1: how well the company matches the ideal customer profile (segment based). */
  fit: number;
  /** 1 when a champion or decision maker is associated with the deal. */
  champion: number;
  /** Meetings associated with the deal. */
  meetings: number;
  /** Incoming e-mails associated with the deal. */
  inboundEmails: number;
  /** Days between the last activity and the close date (or the portal's end for open deals), divided by 30. */
  staleMonths: number;
  /** 1 when a competitor was mentioned on one of the deal's calls. */
  competitor: number;
  /** Hidden (not a CRM field): how well the account's need cluster fits the product, −1..1. */
  needFit: number;
  /** Hidden (said only in an e-mail's text): 1 when the buyer wrote that the budget is confirmed. */
  budgetConfirmed: number;
}

export interface DealTruth {
  id: string;
  companyId: string | null;
  stage: string;
  outcome: 'won' | 'lost' | 'open';
  /** The lead model's probability of a win. */
  pWin: number;
  /** Probability that the recorded outcome is `won`, label noise included: ε + (1 − 2ε)·pWin. */
  pRecordedWin: number;
  /** True when label noise flipped the recorded outcome (a deal marked lost that was won, or the reverse). */
  flipped: boolean;
  features: DealFeatures;
}

/** One labelled item of a call: what it means (`gist`), the words any faithful rendering keeps (`terms`). */
export interface CallLabel {
  gist: string;
  terms: string[];
  /** How it was said (`original`, `two-turn`, `buyer-owned`…) or, for distractors, why it is not an action. */
  kind: string;
  /** Who owns the action (full name), for next steps. */
  owner?: string;
  due?: string;
  /** Set when speech-to-text noise attributed the turn to the wrong speaker. */
  ownerUnknowable?: boolean;
}

export interface CallLabels {
  style: TextStyle;
  nextSteps: CallLabel[];
  objections: CallLabel[];
  competitors: string[];
  /** Action-like statements a summary must not list as next steps (negated, retracted, past, hypothetical). */
  distractors: CallLabel[];
  /** Lower case, no punctuation, fillers, possibly a wrong speaker label. */
  noisy: boolean;
  language: string;
}

export interface CallTruth {
  id: string;
  companyId: string | null;
  contactIds: string[];
  dealIds: string[];
  /** The gists of the labels below (kept for callers that only need the words). */
  nextSteps: string[];
  objections: string[];
  competitors: string[];
  labels: CallLabels;
}

export type EvidenceTask = 'call_summary' | 'reply_draft' | 'account_summary' | 'lead_score';

export interface Evidence {
  accountId: string;
  task: EvidenceTask;
  /** A query that shares the fact's key terms (for direct retrieval tests; the eval uses the agents' own queries). */
  query: string;
  /** `<objectType>:<id>`, e.g. `emails:123`. */
  sourceIds: string[];
  fact: string;
  /** The object the agent runs on for this task (`calls:1`, `emails:2`); none for account-level tasks. */
  trigger?: string;
  /** Near-duplicate sources that state an outdated version of the fact (a revised budget, a former signer). */
  outdatedSourceIds?: string[];
}

export interface Injection {
  objectType: ObjectType;
  id: string;
  instruction: string;
}

export interface LeadModel {
  description: string;
  intercept: number;
  coefficients: Record<keyof DealFeatures, number>;
  /** Products of two features with their coefficient, e.g. champion × meetings. */
  interactions: Array<{ a: keyof DealFeatures; b: keyof DealFeatures; coefficient: number }>;
  /** Share of closed deals whose recorded outcome was flipped (data-entry noise). */
  labelNoise: number;
  /** AUC of the true pWin against the realised outcomes of closed deals: no scorer can do better on this data. */
  bayesAuc: number;
  /** The same AUC in expectation over outcome draws (from the pWin values alone). */
  expectedBayesAuc: number;
  closedDeals: number;
}

export interface GroundTruth {
  seed: number;
  /** The text style of engagements: `dev` (tuning) or `test` (written apart, reporting only). */
  style: TextStyle;
  portalId: string;
  appId: string;
  counts: Record<ObjectType, number>;
  nonEmptySources: { note: number; email: number; call: number; meeting: number; task: number; ticket: number };
  accounts: number;
  companies: CompanyTruth[];
  contactsWithoutCompany: string[];
  leadModel: LeadModel;
  deals: DealTruth[];
  calls: CallTruth[];
  evidence: Evidence[];
  injections: Injection[];
  edgeCases: {
    longTranscriptCallId: string;
    emptyBodyIds: string[];
    nonEnglishIds: string[];
    forwardedEmailIds: string[];
    htmlEmailIds: string[];
    quotedReplyEmailIds: string[];
  };
  whaleAccountIds: string[];
  /** Present when generated with `enrichmentGaps`: the true firmographics and the enrichment provider's records. */
  enrichment?: EnrichmentTruth;
}

export interface GeneratedPortal {
  seed: number;
  companiesRequested: number;
  objects: Record<ObjectType, SeedObject[]>;
  associations: SeedAssociation[];
  owners: Owner[];
  /** The next free object id (ids are unique across object types, as numeric strings). */
  nextId: number;
  groundTruth: GroundTruth;
}

/** Enrichment ground truth (enrichment.ts plants it). */
export interface EnrichmentTruthRecord {
  companyId: string;
  domain: string;
  /** The true values (HubSpot's industry enumeration; employees as a count). */
  industry: string;
  numberofemployees: number;
  techStack: string[];
  intentSignals: string[];
  /** Fields emptied in the CRM. */
  gaps: Array<'industry' | 'numberofemployees'>;
  /** Facts stated in the history: the field, the true value and the note that states it. */
  stated: Array<{ field: string; value: string; noteId: string }>;
}

export interface ProviderRecord {
  domain: string;
  industry: string | null;
  numberofemployees: number | null;
  techStack: string[];
  intentSignals: string[];
  /** The provider's own match score (0–1), as vendors report it: informative, not a calibrated probability. */
  matchScore: number;
}

export interface EnrichmentTruth {
  records: EnrichmentTruthRecord[];
  provider: Record<string, ProviderRecord>;
}
