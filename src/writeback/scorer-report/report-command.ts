import { contactAccountId } from '../../core/objects.ts';
import type { HubSpotGateway } from '../../hubspot/gateway.ts';
import type { AuditEntry, AuditFilter } from '../audit-store.ts';
import { isClosedStage, isWon } from '../../agents/scorer/features.ts';
import { liveReport, liveReportLines, type ClosedOutcome, type LiveReport } from '../../agents/scorer/live-report.ts';
import { scoresFromAudit } from './scores-from-audit.ts';
import type { ScorerStore } from '../../agents/scorer/scorer-store.ts';
import { allDeals, closedStageSets } from '../../agents/scorer/training-data.ts';

/**
 * `hubspot-ai scorer report`: the lead scores the agent proposed (from the audit log) against the outcomes of the
 * deals that closed after them (from HubSpot), beside the current scorer's held-out validation.
 */
export async function scorerReportCommand(deps: {
  gateway: HubSpotGateway;
  store: ScorerStore;
  audit: (filter: AuditFilter) => Promise<AuditEntry[]>;
  print?: (line: string) => void;
}): Promise<LiveReport> {
  const portalId = await deps.gateway.portalId();
  const entries: AuditEntry[] = [];
  for (const event of ['decided', 'applied'] as const) {
    let afterId: number | undefined;
    for (;;) {
      const page = await deps.audit({ agent: 'lead_score', event, limit: 1_000, ...(afterId === undefined ? {} : { afterId }) });
      entries.push(...page);
      if (page.length < 1_000) break;
      afterId = page[page.length - 1]!.id;
    }
  }
  const report = liveReport(scoresFromAudit(entries), await closedOutcomes(deps.gateway), (await deps.store.latest(portalId))?.model.validation ?? null);
  // Kept for drift over time; `/metrics` exposes the latest (hubspot_ai_lead_scorer).
  await deps.store.saveReport(portalId, report);
  for (const line of liveReportLines(report)) deps.print?.(line);
  return report;
}

/** Closed deals with their close date, outcome and account (the company, else the first contact's own account). */
export async function closedOutcomes(gateway: HubSpotGateway): Promise<ClosedOutcome[]> {
  const stages = await closedStageSets(gateway);
  const closed = (await allDeals(gateway)).filter((d) => isClosedStage(d, stages?.closed));
  if (closed.length === 0) return [];
  const ids = closed.map((d) => d.id);
  const [companies, contacts] = await Promise.all([gateway.batchAssociations('deals', 'companies', ids), gateway.batchAssociations('deals', 'contacts', ids)]);
  const out: ClosedOutcome[] = [];
  for (const d of closed) {
    const company = companies.get(d.id)?.[0];
    const contact = contacts.get(d.id)?.[0];
    const accountId = company ?? (contact ? contactAccountId(contact) : undefined);
    const closedAt = d.properties.closedate ?? d.updatedAt;
    if (!accountId || !closedAt || Number.isNaN(Date.parse(closedAt))) continue;
    out.push({ dealId: d.id, accountId, closedAt: new Date(Date.parse(closedAt)).toISOString(), won: isWon(d, stages?.won) });
  }
  return out;
}
