import crypto from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Proposal } from '../core/proposal.ts';
import type { ReviewsTable, WritebackDb } from './sql-schema.ts';

/**
 * The review queue. A review is created once per proposal (a retried job finds the existing one); its status
 * moves pending → applying → approved | failed, or pending → rejected | stale. `claim` is a conditional update
 * so two reviewers approving at once cannot both write.
 */

export const REVIEW_STATUSES = ['pending', 'applying', 'approved', 'rejected', 'stale', 'failed'] as const;
export type ReviewStatus = (typeof REVIEW_STATUSES)[number];

export interface Review {
  id: string;
  status: ReviewStatus;
  proposal: Proposal;
  reasons: string[];
  /** The field's value when the proposal was decided; approval re-checks it. */
  observedValue: string | null;
  ownerId: string | null;
  objectType: string;
  objectId: string;
  agent: string;
  confidence: number;
  traceId: string | null;
  createdAt: string;
  decidedAt: string | null;
  decidedBy: string | null;
  /** Reject reason, or what happened on approval (edited value, stale detail, HubSpot error). */
  note: string | null;
  /** The record's name when queued (null for reviews queued before names were kept). */
  recordName: string | null;
}

export interface ReviewFilter {
  status?: ReviewStatus;
  objectType?: string;
  agent?: string;
  ownerId?: string;
  /** One record's reviews. */
  objectId?: string;
  /** Words that must all appear in the record name, field, proposed value or record id (case-insensitive). */
  q?: string;
  limit?: number;
  /** Reviews created strictly before this one (paging backwards, newest first). */
  beforeId?: string;
}

/**
 * One portal's reviews: every read and write is filtered by `portal`, so a review of another portal is not there
 * (a lookup by its id finds nothing) even though all portals share the table.
 */
export class ReviewStore {
  constructor(
    private readonly db: Kysely<WritebackDb>,
    private readonly now: () => number,
    private readonly portal: () => Promise<string>,
  ) {}

  /** Inserts a pending review unless the proposal already has one; returns the review and whether it is new. */
  async enqueue(input: { proposal: Proposal; reasons: string[]; observedValue: string | null; ownerId: string | null; traceId: string | null; recordName?: string | null }): Promise<{ review: Review; created: boolean }> {
    const existing = await this.byProposal(input.proposal.id);
    if (existing) return { review: existing, created: false };
    const row: ReviewsTable = {
      id: crypto.randomUUID(),
      proposal_id: input.proposal.id,
      status: 'pending',
      proposal: JSON.stringify(input.proposal),
      reasons: JSON.stringify(input.reasons),
      observed_value: input.observedValue,
      owner_id: input.ownerId,
      object_type: input.proposal.target.objectType,
      object_id: input.proposal.target.objectId,
      agent: input.proposal.agent,
      confidence: input.proposal.confidence,
      trace_id: input.traceId,
      created_at: this.now(),
      decided_at: null,
      decided_by: null,
      note: null,
      record_name: input.recordName ?? null,
      portal_id: await this.portal(),
    };
    // A concurrent retry may insert the same proposal first: the unique key wins, we return its row.
    const inserted = await this.db.insertInto('writeback_reviews').values(row).onConflict((oc) => oc.column('proposal_id').doNothing()).executeTakeFirst();
    if (Number(inserted.numInsertedOrUpdatedRows ?? 0) === 0) return { review: (await this.byProposal(input.proposal.id))!, created: false };
    return { review: toReview(row), created: true };
  }

  async get(id: string): Promise<Review | undefined> {
    const row = await this.db.selectFrom('writeback_reviews').selectAll().where('portal_id', '=', await this.portal()).where('id', '=', id).executeTakeFirst();
    return row ? toReview(row) : undefined;
  }

  async byProposal(proposalId: string): Promise<Review | undefined> {
    const row = await this.db.selectFrom('writeback_reviews').selectAll().where('portal_id', '=', await this.portal()).where('proposal_id', '=', proposalId).executeTakeFirst();
    return row ? toReview(row) : undefined;
  }

  async list(f: ReviewFilter = {}): Promise<Review[]> {
    let q = await this.filtered(f);
    if (f.beforeId) {
      const before = await this.get(f.beforeId);
      if (before) {
        const at = Date.parse(before.createdAt);
        q = q.where((eb) => eb.or([eb('created_at', '<', at), eb.and([eb('created_at', '=', at), eb('id', '<', before.id)])]));
      }
    }
    const rows = await q.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(Math.min(Math.max(f.limit ?? 50, 1), 500)).execute();
    return rows.map(toReview);
  }

  /** How many reviews match a filter (paging ignored). */
  async count(f: Omit<ReviewFilter, 'beforeId' | 'limit'> = {}): Promise<number> {
    const row = await (await this.filtered(f))
      .clearSelect()
      .select((eb) => eb.fn.countAll<number | string>().as('n'))
      .executeTakeFirst();
    return Number(row?.n ?? 0);
  }

  private async filtered(f: ReviewFilter) {
    let q = this.db.selectFrom('writeback_reviews').selectAll().where('portal_id', '=', await this.portal());
    if (f.status) q = q.where('status', '=', f.status);
    if (f.objectType) q = q.where('object_type', '=', f.objectType);
    if (f.objectId) q = q.where('object_id', '=', f.objectId);
    if (f.agent) q = q.where('agent', '=', f.agent);
    if (f.ownerId) q = q.where('owner_id', '=', f.ownerId);
    // LIKE wildcards are dropped from the words rather than escaped: the two dialects escape differently.
    for (const word of (f.q ?? '').toLowerCase().replace(/[%_\\]/g, ' ').split(/\s+/).filter(Boolean).slice(0, 8)) {
      const like = `%${word}%`;
      // lower() on both sides: SQLite's LIKE folds ASCII case only and PostgreSQL's not at all.
      q = q.where((eb) =>
        eb.or([
          eb(eb.fn('lower', [eb.fn.coalesce('record_name', eb.val(''))]), 'like', like),
          eb(eb.fn('lower', ['proposal']), 'like', like),
          eb('object_id', '=', word),
        ]),
      );
    }
    return q;
  }

  /** Moves a review from `from` to `to` only if it is still in `from`; false when someone else got there first. */
  async transition(id: string, from: ReviewStatus, to: ReviewStatus, by: { actor: string; note?: string | null }): Promise<boolean> {
    const res = await this.db
      .updateTable('writeback_reviews')
      .set({ status: to, decided_at: this.now(), decided_by: by.actor, ...(by.note === undefined ? {} : { note: by.note }) })
      .where('portal_id', '=', await this.portal())
      .where('id', '=', id)
      .where('status', '=', from)
      .executeTakeFirst();
    return Number(res.numUpdatedRows) === 1;
  }
}

function toReview(r: ReviewsTable): Review {
  return {
    id: r.id,
    status: r.status as ReviewStatus,
    proposal: JSON.parse(r.proposal) as Proposal,
    reasons: JSON.parse(r.reasons) as string[],
    observedValue: r.observed_value,
    ownerId: r.owner_id,
    objectType: r.object_type,
    objectId: r.object_id,
    agent: r.agent,
    confidence: Number(r.confidence),
    traceId: r.trace_id,
    createdAt: new Date(Number(r.created_at)).toISOString(),
    decidedAt: r.decided_at === null ? null : new Date(Number(r.decided_at)).toISOString(),
    decidedBy: r.decided_by,
    note: r.note,
    recordName: r.record_name ?? null,
  };
}
