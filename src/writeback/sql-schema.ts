import type { Kysely } from 'kysely';
import type { SqlHandle } from '../db/sql.ts';
import { ensureSchema } from '../db/migrator.ts';

/**
 * Tables of the write-back module, in the shared SQL layer (SQLite file or PostgreSQL). Times are epoch ms.
 *   - writeback_traces: one row per generation run (prompt, model, response, inputs), referenced by audit rows.
 *   - audit_entries: append-only event log (triggers refuse UPDATE and DELETE in both dialects).
 *   - writeback_reviews: the review queue; its `status` moves pending → approved/rejected/stale/failed.
 *   - writeback_writes: what was written to HubSpot, with the previous value: idempotency and undo.
 * The tables are created by the one migrator of every table (db/migrator.ts, migrations in db/migrations/).
 */

export interface TracesTable {
  id: string;
  run_id: string;
  agent: string;
  provider: string;
  model: string;
  prompt_version: string;
  prompt: string;
  response: string;
  usage: string;
  inputs: string;
  started_at: string;
  finished_at: string;
  created_at: number;
  /** The portal whose run this was (0005); null only on rows from before it, adopted by the served portal. */
  portal_id: string | null;
}

export interface AuditTable {
  id: number;
  at: number;
  event: string;
  proposal_id: string | null;
  run_id: string | null;
  trace_id: string | null;
  portal_id: string | null;
  /** The account the proposal's job worked for (0003). */
  account_id: string | null;
  agent: string | null;
  object_type: string | null;
  object_id: string | null;
  kind: string | null;
  field: string | null;
  proposed_value: string | null;
  confidence: number | null;
  decision: string | null;
  reasons: string | null;
  status: string | null;
  outcome: string | null;
  previous_value: string | null;
  new_value: string | null;
  actor: string;
  dry_run: number;
  proposal: string | null;
  detail: string | null;
  /** OpenTelemetry trace id (32 hex digits) when tracing was on. */
  otel_trace_id: string | null;
}

export interface ReviewsTable {
  id: string;
  proposal_id: string;
  status: string;
  proposal: string;
  reasons: string;
  observed_value: string | null;
  owner_id: string | null;
  object_type: string;
  object_id: string;
  agent: string;
  confidence: number;
  trace_id: string | null;
  created_at: number;
  decided_at: number | null;
  decided_by: string | null;
  note: string | null;
  /** The record's name when the review was queued (search); the page shows the live name. */
  record_name: string | null;
  /** The portal the reviewed record lives in (0005). */
  portal_id: string | null;
}

export interface WritesTable {
  proposal_id: string;
  run_id: string;
  portal_id: string;
  object_type: string;
  object_id: string;
  kind: string;
  field: string | null;
  previous_value: string | null;
  new_value: string;
  created_id: string | null;
  state: string;
  automatic: number;
  actor: string;
  written_at: number;
  undone_at: number | null;
}

export interface OwnerTasksTable {
  portal_id: string;
  object_type: string;
  object_id: string;
  task_id: string;
  owner_id: string;
  state: string;
  created_at: number;
  closed_at: number | null;
}

export interface PortalPurgesTable {
  portal_id: string;
  requested_at: number;
  requested_by: string;
}

export interface WritebackDb {
  portal_purges: PortalPurgesTable;
  writeback_traces: TracesTable;
  audit_entries: AuditTable;
  writeback_reviews: ReviewsTable;
  writeback_writes: WritesTable;
  writeback_owner_tasks: OwnerTasksTable;
}

/**
 * Rows written before the portal column existed belong to the one portal the deployment served then: the
 * composition root calls this for its default portal only. Audit entries already named their portal.
 */
export async function adoptLegacyRows(handle: SqlHandle, portalId: string): Promise<void> {
  const db = handle.db as Kysely<WritebackDb>;
  await db.updateTable('writeback_reviews').set({ portal_id: portalId }).where('portal_id', 'is', null).execute();
  await db.updateTable('writeback_traces').set({ portal_id: portalId }).where('portal_id', 'is', null).execute();
  await db.updateTable('writeback_owner_tasks').set({ portal_id: portalId }).where('portal_id', '=', '').execute();
}

/** Creates or upgrades the write-back tables (through the one migrator of every table, db/migrator.ts). */
export async function migrateWriteback(handle: SqlHandle): Promise<void> {
  await ensureSchema(handle);
}
