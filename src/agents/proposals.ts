import { createHash } from 'node:crypto';
import { normalizeProposalText, type AgentName, type Proposal } from '../core/proposal.ts';

/**
 * Proposal construction. Ids are a hash of (run, agent, target, kind, field): a retried job produces the same
 * ids, which is what makes the write-back idempotent. Targets are always chosen by agent code from the trigger
 * and the account's records, never taken from model output.
 */

export type Target = Proposal['target'];

export function proposalId(runId: string, agent: AgentName, target: Target, kind: Proposal['kind'], field: string | null): string {
  const h = createHash('sha256').update([runId, agent, target.objectType, target.objectId, kind, field ?? ''].join('\u0000')).digest('hex');
  // UUID-shaped for readability in logs and URLs; not a registered UUID version.
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

export interface ProposalBase {
  portalId: string;
  accountId: string;
  runId: string;
  agent: AgentName;
  promptVersion: string;
  model: string;
  createdAt: string;
}

export function makeProposal(
  base: ProposalBase,
  p: {
    target: Target;
    associations?: Target[];
    kind: Proposal['kind'];
    field: string | null;
    value: string;
    title?: string;
    confidence: number;
    evidence: string[];
    observedValue?: string | null;
    rationale?: string;
  },
): Proposal {
  return normalizeProposalText({
    id: proposalId(base.runId, base.agent, p.target, p.kind, p.field),
    portalId: base.portalId,
    accountId: base.accountId,
    runId: base.runId,
    target: p.target,
    ...(p.associations?.length ? { associations: uniqueTargets(p.associations).filter((t) => t.objectType !== p.target.objectType || t.objectId !== p.target.objectId) } : {}),
    kind: p.kind,
    field: p.field,
    value: p.value,
    ...(p.title === undefined ? {} : { title: p.title }),
    confidence: Math.min(1, Math.max(0, p.confidence)),
    evidence: [...new Set(p.evidence)],
    agent: base.agent,
    promptVersion: base.promptVersion,
    model: base.model,
    ...(p.observedValue === undefined ? {} : { observedValue: p.observedValue }),
    ...(p.rationale === undefined ? {} : { rationale: p.rationale }),
    createdAt: base.createdAt,
  });
}

/** Run metadata every agent writes next to its output: when it ran and with what. */
export function runMetadataProposals(base: ProposalBase, target: Target, current: Record<string, string | null>): Proposal[] {
  return [
    makeProposal(base, { target, kind: 'property', field: 'ai_last_run', value: base.createdAt, confidence: 1, evidence: [], observedValue: current.ai_last_run ?? null }),
    makeProposal(base, { target, kind: 'property', field: 'ai_model', value: base.model, confidence: 1, evidence: [], observedValue: current.ai_model ?? null }),
  ];
}

/** Deduplicates targets (a call associated with the same deal twice, say). */
export function uniqueTargets(targets: Array<Target | null | undefined>): Target[] {
  const seen = new Set<string>();
  const out: Target[] = [];
  for (const t of targets) {
    if (!t) continue;
    const k = `${t.objectType}:${t.objectId}`;
    if (seen.has(k)) continue;
    seen.add(k);
    out.push(t);
  }
  return out;
}
