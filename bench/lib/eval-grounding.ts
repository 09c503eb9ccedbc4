import { accountSummaryAgent } from '../../src/agents/account-summary.ts';
import type { AgentDeps } from '../../src/agents/agent-types.ts';
import { replyDraftAgent } from '../../src/agents/reply-draft.ts';
import { runAgent } from '../../src/agents/runner.ts';
import type { VectorStore } from '../../src/retrieval/vector-store.ts';
import type { GroundTruth } from '../../src/sandbox/index.ts';

/**
 * Share of generated drafts and summaries whose every claim cites at least one chunk that was actually in the
 * prompt's context. Outputs with no claim at all are counted apart (they state nothing checkable).
 */
export interface GroundingScores {
  outputs: number;
  withClaims: number;
  fullyGrounded: number;
  share: number;
}

export function grounded(claims: Array<{ evidence: string[] }>, contextIds: readonly string[]): boolean {
  const ids = new Set(contextIds);
  return claims.every((c) => c.evidence.length > 0 && c.evidence.every((e) => ids.has(e)));
}

export class GroundingTally {
  outputs = 0;
  withClaims = 0;
  fullyGrounded = 0;
  add(claims: Array<{ evidence: string[] }>, contextIds: readonly string[]): void {
    this.outputs++;
    if (claims.length === 0) return;
    this.withClaims++;
    if (grounded(claims, contextIds)) this.fullyGrounded++;
  }
  scores(): GroundingScores {
    return { outputs: this.outputs, withClaims: this.withClaims, fullyGrounded: this.fullyGrounded, share: this.withClaims ? this.fullyGrounded / this.withClaims : 1 };
  }
}

/** The newest incoming e-mail of an account, from the index (no extra HubSpot reads). */
async function newestInboundEmail(store: VectorStore, portalId: string, accountId: string): Promise<string | null> {
  const keys = (await store.listChunkKeys(portalId, accountId)).filter((k) => k.sourceId.startsWith('emails:'));
  const chunks = await store.getChunks(portalId, keys.map((k) => k.id));
  const inbound = chunks.filter((c) => c.direction === 'inbound').sort((a, b) => b.occurredAt.localeCompare(a.occurredAt))[0];
  return inbound ? inbound.sourceId.slice('emails:'.length) : null;
}

export async function evaluateDraftsAndSummaries(
  deps: AgentDeps,
  truth: GroundTruth,
  opts: { drafts: number; summaries: number },
): Promise<{ drafts: GroundingScores; summaries: GroundingScores; failures: number }> {
  const drafts = new GroundingTally();
  const summaries = new GroundingTally();
  let failures = 0;
  const draftAccounts = [...new Set(truth.evidence.filter((e) => e.task === 'reply_draft').map((e) => e.accountId))].slice(0, opts.drafts);
  for (const [i, accountId] of draftAccounts.entries()) {
    const emailId = await newestInboundEmail(deps.store, truth.portalId, accountId);
    if (!emailId) continue;
    try {
      const r = await runAgent(replyDraftAgent, deps, { portalId: truth.portalId, runId: `eval-draft-${i}`, objectType: 'emails', objectId: emailId, accountId });
      if (r.output) drafts.add(r.output.claims, r.trace.inputs.chunkIds);
    } catch {
      failures++;
    }
  }
  const summaryAccounts = [...new Set(truth.evidence.filter((e) => e.task === 'account_summary').map((e) => e.accountId))].slice(0, opts.summaries);
  for (const [i, accountId] of summaryAccounts.entries()) {
    try {
      const r = await runAgent(accountSummaryAgent, deps, { portalId: truth.portalId, runId: `eval-summary-${i}`, objectType: 'companies', objectId: accountId, accountId });
      if (r.output) summaries.add([...r.output.highlights, ...r.output.churnReasons], r.trace.inputs.chunkIds);
    } catch {
      failures++;
    }
  }
  return { drafts: drafts.scores(), summaries: summaries.scores(), failures };
}
