import crypto from 'node:crypto';
import type { Kysely } from 'kysely';
import type { GenerationTrace } from '../core/proposal.ts';
import { redactPersonalData } from './redact.ts';
import type { AuditTable, WritebackDb } from './sql-schema.ts';

/**
 * The append-only audit log. Every step of a proposal's life is one row: `decided` (with the proposal, the
 * decision and its reasons), then `applied` / `queued` / `rejected` / `failed` / `duplicate`, later
 * `review_approved` / `review_rejected` / `review_stale`, `undone` / `undo_skipped`. Generation traces (prompt,
 * model, response, inputs) are stored once per run and referenced by `traceId`.
 */

export const AUDIT_EVENTS = [
  'decided',
  'applied',
  'queued',
  'rejected',
  'failed',
  'duplicate',
  'review_approved',
  'review_rejected',
  'review_stale',
  'undone',
  'undo_skipped',
  /** A generation refused before its model call: the portal's model quota is spent (no proposal). */
  'quota_refused',
] as const;
export type AuditEvent = (typeof AUDIT_EVENTS)[number];

export interface AuditEntry {
  id: number;
  at: string;
  event: AuditEvent;
  proposalId: string | null;
  runId: string | null;
  traceId: string | null;
  portalId: string | null;
  /** The account the proposal's job worked for (null on rows written before it was recorded). */
  accountId: string | null;
  agent: string | null;
  objectType: string | null;
  objectId: string | null;
  kind: string | null;
  field: string | null;
  proposedValue: string | null;
  confidence: number | null;
  decision: string | null;
  reasons: string[];
  status: string | null;
  /** HubSpot's answer for writes, or the error. */
  outcome: unknown;
  previousValue: string | null;
  newValue: string | null;
  actor: string;
  dryRun: boolean;
  detail: string | null;
  /** The OpenTelemetry trace this happened in (tracing on): find the whole path from webhook to write. */
  otelTraceId: string | null;
  /** With `withTrace`: how the proposal was generated. */
  trace?: StoredTrace | null;
}

export type NewAuditEntry = Partial<Omit<AuditEntry, 'id' | 'at' | 'trace'>> & { event: AuditEvent; actor: string; proposal?: unknown };

export interface StoredTrace {
  id: string;
  runId: string;
  agent: string;
  provider: string;
  model: string;
  promptVersion: string;
  prompt: string;
  response: string;
  usage: GenerationTrace['usage'];
  inputs: GenerationTrace['inputs'];
  startedAt: string;
  finishedAt: string;
}

export interface AuditFilter {
  accountId?: string;
  objectType?: string;
  objectId?: string;
  agent?: string;
  decision?: string;
  event?: AuditEvent;
  runId?: string;
  proposalId?: string;
  /** ISO time or Date, inclusive. */
  since?: string | Date;
  until?: string | Date;
  dryRun?: boolean;
  /** Entries with an id greater than this (paging forward). */
  afterId?: number;
  limit?: number;
  withTrace?: boolean;
}

export class AuditStore {
  constructor(
    private readonly db: Kysely<WritebackDb>,
    private readonly opts: { redactPrompts: boolean; now: () => number; portal: () => Promise<string>; traceId?: () => string | undefined },
  ) {}

  async recordTrace(trace: GenerationTrace): Promise<string> {
    const clean = (s: string) => (this.opts.redactPrompts ? redactPersonalData(s) : s);
    const id = crypto.randomUUID();
    await this.db
      .insertInto('writeback_traces')
      .values({
        id,
        run_id: trace.runId,
        agent: trace.agent,
        provider: trace.provider,
        model: trace.model,
        prompt_version: trace.promptVersion,
        prompt: clean(trace.prompt),
        response: clean(trace.response),
        usage: JSON.stringify(trace.usage),
        inputs: JSON.stringify(trace.inputs),
        started_at: trace.startedAt,
        finished_at: trace.finishedAt,
        created_at: this.opts.now(),
        portal_id: await this.opts.portal(),
      })
      .execute();
    return id;
  }

  async append(e: NewAuditEntry): Promise<void> {
    await this.db
      .insertInto('audit_entries')
      .values({
        at: this.opts.now(),
        event: e.event,
        proposal_id: e.proposalId ?? null,
        run_id: e.runId ?? null,
        trace_id: e.traceId ?? null,
        portal_id: await this.opts.portal(),
        account_id: e.accountId ?? null,
        agent: e.agent ?? null,
        object_type: e.objectType ?? null,
        object_id: e.objectId ?? null,
        kind: e.kind ?? null,
        field: e.field ?? null,
        proposed_value: e.proposedValue ?? null,
        confidence: e.confidence ?? null,
        decision: e.decision ?? null,
        reasons: e.reasons ? JSON.stringify(e.reasons) : null,
        status: e.status ?? null,
        outcome: e.outcome === undefined ? null : JSON.stringify(e.outcome),
        previous_value: e.previousValue ?? null,
        new_value: e.newValue ?? null,
        actor: e.actor,
        dry_run: e.dryRun ? 1 : 0,
        proposal: e.proposal === undefined ? null : JSON.stringify(e.proposal),
        detail: e.detail ?? null,
        otel_trace_id: e.otelTraceId ?? this.opts.traceId?.() ?? null,
      } as never)
      .execute();
  }

  async list(f: AuditFilter = {}): Promise<AuditEntry[]> {
    let q = this.db.selectFrom('audit_entries').selectAll().where('portal_id', '=', await this.opts.portal());
    if (f.accountId) q = q.where('account_id', '=', f.accountId);
    if (f.objectType) q = q.where('object_type', '=', f.objectType);
    if (f.objectId) q = q.where('object_id', '=', f.objectId);
    if (f.agent) q = q.where('agent', '=', f.agent);
    if (f.decision) q = q.where('decision', '=', f.decision);
    if (f.event) q = q.where('event', '=', f.event);
    if (f.runId) q = q.where('run_id', '=', f.runId);
    if (f.proposalId) q = q.where('proposal_id', '=', f.proposalId);
    if (f.since) q = q.where('at', '>=', toMs(f.since));
    if (f.until) q = q.where('at', '<=', toMs(f.until));
    if (f.dryRun !== undefined) q = q.where('dry_run', '=', f.dryRun ? 1 : 0);
    if (f.afterId !== undefined) q = q.where('id', '>', f.afterId);
    const rows = await q.orderBy('id', 'asc').limit(Math.min(Math.max(f.limit ?? 100, 1), 1000)).execute();
    const entries = rows.map(toEntry);
    if (f.withTrace) {
      const ids = [...new Set(entries.map((e) => e.traceId).filter((x): x is string => x !== null))];
      const traces = new Map<string, StoredTrace>();
      if (ids.length) for (const t of await this.db.selectFrom('writeback_traces').selectAll().where('portal_id', '=', await this.opts.portal()).where('id', 'in', ids).execute()) traces.set(t.id, toTrace(t));
      for (const e of entries) e.trace = e.traceId ? (traces.get(e.traceId) ?? null) : null;
    }
    return entries;
  }

  /** The `decided` row of each proposal, with the full proposal JSON (for reports and undo). */
  async decisions(f: { since?: string | Date; until?: string | Date; dryRun?: boolean; proposalId?: string }): Promise<Array<AuditEntry & { proposal: unknown }>> {
    let q = this.db.selectFrom('audit_entries').selectAll().where('portal_id', '=', await this.opts.portal()).where('event', '=', 'decided');
    if (f.proposalId) q = q.where('proposal_id', '=', f.proposalId);
    if (f.since) q = q.where('at', '>=', toMs(f.since));
    if (f.until) q = q.where('at', '<=', toMs(f.until));
    if (f.dryRun !== undefined) q = q.where('dry_run', '=', f.dryRun ? 1 : 0);
    const rows = await q.orderBy('id', 'asc').execute();
    return rows.map((r) => ({ ...toEntry(r), proposal: r.proposal ? JSON.parse(r.proposal) : null }));
  }
}

export function toMs(t: string | Date): number {
  const ms = t instanceof Date ? t.getTime() : Date.parse(t);
  if (Number.isNaN(ms)) throw new RangeError(`not a time: ${String(t)}`);
  return ms;
}

function toEntry(r: AuditTable): AuditEntry {
  return {
    id: Number(r.id),
    at: new Date(Number(r.at)).toISOString(),
    event: r.event as AuditEvent,
    proposalId: r.proposal_id,
    runId: r.run_id,
    traceId: r.trace_id,
    portalId: r.portal_id,
    accountId: r.account_id ?? null,
    agent: r.agent,
    objectType: r.object_type,
    objectId: r.object_id,
    kind: r.kind,
    field: r.field,
    proposedValue: r.proposed_value,
    confidence: r.confidence === null ? null : Number(r.confidence),
    decision: r.decision,
    reasons: r.reasons ? (JSON.parse(r.reasons) as string[]) : [],
    status: r.status,
    outcome: r.outcome ? JSON.parse(r.outcome) : null,
    previousValue: r.previous_value,
    newValue: r.new_value,
    actor: r.actor,
    dryRun: Number(r.dry_run) === 1,
    detail: r.detail,
    otelTraceId: r.otel_trace_id ?? null,
  };
}

function toTrace(t: WritebackDb['writeback_traces']): StoredTrace {
  return {
    id: t.id,
    runId: t.run_id,
    agent: t.agent,
    provider: t.provider,
    model: t.model,
    promptVersion: t.prompt_version,
    prompt: t.prompt,
    response: t.response,
    usage: JSON.parse(t.usage),
    inputs: JSON.parse(t.inputs),
    startedAt: t.started_at,
    finishedAt: t.finished_at,
  };
}
