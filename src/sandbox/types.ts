import type { ObjectType } from '../core/objects.ts';

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
}

export interface DealTruth {
  id: string;
  companyId: string | null;
  stage: string;
  outcome: 'won' | 'lost' | 'open';
  pWin: number;
  features: DealFeatures;
}

export interface CallTruth {
  id: string;
  companyId: string | null;
  contactIds: string[];
  dealIds: string[];
  nextSteps: string[];
  objections: string[];
  competitors: string[];
}

export type EvidenceTask = 'call_summary' | 'reply_draft' | 'account_summary' | 'lead_score';

export interface Evidence {
  accountId: string;
  task: EvidenceTask;
  query: string;
  /** `<objectType>:<id>`, e.g. `emails:123`. */
  sourceIds: string[];
  fact: string;
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
  /** AUC of the true pWin against the realised outcomes of closed deals: no scorer can do better on this data. */
  bayesAuc: number;
  /** The same AUC in expectation over outcome draws (from the pWin values alone). */
  expectedBayesAuc: number;
  closedDeals: number;
}

export interface GroundTruth {
  seed: number;
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
