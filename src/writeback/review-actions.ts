import type { RecordType } from '../core/objects.ts';
import { normalizeModelText } from '../core/model-text.ts';
import { accountsOfRecords } from '../hubspot/account-resolver.ts';
import { errorMessage } from '../errors.ts';
import { invalidValueReason } from './ai-properties.ts';
import type { NewAuditEntry } from './audit-store.ts';
import { sameValue, WritebackError, type WritebackContext } from './context.ts';
import { supportingSentence, type Highlight } from './evidence-highlight.ts';
import type { Owner } from './owner-directory.ts';
import { fieldRule } from './policy.ts';
import { comparisonType } from './property-schema.ts';
import { recordLabel, recordName } from './record-names.ts';
import { recordUrl } from './review-urls.ts';
import { closeOwnerTaskIfDone } from './owner-tasks.ts';
import { fieldState, readRecords, recordKey } from './record-state.ts';
import type { Review, ReviewFilter } from './review-store.ts';
import { applyEngagement, auditFailed, auditFields, errorOutcome } from './submit.ts';

/**
 * What reviewers do with the queue. Approval re-reads the record and compares the field with the value the
 * proposal saw: if a person changed it since, the review becomes `stale` and nothing is written. A reviewer may
 * edit the value before approving; the edit is validated like the original and audited as such.
 */

export interface EvidenceChunk {
  id: string;
  text: string;
  sourceType?: string;
  occurredAt?: string;
}

export type EvidenceResolver = (chunkIds: string[]) => Promise<EvidenceChunk[]>;

export interface ReviewView extends Review {
  /** The live value in HubSpot (with `withCurrent`); undefined when not read, null when empty. */
  currentValue?: string | null;
  /** Evidence chunks, each with the sentence that best supports the proposal (null when none shares a word). */
  evidenceChunks?: Array<EvidenceChunk & { highlight: Highlight | null }>;
  /** With `withDetails`: the record as people know it, and its owner. */
  record?: { name: string | null; label: string; url: string | null; exists: boolean };
  owner?: Owner | null;
}

export interface ReviewActionResult {
  review: Review;
  status: 'approved' | 'rejected' | 'stale' | 'failed';
  detail?: string;
}

export type ListOptions = ReviewFilter & { withCurrent?: boolean; withDetails?: boolean };

export async function listReviews(ctx: WritebackContext, resolveEvidence: EvidenceResolver | undefined, filter: ListOptions = {}): Promise<ReviewView[]> {
  const reviews: ReviewView[] = await ctx.reviews.list(filter);
  await describeReviews(ctx, resolveEvidence, reviews, filter);
  return reviews;
}

/** Adds live values, names, owners, links and highlighted evidence to reviews (in place). */
export async function describeReviews(ctx: WritebackContext, resolveEvidence: EvidenceResolver | undefined, reviews: ReviewView[], opts: { withCurrent?: boolean; withDetails?: boolean }): Promise<void> {
  if ((opts.withCurrent || opts.withDetails) && reviews.length) {
    const records = await readRecords(
      ctx.gateway,
      reviews.map((r) => ({ objectType: r.objectType as RecordType, objectId: r.objectId, field: r.proposal.kind === 'property' ? r.proposal.field : null })),
    );
    const [portalId, owners] = opts.withDetails ? await Promise.all([ctx.portal(), ctx.owners.all().catch(() => new Map<string, Owner>())]) : ['', new Map<string, Owner>()];
    for (const r of reviews) {
      const record = records.get(recordKey(r.objectType, r.objectId));
      if (opts.withCurrent) r.currentValue = r.proposal.kind === 'property' && record ? (record.properties[r.proposal.field!] ?? null) : null;
      if (opts.withDetails) {
        const type = r.objectType as RecordType;
        const name = record ? recordName(type, record) : r.recordName;
        r.record = { name, label: recordLabel(type, r.objectId, name), url: recordUrl(ctx.appUrl, portalId, type, r.objectId), exists: record !== undefined };
        const ownerId = record ? (record.properties.hubspot_owner_id ?? null) : r.ownerId;
        r.owner = ownerId ? (owners.get(ownerId) ?? { id: ownerId, name: `Owner ${ownerId}`, email: '' }) : null;
      }
    }
  }
  if (resolveEvidence) {
    const ids = [...new Set(reviews.flatMap((r) => r.proposal.evidence))];
    const chunks = ids.length ? await resolveEvidence(ids).catch((err: unknown) => (ctx.logger.warn({ err }, 'evidence lookup failed'), [])) : [];
    const byId = new Map(chunks.map((c) => [c.id, c]));
    for (const r of reviews) {
      const claim = `${r.proposal.title ?? ''} ${r.proposal.value} ${r.proposal.rationale ?? ''}`;
      r.evidenceChunks = r.proposal.evidence
        .map((id) => byId.get(id))
        .filter((c): c is EvidenceChunk => c !== undefined)
        .map((c) => ({ ...c, highlight: supportingSentence(c.text, claim) }));
    }
  }
}


async function pending(ctx: WritebackContext, id: string): Promise<Review> {
  const review = await ctx.reviews.get(id);
  if (!review) throw new WritebackError('REVIEW_NOT_FOUND', `review ${id} does not exist`);
  if (review.status !== 'pending') throw new WritebackError('REVIEW_NOT_PENDING', `review ${id} is already ${review.status}`, { status: review.status });
  return review;
}

export async function approveReview(ctx: WritebackContext, id: string, opts: { actor: string; editedValue?: string }): Promise<ReviewActionResult> {
  const review = await pending(ctx, id);
  const p = review.proposal;
  // A reviewer's edit gets the same Unicode and control-character cleaning as model text (the value audited is
  // the value HubSpot receives), but is never cut: an edit that is too long is refused, so the person knows.
  const value = opts.editedValue === undefined ? p.value : normalizeModelText(opts.editedValue);
  validateApproval(ctx, review, value);
  if (p.kind === 'property') {
    // The portal may have changed its options since the proposal was queued, or the edit picked one it lacks.
    const invalid = await ctx.schema.invalidReason(p.target.objectType, p.field!, value).catch((err: unknown) => {
      ctx.logger.warn({ err: errorMessage(err), objectType: p.target.objectType, field: p.field }, 'property definitions unreadable; edit not checked');
      return undefined;
    });
    if (invalid) throw new WritebackError('INVALID_EDIT', invalid);
  }
  // Claim first: of two reviewers approving at once, one writes and the other gets REVIEW_NOT_PENDING.
  if (!(await ctx.reviews.transition(id, 'pending', 'applying', { actor: opts.actor }))) {
    throw new WritebackError('REVIEW_NOT_PENDING', `review ${id} was just handled by someone else`);
  }
  const edited = opts.editedValue !== undefined && opts.editedValue !== p.value;
  const base = { ...auditFields(p, review.traceId), actor: opts.actor, proposedValue: value };
  const note = edited ? `approved with an edited value (proposed: ${JSON.stringify(p.value)})` : null;
  const decision = { proposalId: p.id, outcome: 'apply' as const, reasons: [`approved_by: ${opts.actor}`, ...(note ? [`edited: ${note}`] : [])] };

  if (ctx.dryRun) {
    await ctx.reviews.transition(id, 'applying', 'approved', { actor: opts.actor, note: 'dry-run: approved, nothing written' });
    await ctx.audit.append({ ...base, event: 'review_approved', decision: 'apply', reasons: decision.reasons, status: 'dry_run', dryRun: true });
    return { review: (await ctx.reviews.get(id))!, status: 'approved', detail: 'dry-run: nothing written' };
  }

  try {
    // Associations may have moved since the proposal was queued: the target, and every record a note or task would
    // be associated with, must still belong to the account.
    const records = [p.target, ...(p.associations ?? [])];
    const membership = await accountsOfRecords(ctx.gateway, records);
    for (const r of records) {
      const owners = membership.get(recordKey(r.objectType, r.objectId)) ?? [];
      if (!owners.includes(p.accountId)) {
        const detail = `target_outside_account: ${r.objectType}/${r.objectId} now belongs to ${owners.length ? `account ${owners.join(', ')}` : 'no account'}, not to ${p.accountId}; nothing written`;
        return await stale(ctx, review, opts.actor, base, detail);
      }
    }
    if (p.kind === 'property') {
      const field = p.field!;
      const records = await readRecords(ctx.gateway, [{ objectType: p.target.objectType, objectId: p.target.objectId, field }]);
      const type = await comparisonType(ctx.schema, p.target.objectType, field, ctx.logger);
      const state = fieldState(records.get(recordKey(p.target.objectType, p.target.objectId)), field, { appId: ctx.appId, type });
      if (!state.exists) return await stale(ctx, review, opts.actor, base, `${p.target.objectType}/${p.target.objectId} no longer exists in HubSpot`);
      if (!sameValue(state.value, review.observedValue, type)) {
        const detail = `${field} changed from ${JSON.stringify(review.observedValue)} to ${JSON.stringify(state.value)} since the proposal; not overwritten`;
        return await stale(ctx, review, opts.actor, { ...base, previousValue: state.value }, detail);
      }
      const { existing } = await ctx.writes.recordIntent({ proposal: p, value, previousValue: state.value, automatic: false, actor: opts.actor });
      if (existing?.state === 'done') throw new WritebackError('REVIEW_NOT_PENDING', `proposal ${p.id} was already written`);
      const answers = await ctx.writer.writeProperties([{ objectType: p.target.objectType, objectId: p.target.objectId, field, value }]);
      await ctx.writes.markDone(p.id);
      const answer = answers.get(recordKey(p.target.objectType, p.target.objectId));
      await ctx.reviews.transition(id, 'applying', 'approved', { actor: opts.actor, note });
      await ctx.audit.append({ ...base, event: 'review_approved', decision: 'apply', reasons: decision.reasons, status: 'approved', previousValue: state.value, newValue: value });
      await ctx.audit.append({ ...base, event: 'applied', decision: 'apply', reasons: decision.reasons, status: 'applied', previousValue: state.value, newValue: value, outcome: { updatedAt: answer?.updatedAt, value: answer?.properties[field] ?? null } });
    } else {
      const { existing } = await ctx.writes.recordIntent({ proposal: p, value, previousValue: null, automatic: false, actor: opts.actor });
      const result = await applyEngagement(ctx, p, value, { decision, actor: opts.actor, traceId: review.traceId, retry: existing !== undefined, approval: true });
      if (result.status !== 'applied') {
        // applyEngagement audited the failure (one 'failed' entry per write); the review only goes back to the queue.
        await ctx.reviews.transition(id, 'applying', 'pending', { actor: opts.actor, note: `approval failed: ${result.detail ?? 'create failed'}` });
        return { review: (await ctx.reviews.get(id))!, status: 'failed', detail: result.detail ?? 'create failed' };
      }
      await ctx.reviews.transition(id, 'applying', 'approved', { actor: opts.actor, note });
      await ctx.audit.append({ ...base, event: 'review_approved', decision: 'apply', reasons: decision.reasons, status: 'approved', newValue: value, detail: result.detail });
    }
    await closeOwnerTaskIfDone(ctx, review.objectType, review.objectId);
    return { review: (await ctx.reviews.get(id))!, status: 'approved' };
  } catch (err) {
    if (err instanceof WritebackError) throw err;
    await ctx.writes.markFailed(p.id);
    await auditFailed(ctx, base, { status: 'failed', outcome: errorOutcome(err), detail: 'the approval did not write it; the review is back in the queue' });
    // The write failed (HubSpot down, rate limit): the review goes back to the queue so it can be approved again.
    await ctx.reviews.transition(id, 'applying', 'pending', { actor: opts.actor, note: `approval failed: ${errorMessage(err)}` });
    return { review: (await ctx.reviews.get(id))!, status: 'failed', detail: errorMessage(err) };
  }
}

function validateApproval(ctx: WritebackContext, review: Review, value: string): void {
  const p = review.proposal;
  if (p.kind === 'property') {
    // The policy may have changed since the proposal was queued: a field denied now cannot be approved.
    const rule = fieldRule(ctx.policy, p.target.objectType, p.field!);
    if (!rule || rule.mode === 'deny') throw new WritebackError('INVALID_EDIT', `the policy no longer allows writes to ${p.target.objectType}.${p.field}`);
    const invalid = invalidValueReason(p.field!, value);
    if (invalid) throw new WritebackError('INVALID_EDIT', `${p.field}: ${invalid}`);
  } else {
    const rule = p.kind === 'note' ? ctx.policy.notes : ctx.policy.tasks;
    if (rule.mode === 'deny') throw new WritebackError('INVALID_EDIT', `the policy no longer allows AI ${p.kind}s`);
    if (value.trim() === '') throw new WritebackError('INVALID_EDIT', `the ${p.kind} body is empty`);
  }
}

/** The approval found the record changed or gone: nothing is written, the review is closed as stale. */
async function stale(ctx: WritebackContext, review: Review, actor: string, base: Omit<NewAuditEntry, 'event'>, detail: string): Promise<ReviewActionResult> {
  await ctx.reviews.transition(review.id, 'applying', 'stale', { actor, note: detail });
  await ctx.audit.append({ ...base, event: 'review_stale', decision: 'review', status: 'stale', detail });
  await closeOwnerTaskIfDone(ctx, review.objectType, review.objectId);
  return { review: (await ctx.reviews.get(review.id))!, status: 'stale', detail };
}

export async function rejectReview(ctx: WritebackContext, id: string, opts: { actor: string; reason: string }): Promise<ReviewActionResult> {
  const review = await pending(ctx, id);
  if (!(await ctx.reviews.transition(id, 'pending', 'rejected', { actor: opts.actor, note: opts.reason }))) {
    throw new WritebackError('REVIEW_NOT_PENDING', `review ${id} was just handled by someone else`);
  }
  await ctx.audit.append({
    ...auditFields(review.proposal, review.traceId),
    event: 'review_rejected',
    actor: opts.actor,
    decision: 'reject',
    reasons: [`rejected_by: ${opts.actor}`, `reason: ${opts.reason}`],
    status: 'rejected',
  });
  await closeOwnerTaskIfDone(ctx, review.objectType, review.objectId);
  return { review: (await ctx.reviews.get(id))!, status: 'rejected' };
}
