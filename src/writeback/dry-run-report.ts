import type { RecordType } from '../core/objects.ts';
import type { Proposal } from '../core/proposal.ts';
import type { WritebackContext } from './context.ts';
import { sameValue } from './context.ts';
import { comparisonType } from './property-schema.ts';
import { newest, readRecords, recordKey, whoSet } from './record-state.ts';

/**
 * The shadow-mode report: for every property proposal decided in dry-run, what the AI would have written next
 * to what humans did with the same field afterwards. It answers "would the AI have helped or hurt?" before
 * anyone turns writes on: agreement (a person later set the value the AI proposed), disagreement (a person set
 * something else), or untouched.
 */

export interface DryRunItem {
  proposalId: string;
  agent: string | null;
  objectType: string;
  objectId: string;
  kind: string;
  field: string | null;
  decision: string | null;
  reasons: string[];
  decidedAt: string;
  proposedValue: string | null;
  valueAtDecision: string | null;
  currentValue: string | null;
  /** A person changed the field after the decision. */
  humanChanged: boolean;
  /** That person's value equals the AI's proposal. */
  humanAgreed: boolean;
}

export interface DryRunReport {
  since?: string;
  until?: string;
  total: number;
  byDecision: { apply: number; review: number; reject: number };
  /** Notes and tasks that would have been created. */
  engagements: number;
  humanChanged: number;
  humanAgreed: number;
  /** humanAgreed / humanChanged, or null when humans changed nothing. */
  agreementRate: number | null;
  items: DryRunItem[];
}

export async function dryRunReport(ctx: WritebackContext, opts: { since?: string | Date; until?: string | Date } = {}): Promise<DryRunReport> {
  const decided = await ctx.audit.decisions({ since: opts.since, until: opts.until, dryRun: true });
  const properties = decided.filter((d) => d.kind === 'property' && d.field && d.objectType && d.objectId);
  const records = await readRecords(
    ctx.gateway,
    properties.map((d) => ({ objectType: d.objectType as RecordType, objectId: d.objectId!, field: d.field })),
  );

  const items: DryRunItem[] = [];
  const byDecision = { apply: 0, review: 0, reject: 0 };
  let engagements = 0;
  for (const d of decided) {
    if (d.decision === 'apply' || d.decision === 'review' || d.decision === 'reject') byDecision[d.decision] += 1;
    if (d.kind !== 'property') {
      if (d.decision !== 'reject') engagements += 1;
      continue;
    }
    if (!d.field || !d.objectType || !d.objectId) continue;
    const record = records.get(recordKey(d.objectType, d.objectId));
    const current = record ? (record.properties[d.field] ?? null) : null;
    const history = record?.propertiesWithHistory?.[d.field];
    const latest = newest(history);
    const changedAfter = latest !== undefined && Date.parse(latest.timestamp) > Date.parse(d.at);
    const type = await comparisonType(ctx.schema, d.objectType as RecordType, d.field, ctx.logger);
    const humanChanged = changedAfter && !sameValue(current, d.previousValue, type) && whoSet(current, history, { appId: ctx.appId, type }) === 'human';
    items.push({
      proposalId: d.proposalId ?? '',
      agent: d.agent,
      objectType: d.objectType,
      objectId: d.objectId,
      kind: d.kind,
      field: d.field,
      decision: d.decision,
      reasons: d.reasons,
      decidedAt: d.at,
      proposedValue: d.proposedValue ?? (d.proposal as Proposal | null)?.value ?? null,
      valueAtDecision: d.previousValue,
      currentValue: current,
      humanChanged,
      humanAgreed: humanChanged && sameValue(current, d.proposedValue, type),
    });
  }
  const humanChanged = items.filter((i) => i.humanChanged).length;
  const humanAgreed = items.filter((i) => i.humanAgreed).length;
  return {
    since: opts.since === undefined ? undefined : new Date(opts.since).toISOString(),
    until: opts.until === undefined ? undefined : new Date(opts.until).toISOString(),
    total: decided.length,
    byDecision,
    engagements,
    humanChanged,
    humanAgreed,
    agreementRate: humanChanged ? humanAgreed / humanChanged : null,
    items,
  };
}
