import { z } from 'zod';
import { normalizeModelText } from './model-text.ts';

/**
 * What agents produce and the write-back module decides on. Agents never write to HubSpot; they return
 * proposals. The write-back module is the only path to a HubSpot write.
 */

export const AGENTS = ['call_summary', 'lead_score', 'reply_draft', 'account_summary', 'enrichment'] as const;
export type AgentName = (typeof AGENTS)[number];

export const TargetSchema = z.object({
  objectType: z.enum(['companies', 'contacts', 'deals', 'tickets']),
  objectId: z.string().min(1),
});

export const ProposalSchema = z.object({
  /** Deterministic: the same run, agent, target and field always give the same id (idempotent writes). */
  id: z.string().min(1),
  portalId: z.string(),
  accountId: z.string(),
  /** The job or run that produced it: undo works per run. */
  runId: z.string(),
  target: TargetSchema,
  /**
   * Notes and tasks only: the other records of the account the one engagement is associated with (a call summary
   * on the account, the call's contact and its deal), so the timeline of each shows it once. Every one of them is
   * checked against the account like the target.
   */
  associations: z.array(TargetSchema).max(20).optional(),
  kind: z.enum(['property', 'note', 'task']),
  /** Property name for `property`; null for notes and tasks. */
  field: z.string().nullable(),
  /** The proposed property value, note body (plain text or simple HTML), or task body. */
  value: z.string(),
  /** Task subject; note title. */
  title: z.string().optional(),
  confidence: z.number().min(0).max(1),
  /** Chunk ids the proposal is grounded in (citations). */
  evidence: z.array(z.string()),
  agent: z.enum(AGENTS),
  promptVersion: z.string(),
  model: z.string(),
  /** The value of `field` when the agent looked (the write-back re-checks it before applying). */
  observedValue: z.string().nullable().optional(),
  /** Free-form reasons the agent gives (shown to reviewers). */
  rationale: z.string().optional(),
  /**
   * For scores: the scorer's largest per-feature contributions to the logit, signed, with the feature in words
   * (`label`, e.g. "Meetings held: 3"); shown to reviewers and in the score's companion note.
   */
  drivers: z.array(z.object({ feature: z.string(), label: z.string().max(200).optional(), value: z.number().optional(), contribution: z.number() })).max(20).optional(),
  /**
   * For outputs of a trained model (the lead scorer): whether it passed held-out validation, the highest confidence
   * it earned there, and the figures. An unvalidated model never writes without a person, and a confidence above
   * the bound is never trusted.
   */
  modelValidation: z
    .object({
      validated: z.boolean(),
      confidenceBound: z.number().min(0).max(1),
      summary: z.string().max(1000),
      /** The record entry the bound came from (`enrichment.ai_tech_stack`) and the value class asked (`agreed`). */
      key: z.string().max(200).optional(),
      valueClass: z.string().max(100).nullable().optional(),
    })
    .optional(),
  createdAt: z.string(),
});
export type Proposal = z.infer<typeof ProposalSchema>;

export type DecisionOutcome = 'apply' | 'review' | 'reject';

export interface Decision {
  proposalId: string;
  outcome: DecisionOutcome;
  reasons: string[];
}

/** Everything about how proposals were generated, for the audit log. */
export interface GenerationTrace {
  agent: AgentName;
  runId: string;
  /** `offline` or the LangChain provider key (`openai`, `azure_openai`, …). */
  provider: string;
  model: string;
  promptVersion: string;
  prompt: string;
  response: string;
  usage: { inputTokens: number; outputTokens: number; costUsd: number };
  inputs: { recordIds: string[]; chunkIds: string[] };
  startedAt: string;
  finishedAt: string;
}

export interface SubmitResult {
  proposal: Proposal;
  decision: Decision;
  /** What happened: applied (with HubSpot's answer), queued for review, rejected, or dry-run. */
  status: 'applied' | 'pending_review' | 'rejected' | 'dry_run' | 'failed' | 'duplicate';
  detail?: string;
  /**
   * A failed write that may succeed later (HubSpot 5xx, 429, timeout): its intent is kept, so running the same job
   * again writes it once (an engagement is looked up by its marker first). A permanent failure (4xx) is not.
   */
  retryable?: boolean;
}

/** The write-back module's entry point, as seen by agents' callers. */
export interface ProposalSink {
  /**
   * `finalAttempt`: the job submitting these will not run again, so a write HubSpot fails transiently is not left
   * as an intent for a retry that never comes: it is marked failed, audited and queued for a person to review.
   */
  submit(proposals: Proposal[], trace: GenerationTrace, opts?: { dryRun?: boolean; actor?: string; finalAttempt?: boolean }): Promise<SubmitResult[]>;
}

/** HubSpot's limit on a text property value and a note or task body. */
export const MAX_TEXT_LENGTH = 65_536;
/** Room the write-back keeps for the AI header and marker it adds to note and task bodies. */
export const ENGAGEMENT_FRAME_LENGTH = 1_000;
export const MAX_TITLE_LENGTH = 500;

/**
 * The proposal with its text normalised (core/model-text.ts): well-formed Unicode, no control characters, within
 * HubSpot's limits. Agents build proposals with it and the write-back applies it again to whatever it is handed,
 * so the value audited is the value written. Anything that is not a proposal-shaped object passes unchanged (the
 * decision engine rejects it with its reasons).
 */
export function normalizeProposalText<T extends Proposal>(p: T): T {
  if (typeof p !== 'object' || p === null || typeof p.value !== 'string') return p;
  const max = p.kind === 'property' ? MAX_TEXT_LENGTH : MAX_TEXT_LENGTH - ENGAGEMENT_FRAME_LENGTH;
  return {
    ...p,
    value: normalizeModelText(p.value, max),
    ...(typeof p.title === 'string' ? { title: normalizeModelText(p.title, MAX_TITLE_LENGTH) } : {}),
    ...(typeof p.rationale === 'string' ? { rationale: normalizeModelText(p.rationale, 4_000) } : {}),
  };
}
