import type { ReferencedChunk } from '../untrusted.ts';

/**
 * The structured inputs each offline task reads (`GenerateRequest.context`). The offline provider never sees
 * the prose prompt: the agents hand it the same chunks (with the same `c<N>` references) as the model gets.
 */

export interface OfflineCallSummaryInput {
  /** Chunks of the call being summarized. */
  trigger: ReferencedChunk[];
  /** Retrieved history of the account. */
  history: ReferencedChunk[];
}

export interface OfflineReplyDraftInput {
  inbound: { fromName: string | null; subject: string; text: string; refs: string[] };
  repName: string | null;
  companyName: string | null;
  chunks: ReferencedChunk[];
}

export interface OfflineAccountSummaryInput {
  companyName: string | null;
  /** One-line facts already resolved by code (stage labels, owners, amounts). */
  factLines: string[];
  openTickets: number;
  daysSinceLastActivity: number | null;
  chunks: ReferencedChunk[];
}

export interface OfflineLeadIntentInput {
  /** The calibrated score 0–100 from the trained scorer, when one is loaded. */
  score: number | null;
  /** Why there is no score, in words, when `score` is null for another reason than a missing scorer. */
  unscored?: string;
  chunks: ReferencedChunk[];
}

export const OFFLINE_LABEL = '[Offline extractive output: generated without a language model]';
