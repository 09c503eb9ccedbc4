import type { HubSpotGateway } from '../../hubspot/gateway.ts';
import type { ModelRecordStore } from '../../db/model-records.ts';
import { findValidation } from '../../agents/judgment-validation.ts';
import { liveJudgmentLines, liveJudgmentReport, type LaterActivity, type LiveJudgment, type LiveJudgmentReport } from '../../agents/validation/live-judgments.ts';
import type { ValidationStore } from '../../agents/validation/validation-store.ts';
import { documentsFromHistory } from '../../text/documents.ts';
import type { AuditEntry, AuditFilter } from '../audit-store.ts';
import { closedOutcomes } from './report-command.ts';

/**
 * `hubspot-ai validate judgments` and `POST /v1/validations/judgments`: the churn ratings and next steps the agents
 * proposed (audit log) against what happened later in HubSpot (deals that closed, work people logged), for one
 * portal and the model that serves it. Every run is kept in model_records (kind `judgment_report`: drift over
 * time, and what `/metrics` exposes as hubspot_ai_judgments); with `write`, the portal's validation record (the
 * stored one with its churn classes lowered by the live outcomes) goes into model_validations for that portal.
 */

export const JUDGMENT_REPORT_KIND = 'judgment_report';

export interface JudgmentReportDeps {
  portalId: string;
  gateway: HubSpotGateway;
  audit: (filter: AuditFilter) => Promise<AuditEntry[]>;
  validations: ValidationStore;
  records: ModelRecordStore;
  /** The provider and model whose judgments are graded (the deployment's). */
  model: { provider: string; model: string };
  now?: Date;
  print?: (line: string) => void;
}

export interface JudgmentValidationResult extends LiveJudgmentReport {
  portalId: string;
  provider: string;
  model: string;
  /** The portal's record was stored (write asked for, and there were outcomes to grade). */
  stored: boolean;
}

const HISTORY_BATCH = 50;

async function auditPages(audit: JudgmentReportDeps['audit'], agent: string, event: 'decided' | 'applied'): Promise<AuditEntry[]> {
  const out: AuditEntry[] = [];
  let afterId: number | undefined;
  for (;;) {
    const page = await audit({ agent, event, limit: 1_000, ...(afterId === undefined ? {} : { afterId }) });
    out.push(...page);
    if (page.length < 1_000) return out;
    afterId = page[page.length - 1]!.id;
  }
}

/** Judgments proposed (not in dry run) for churn and next steps, from the audit log. */
export function judgmentsFromAudit(entries: readonly AuditEntry[]): LiveJudgment[] {
  const applied = new Set(entries.filter((e) => e.event === 'applied' && e.proposalId).map((e) => e.proposalId!));
  return entries.flatMap((e): LiveJudgment[] => {
    if (e.event !== 'decided' || e.dryRun || !e.accountId || e.proposedValue === null) return [];
    const field = e.agent === 'account_summary' && e.field === 'ai_churn_risk' ? 'ai_churn_risk' : e.agent === 'call_summary' && e.field === 'ai_next_steps' ? 'ai_next_steps' : null;
    if (!field) return [];
    return [{ accountId: e.accountId, at: e.at, field, value: e.proposedValue, written: e.proposalId !== null && applied.has(e.proposalId), confidence: e.confidence }];
  });
}

/** What people logged on these accounts (the product's own notes and tasks left out): engagements with their time. */
async function laterActivities(gateway: HubSpotGateway, accountIds: string[]): Promise<LaterActivity[]> {
  const out: LaterActivity[] = [];
  for (let i = 0; i < accountIds.length; i += HISTORY_BATCH) {
    for (const history of await gateway.accountHistories(accountIds.slice(i, i + HISTORY_BATCH))) {
      const own = { ...history, engagements: history.engagements.filter((e) => !e.productOutput) };
      for (const doc of documentsFromHistory(own)) {
        if (doc.sourceType === 'record' || doc.body.trim() === '') continue;
        out.push({ accountId: history.accountId, at: doc.occurredAt, text: `${doc.title}\n${doc.body}` });
      }
    }
  }
  return out;
}

export async function validateJudgments(deps: JudgmentReportDeps, opts: { write?: boolean } = {}): Promise<JudgmentValidationResult> {
  const now = deps.now ?? new Date();
  const entries = (await Promise.all([
    auditPages(deps.audit, 'account_summary', 'decided'),
    auditPages(deps.audit, 'account_summary', 'applied'),
    auditPages(deps.audit, 'call_summary', 'decided'),
    auditPages(deps.audit, 'call_summary', 'applied'),
  ])).flat();
  const judgments = judgmentsFromAudit(entries);
  const stepAccounts = [...new Set(judgments.filter((j) => j.field === 'ai_next_steps').map((j) => j.accountId))];
  const [outcomes, activities, records] = await Promise.all([
    judgments.some((j) => j.field === 'ai_churn_risk') ? closedOutcomes(deps.gateway) : Promise.resolve([]),
    laterActivities(deps.gateway, stepAccounts),
    deps.validations.records(deps.portalId),
  ]);
  const stored = findValidation(records, deps.model.provider, deps.model.model);
  const report = liveJudgmentReport({ judgments, outcomes, activities, stored, now, portalId: deps.portalId });
  const churnAll = report.churn.find((c) => c.valueClass === null);
  const gaps = report.churn.filter((c) => c.valueClass !== null && c.rate !== null && c.n >= 30).map((c) => c.bound - c.rate!);
  await deps.records.save({
    kind: JUDGMENT_REPORT_KIND,
    portalId: deps.portalId,
    name: `${deps.model.provider}/${deps.model.model}`,
    version: 'live-judgments/v1',
    validated: !report.recalibrate,
    figures: {
      churn_outcomes: churnAll?.n ?? 0,
      ...(churnAll?.rate != null ? { churn_right_rate: churnAll.rate } : {}),
      ...(gaps.length ? { churn_bound_gap: Math.max(...gaps) } : {}),
      followthrough_steps: report.followThrough.n,
      ...(report.followThrough.rate !== null ? { followthrough_rate: report.followThrough.rate } : {}),
      recalibrate: report.recalibrate ? 1 : 0,
    },
    validation: report,
    artefact: null,
    createdAt: now.getTime(),
  });
  let saved = false;
  if (opts.write && report.record) {
    await deps.validations.save(report.record, { portalId: deps.portalId, now });
    saved = true;
  }
  for (const line of liveJudgmentLines(report)) deps.print?.(line);
  if (deps.print) deps.print(saved ? `Stored as portal ${deps.portalId}'s validation record.` : opts.write ? 'Nothing stored: no churn rating has an outcome yet.' : 'Not stored (add --write to store it as the portal’s record).');
  return { ...report, portalId: deps.portalId, provider: deps.model.provider, model: deps.model.model, stored: saved };
}
