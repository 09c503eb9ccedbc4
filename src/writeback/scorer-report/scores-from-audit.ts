import type { LiveScore } from '../../agents/scorer/live-report.ts';
import type { AuditEntry } from '../audit-store.ts';

/** Scores proposed by the lead-score agent, from the audit log (decided `ai_lead_score` proposals). */
export function scoresFromAudit(entries: readonly AuditEntry[]): LiveScore[] {
  const applied = new Set(entries.filter((e) => e.event === 'applied' && e.proposalId).map((e) => e.proposalId!));
  const out: LiveScore[] = [];
  for (const e of entries) {
    if (e.event !== 'decided' || e.agent !== 'lead_score' || e.field !== 'ai_lead_score' || e.dryRun) continue;
    const value = Number(e.proposedValue);
    if (!e.accountId || !Number.isFinite(value)) continue;
    out.push({
      accountId: e.accountId, at: e.at, probability: Math.min(1, Math.max(0, value / 100)), written: e.proposalId !== null && applied.has(e.proposalId),
      ...(typeof e.confidence === 'number' ? { confidence: e.confidence } : {}),
    });
  }
  return out;
}
