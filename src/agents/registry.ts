import type { AgentName } from '../core/proposal.ts';
import { accountSummaryAgent } from './account-summary.ts';
import { callSummaryAgent } from './call-summary.ts';
import type { AnyAgentDefinition } from './definition.ts';
import { enrichmentAgent } from './enrichment.ts';
import { leadScoreAgent } from './lead-score.ts';
import { replyDraftAgent } from './reply-draft.ts';

/** Every agent's one definition, by name: what jobs, the API, the CLI and workflow actions run through `runAgent`. */
export const AGENT_DEFINITIONS: Record<AgentName, AnyAgentDefinition> = {
  call_summary: callSummaryAgent,
  lead_score: leadScoreAgent,
  reply_draft: replyDraftAgent,
  account_summary: accountSummaryAgent,
  enrichment: enrichmentAgent,
};
