import type { Kysely } from 'kysely';
import type { Proposal } from '../core/proposal.ts';
import type { WritebackDb, WritesTable } from './sql-schema.ts';

/**
 * What the product wrote to HubSpot, one row per proposal, keyed by the proposal id: the idempotency record and
 * the undo journal. The intent is stored *before* the HubSpot call (state `intent`), so a crash between the
 * call and `markDone` leaves a trace a retry can resolve (look the note up by its marker instead of creating a
 * second one). States: intent → done → undone, or intent → failed (a retry may try again).
 */

export type WriteState = 'intent' | 'done' | 'failed' | 'undone';

export interface WriteRecord {
  proposalId: string;
  runId: string;
  portalId: string;
  objectType: string;
  objectId: string;
  kind: Proposal['kind'];
  field: string | null;
  previousValue: string | null;
  newValue: string;
  /** The note or task id for engagement writes. */
  createdId: string | null;
  state: WriteState;
  automatic: boolean;
  actor: string;
  writtenAt: number;
  undoneAt: number | null;
}

export class WriteLog {
  constructor(
    private readonly db: Kysely<WritebackDb>,
    private readonly now: () => number,
    /** The portal whose writes these are: every query is filtered by it. */
    private readonly portal: () => Promise<string>,
  ) {}

  async get(proposalId: string): Promise<WriteRecord | undefined> {
    const row = await this.db.selectFrom('writeback_writes').where('portal_id', '=', await this.portal()).selectAll().where('proposal_id', '=', proposalId).executeTakeFirst();
    return row ? toRecord(row) : undefined;
  }

  /**
   * Records the intent to write. Returns the previous row when one exists in a state that must not be written
   * again (intent or done): the caller resolves it instead of writing blindly.
   */
  async recordIntent(input: { proposal: Proposal; value: string; previousValue: string | null; automatic: boolean; actor: string }): Promise<{ existing?: WriteRecord }> {
    const p = input.proposal;
    const existing = await this.get(p.id);
    if (existing && existing.state !== 'failed') return { existing };
    const row: WritesTable = {
      proposal_id: p.id,
      run_id: p.runId,
      portal_id: await this.portal(),
      object_type: p.target.objectType,
      object_id: p.target.objectId,
      kind: p.kind,
      field: p.field,
      previous_value: input.previousValue,
      new_value: input.value,
      created_id: null,
      state: 'intent',
      automatic: input.automatic ? 1 : 0,
      actor: input.actor,
      written_at: this.now(),
      undone_at: null,
    };
    if (existing) {
      await this.db.updateTable('writeback_writes').where('portal_id', '=', await this.portal()).set(row).where('proposal_id', '=', p.id).where('state', '=', 'failed').execute();
      return {};
    }
    const res = await this.db.insertInto('writeback_writes').values(row).onConflict((oc) => oc.column('proposal_id').doNothing()).executeTakeFirst();
    if (Number(res.numInsertedOrUpdatedRows ?? 0) === 0) return { existing: await this.get(p.id) };
    return {};
  }

  async markDone(proposalId: string, createdId?: string): Promise<void> {
    await this.db
      .updateTable('writeback_writes').where('portal_id', '=', await this.portal())
      .set({ state: 'done', ...(createdId ? { created_id: createdId } : {}) })
      .where('proposal_id', '=', proposalId)
      .execute();
  }

  /** Intents recorded before `olderThan` (ms) and never resolved, oldest first: writes whose process stopped. */
  async staleIntents(olderThan: number, limit = 200): Promise<WriteRecord[]> {
    const rows = await this.db
      .selectFrom('writeback_writes').where('portal_id', '=', await this.portal())
      .selectAll()
      .where('state', '=', 'intent')
      .where('written_at', '<', olderThan)
      .orderBy('written_at')
      .limit(limit)
      .execute();
    return rows.map(toRecord);
  }

  async markFailed(proposalId: string): Promise<void> {
    await this.db.updateTable('writeback_writes').where('portal_id', '=', await this.portal()).set({ state: 'failed' }).where('proposal_id', '=', proposalId).where('state', '=', 'intent').execute();
  }

  async markUndone(proposalId: string): Promise<void> {
    await this.db.updateTable('writeback_writes').where('portal_id', '=', await this.portal()).set({ state: 'undone', undone_at: this.now() }).where('proposal_id', '=', proposalId).execute();
  }

  /** Counts for the write-rate breaker: automatic writes in the last minute, distinct records of a type in the last hour. */
  async breakerCounts(objectType: string): Promise<{ autoWritesLastMinute: number; objectWritesLastHour: number }> {
    const now = this.now();
    const live = ['intent', 'done'];
    const minute = await this.db
      .selectFrom('writeback_writes').where('portal_id', '=', await this.portal())
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('automatic', '=', 1)
      .where('state', 'in', live)
      .where('written_at', '>', now - 60_000)
      .executeTakeFirst();
    const hour = await this.db
      .selectFrom('writeback_writes').where('portal_id', '=', await this.portal())
      .select((eb) => eb.fn.count<number>('object_id').distinct().as('n'))
      .where('automatic', '=', 1)
      .where('state', 'in', live)
      .where('object_type', '=', objectType)
      .where('written_at', '>', now - 3_600_000)
      .executeTakeFirst();
    return { autoWritesLastMinute: Number(minute?.n ?? 0), objectWritesLastHour: Number(hour?.n ?? 0) };
  }

  /** The newest completed write of a field, to recognise our own value in the record. */
  async lastFieldWrite(objectType: string, objectId: string, field: string): Promise<WriteRecord | undefined> {
    const row = await this.db
      .selectFrom('writeback_writes').where('portal_id', '=', await this.portal())
      .selectAll()
      .where('object_type', '=', objectType)
      .where('object_id', '=', objectId)
      .where('field', '=', field)
      .where('state', '=', 'done')
      .orderBy('written_at', 'desc')
      .executeTakeFirst();
    return row ? toRecord(row) : undefined;
  }

  /** Completed writes of a run or since a time, oldest first. */
  async completed(f: { runId?: string; since?: number; proposalId?: string }): Promise<WriteRecord[]> {
    let q = this.db.selectFrom('writeback_writes').where('portal_id', '=', await this.portal()).selectAll().where('state', '=', 'done');
    if (f.runId) q = q.where('run_id', '=', f.runId);
    if (f.proposalId) q = q.where('proposal_id', '=', f.proposalId);
    if (f.since !== undefined) q = q.where('written_at', '>=', f.since);
    const rows = await q.orderBy('written_at', 'asc').orderBy('proposal_id', 'asc').execute();
    return rows.map(toRecord);
  }
}

function toRecord(r: WritesTable): WriteRecord {
  return {
    proposalId: r.proposal_id,
    runId: r.run_id,
    portalId: r.portal_id,
    objectType: r.object_type,
    objectId: r.object_id,
    kind: r.kind as Proposal['kind'],
    field: r.field,
    previousValue: r.previous_value,
    newValue: r.new_value,
    createdId: r.created_id,
    state: r.state as WriteState,
    automatic: Number(r.automatic) === 1,
    actor: r.actor,
    writtenAt: Number(r.written_at),
    undoneAt: r.undone_at === null ? null : Number(r.undone_at),
  };
}
