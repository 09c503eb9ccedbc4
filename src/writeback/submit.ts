import { normalizeProposalText, ProposalSchema, type Decision, type GenerationTrace, type Proposal, type SubmitResult } from '../core/proposal.ts';
import { errorMessage } from '../errors.ts';
import { accountsOfRecords } from '../hubspot/account-resolver.ts';
import { decide } from './decide.ts';
import { sameValue, type WritebackContext } from './context.ts';
import { notifyOwner } from './owner-tasks.ts';
import { comparisonType } from './property-schema.ts';
import { recordName } from './record-names.ts';
import { fieldState, readRecords, recordKey } from './record-state.ts';
import type { PropertyWrite } from './hubspot-writer.ts';

/**
 * The sink agents' callers hand proposals to. For each proposal: skip it if it was already handled (a retried
 * job), read the record, decide, audit the decision, then apply, queue for review or reject. Property writes
 * that pass are batched per object type after the loop; notes and tasks are created one by one.
 * In dry-run (shadow) mode the same decisions are made and audited and nothing is written or queued.
 */
export async function submitProposals(
  ctx: WritebackContext,
  proposals: Proposal[],
  trace: GenerationTrace,
  opts: { dryRun?: boolean; actor?: string; finalAttempt?: boolean } = {},
): Promise<SubmitResult[]> {
  const finalAttempt = opts.finalAttempt === true;
  // A caller can ask for a shadow run, never for a real write while the service is in shadow mode.
  const dryRun = ctx.dryRun || opts.dryRun === true;
  const actor = opts.actor ?? `agent:${trace.agent}`;
  const traceId = await ctx.audit.recordTrace(trace);

  // Model text is normalised once, here, so the audit log, the review queue and HubSpot hold the same string.
  proposals = proposals.map(normalizeProposalText);
  const valid = proposals.filter((p) => ProposalSchema.safeParse(p).success);
  const [records, membership] = await Promise.all([
    readRecords(
      ctx.gateway,
      valid.map((p) => ({ objectType: p.target.objectType, objectId: p.target.objectId, field: p.kind === 'property' ? p.field : null })),
    ),
    // Which accounts each target belongs to now, by HubSpot's associations: the decision rejects a target
    // outside the job's account.
    accountsOfRecords(ctx.gateway, valid.flatMap((p) => [p.target, ...(p.associations ?? [])])),
  ]);

  const results: SubmitResult[] = [];
  const batch: Array<{ proposal: Proposal; decision: Decision; previous: string | null; index: number }> = [];

  for (const p of proposals) {
    const base = auditFields(p, traceId);
    const parsed = ProposalSchema.safeParse(p);
    if (parsed.success) {
      const duplicate = await alreadyHandled(ctx, p);
      if (duplicate) {
        await ctx.audit.append({ ...base, event: 'duplicate', actor, status: 'duplicate', detail: duplicate, dryRun });
        results.push({ proposal: p, decision: { proposalId: p.id, outcome: 'reject', reasons: [`duplicate: ${duplicate}`] }, status: 'duplicate', detail: duplicate });
        continue;
      }
    }

    const record = parsed.success ? records.get(recordKey(p.target.objectType, p.target.objectId)) : undefined;
    const field = parsed.success && p.kind === 'property' ? p.field : null;
    const propertyType = field ? await comparisonType(ctx.schema, p.target.objectType, field, ctx.logger) : undefined;
    if (field && record && !dryRun && (await recoverLandedWrite(ctx, p, field, record.properties[field] ?? null, propertyType))) {
      await ctx.audit.append({ ...base, event: 'applied', actor, decision: 'apply', status: 'applied', newValue: p.value, detail: 'recovered: an earlier attempt wrote the value before it could record it' });
      results.push({ proposal: p, decision: { proposalId: p.id, outcome: 'apply', reasons: ['recovered: written by an earlier attempt'] }, status: 'duplicate', detail: 'written by an earlier attempt' });
      continue;
    }
    const last = field ? await ctx.writes.lastFieldWrite(p.target.objectType, p.target.objectId, field) : undefined;
    const state = fieldState(record, field, { appId: ctx.appId, ourLastValue: last?.newValue, type: propertyType });
    const counts = parsed.success ? await ctx.writes.breakerCounts(p.target.objectType) : { autoWritesLastMinute: 0, objectWritesLastHour: 0 };
    const recordCount = parsed.success ? await ctx.recordCount(p.target.objectType) : null;

    const targetAccounts = parsed.success ? (membership.get(recordKey(p.target.objectType, p.target.objectId)) ?? []) : [];
    const associationAccounts = parsed.success ? membershipOf(membership, p.associations ?? []) : {};
    let decision = decide(p, ctx.policy, {
      currentValue: state.value, setBy: state.setBy, propertyType, breaker: { ...counts, objectRecordCount: recordCount }, killSwitch: ctx.killSwitch, targetAccounts, associationAccounts,
    });
    if (parsed.success && p.portalId !== (await ctx.portal())) {
      // The service writes to one portal; a proposal made for another is refused whatever else it says.
      decision = { ...decision, outcome: 'reject', reasons: [...decision.reasons, `target_outside_portal: the proposal is for portal ${p.portalId}, this service writes to ${await ctx.portal()}`] };
    }
    if (parsed.success && !state.exists) {
      decision = { ...decision, outcome: 'reject', reasons: [...decision.reasons, `target_missing: ${p.target.objectType}/${p.target.objectId} does not exist in HubSpot`] };
    }
    if (parsed.success && field && decision.outcome !== 'reject') {
      // A value the portal cannot hold (an option it does not have) would fail the write: nobody should approve it.
      // Unreadable definitions (HubSpot down) do not block: the write itself would then be refused with a reason.
      const invalid = await ctx.schema.invalidReason(p.target.objectType, field, p.value).catch((err: unknown) => {
        ctx.logger.warn({ err: errorMessage(err), objectType: p.target.objectType, field }, 'property definitions unreadable; value not checked');
        return undefined;
      });
      if (invalid) decision = { ...decision, outcome: 'reject', reasons: [...decision.reasons, `invalid_value: ${invalid}`] };
    }
    ctx.metrics.decisions.inc({ agent: String(p.agent ?? 'unknown'), outcome: decision.outcome });
    await ctx.audit.append({
      ...base,
      event: 'decided',
      actor,
      decision: decision.outcome,
      reasons: decision.reasons,
      previousValue: state.value,
      status: dryRun ? 'dry_run' : null,
      dryRun,
      proposal: p,
      detail: state.lastChange ? `current value set by ${state.setBy} (${state.lastChange.sourceType} at ${state.lastChange.timestamp})` : null,
    });

    if (dryRun) {
      results.push({ proposal: p, decision, status: 'dry_run', detail: `would ${decision.outcome}` });
      continue;
    }
    if (decision.outcome === 'reject') {
      await ctx.audit.append({ ...base, event: 'rejected', actor, decision: 'reject', reasons: decision.reasons, status: 'rejected' });
      results.push({ proposal: p, decision, status: 'rejected' });
      continue;
    }
    if (decision.outcome === 'review') {
      const { review, created } = await ctx.reviews.enqueue({
        proposal: p,
        reasons: decision.reasons,
        // Approval compares HubSpot with what the agent saw; when it did not say, with what we saw now.
        observedValue: p.observedValue !== undefined ? p.observedValue : state.value,
        ownerId: state.ownerId,
        traceId,
        recordName: recordName(p.target.objectType, record),
      });
      await ctx.audit.append({ ...base, event: 'queued', actor, decision: 'review', reasons: decision.reasons, status: 'pending_review', detail: `review ${review.id}${created ? '' : ' (existing)'}` });
      if (created) await notifyOwner(ctx, { objectType: p.target.objectType, objectId: p.target.objectId, ownerId: state.ownerId, recordName: review.recordName });
      results.push({ proposal: p, decision, status: 'pending_review', detail: review.id });
      continue;
    }

    // apply: the intent goes in the write log first (it also counts for the breaker of the next proposal).
    const { existing } = await ctx.writes.recordIntent({ proposal: p, value: p.value, previousValue: state.value, automatic: true, actor });
    if (p.kind === 'property') {
      batch.push({ proposal: p, decision, previous: existing?.previousValue ?? state.value, index: results.length });
      results.push({ proposal: p, decision, status: 'applied' });
    } else {
      results.push(await applyEngagement(ctx, p, p.value, { decision, actor, traceId, retry: existing !== undefined, finalAttempt }));
    }
  }

  if (batch.length) await flushProperties(ctx, batch, results, { actor, traceId, finalAttempt });
  return results;
}

/** The accounts of each associated record, keyed `objectType/objectId` (what `decide` checks them against). */
export function membershipOf(membership: ReadonlyMap<string, string[]>, targets: ReadonlyArray<{ objectType: string; objectId: string }>): Record<string, string[]> {
  return Object.fromEntries(targets.map((t) => [recordKey(t.objectType, t.objectId), membership.get(recordKey(t.objectType, t.objectId)) ?? []]));
}

/** A proposal this service already applied or queued: a retried job must not write or queue it twice. */
async function alreadyHandled(ctx: WritebackContext, p: Proposal): Promise<string | undefined> {
  const write = await ctx.writes.get(p.id);
  if (write?.state === 'done' || write?.state === 'undone') return `already applied (${write.state})`;
  const review = await ctx.reviews.byProposal(p.id);
  if (review) return `already in review ${review.id} (${review.status})`;
  return undefined;
}

/**
 * A property write whose intent was recorded but not its completion (the process died around the HubSpot call):
 * if HubSpot holds the intended value, the write landed and is marked done, so undo can still find it.
 */
async function recoverLandedWrite(ctx: WritebackContext, p: Proposal, field: string, current: string | null, type: string | undefined): Promise<boolean> {
  const write = await ctx.writes.get(p.id);
  if (write?.state !== 'intent' || write.field !== field || !sameValue(current, write.newValue, type)) return false;
  await ctx.writes.markDone(p.id);
  return true;
}

async function flushProperties(
  ctx: WritebackContext,
  batch: Array<{ proposal: Proposal; decision: Decision; previous: string | null; index: number }>,
  results: SubmitResult[],
  meta: { actor: string; traceId: string; finalAttempt: boolean },
): Promise<void> {
  const writes: PropertyWrite[] = batch.map(({ proposal: p }) => ({ objectType: p.target.objectType, objectId: p.target.objectId, field: p.field!, value: p.value }));
  try {
    const answers = await ctx.writer.writeProperties(writes);
    for (const item of batch) {
      const p = item.proposal;
      const answer = answers.get(recordKey(p.target.objectType, p.target.objectId));
      if (!answer) {
        // A batch update answers per record (207): a record deleted meanwhile is missing from the results.
        await ctx.writes.markFailed(p.id);
        await auditFailed(ctx, { ...auditFields(p, meta.traceId), actor: meta.actor }, { status: 'failed', outcome: { error: 'record missing from HubSpot answer' }, detail: 'HubSpot did not update the record (deleted meanwhile?)' });
        results[item.index] = { proposal: p, decision: item.decision, status: 'failed', detail: 'HubSpot did not update the record (deleted meanwhile?)' };
        continue;
      }
      await ctx.writes.markDone(p.id);
      await ctx.audit.append({
        ...auditFields(p, meta.traceId),
        event: 'applied',
        actor: meta.actor,
        decision: 'apply',
        reasons: item.decision.reasons,
        status: 'applied',
        previousValue: item.previous,
        newValue: p.value,
        outcome: { updatedAt: answer.updatedAt, value: answer.properties[p.field!] ?? null },
      });
    }
  } catch (err) {
    ctx.logger.warn({ err, count: batch.length }, 'write-back batch update failed');
    for (const item of batch) results[item.index] = await writeFailed(ctx, item.proposal, item.decision, err, { ...meta, observedValue: item.previous });
  }
}

/**
 * Creates an AI note or task (the intent is already recorded); shared by automatic apply and approval. A failure is
 * audited here, once (`approval`: the caller puts the review back in the queue and audits nothing more).
 */
export async function applyEngagement(
  ctx: WritebackContext,
  p: Proposal,
  text: string,
  meta: { decision: Decision; actor: string; traceId: string | null; retry: boolean; finalAttempt?: boolean; approval?: boolean },
): Promise<SubmitResult> {
  try {
    const created = await ctx.writer.createEngagement(p, text, { checkExisting: meta.retry });
    await ctx.writes.markDone(p.id, created.id);
    await ctx.audit.append({
      ...auditFields(p, meta.traceId),
      event: 'applied',
      actor: meta.actor,
      decision: 'apply',
      reasons: meta.decision.reasons,
      status: 'applied',
      newValue: text,
      outcome: { createdId: created.id, reused: created.reused },
    });
    return { proposal: p, decision: meta.decision, status: 'applied', detail: `${p.kind} ${created.id}${created.reused ? ' (found from an earlier attempt)' : ''}` };
  } catch (err) {
    ctx.logger.warn({ err, proposalId: p.id }, 'write-back engagement create failed');
    return writeFailed(ctx, p, meta.decision, err, { ...meta, observedValue: null });
  }
}

/**
 * A write HubSpot refused or did not answer; audited with one 'failed' entry whatever the path. A transient failure
 * (5xx, 429, timeout: the HubSpot error says `retryable`) keeps its intent and says so, so the job runs again and
 * writes it once; on the job's last attempt nothing would run again, so the write is marked failed and queued for
 * review (approving it writes it, once); anything else fails the write for good. A failed approval keeps the
 * intent of a transient failure too (approving again looks for what landed before writing).
 */
async function writeFailed(
  ctx: WritebackContext,
  p: Proposal,
  decision: Decision,
  err: unknown,
  meta: { actor: string; traceId: string | null; finalAttempt?: boolean | undefined; approval?: boolean | undefined; observedValue: string | null },
): Promise<SubmitResult> {
  const transient = (err as { retryable?: unknown } | null)?.retryable === true;
  const outcome = errorOutcome(err);
  if (transient && meta.finalAttempt && !meta.approval) {
    // The job's last attempt: the intent becomes a failed write and a review a person decides.
    await ctx.writes.markFailed(p.id);
    const { review } = await ctx.reviews.enqueue({
      proposal: p,
      reasons: [...decision.reasons, `write_failed: HubSpot did not take the write on the job's last attempt (${errorMessage(err).slice(0, 300)}); approve to write it again`],
      observedValue: meta.observedValue,
      ownerId: null,
      traceId: meta.traceId,
    });
    await auditFailed(ctx, { ...auditFields(p, meta.traceId), actor: meta.actor }, { status: 'pending_review', outcome, detail: `transient HubSpot failure on the job's last attempt: write marked failed, queued for review ${review.id}` });
    return { proposal: p, decision, status: 'pending_review', detail: review.id };
  }
  if (!transient) await ctx.writes.markFailed(p.id);
  const detail = meta.approval
    ? `${transient ? 'transient HubSpot failure' : 'HubSpot refused the write'}: the approval did not write it; the review is back in the queue`
    : transient
      ? 'transient HubSpot failure: the job tries again'
      : 'HubSpot refused the write';
  await auditFailed(ctx, { ...auditFields(p, meta.traceId), actor: meta.actor }, { status: 'failed', outcome, detail });
  return { proposal: p, decision, status: 'failed', detail: errorMessage(err), ...(transient && !meta.approval ? { retryable: true } : {}) };
}

/** The one 'failed' audit entry of a write, automatic or approved (`base`: the proposal's audit fields and actor). */
export function auditFailed(
  ctx: WritebackContext,
  base: ReturnType<typeof auditFields> & { actor: string },
  entry: { status: 'failed' | 'pending_review'; outcome: ReturnType<typeof errorOutcome>; detail: string },
): Promise<void> {
  return ctx.audit.append({ ...base, event: 'failed', decision: 'apply', status: entry.status, outcome: entry.outcome, detail: entry.detail });
}

export function auditFields(p: Proposal, traceId: string | null) {
  // Malformed proposals are audited too; read their fields defensively.
  const t = (p as Partial<Proposal> | undefined)?.target;
  return {
    proposalId: typeof p?.id === 'string' ? p.id : null,
    runId: typeof p?.runId === 'string' ? p.runId : null,
    traceId,
    portalId: typeof p?.portalId === 'string' ? p.portalId : null,
    accountId: typeof p?.accountId === 'string' ? p.accountId : null,
    agent: typeof p?.agent === 'string' ? p.agent : null,
    objectType: typeof t?.objectType === 'string' ? t.objectType : null,
    objectId: typeof t?.objectId === 'string' ? t.objectId : null,
    kind: typeof p?.kind === 'string' ? p.kind : null,
    field: typeof p?.field === 'string' ? p.field : null,
    proposedValue: typeof p?.value === 'string' ? p.value : null,
    confidence: typeof p?.confidence === 'number' ? p.confidence : null,
  };
}

export function errorOutcome(err: unknown): { error: string; code?: string; status?: number } {
  const e = err as { code?: unknown; status?: unknown };
  return { error: errorMessage(err), ...(typeof e.code === 'string' ? { code: e.code } : {}), ...(typeof e.status === 'number' ? { status: e.status } : {}) };
}
