import type { Proposal } from '../core/proposal.ts';
import type { RecordType } from '../core/objects.ts';
import { errorMessage } from '../errors.ts';
import { sameValue, type WritebackContext } from './context.ts';
import { comparisonType } from './property-schema.ts';
import { readRecords, recordKey } from './record-state.ts';
import { auditFailed, auditFields } from './submit.ts';

/**
 * Writes whose process was killed between recording the intent and recording the outcome. A retried job resolves
 * its own intents (the same proposal ids come back); a job killed on its last attempt has no retry, so its intents
 * would stay intents for ever: never written, never reviewed, and counted by the write-rate breaker. The sweep
 * settles every intent older than `olderThanMs` (longer than a job's retries take, so a job still retrying is left
 * to resolve its own; if it does run again meanwhile, it finds the review and writes nothing twice):
 *   - the write landed (HubSpot holds the value, or a note/task carries the proposal's marker): marked done and
 *     audited as applied, so undo finds it;
 *   - it did not: marked failed, audited with one 'failed' entry and queued for review (approving writes it once).
 */
export interface SweepReport {
  /** Intents whose write had landed: now done. */
  landed: number;
  /** Intents whose write had not: failed and queued for review. */
  queued: number;
  /** Intents left as they were (HubSpot unreadable, or no decided proposal on record): tried at the next sweep. */
  skipped: number;
}

export const DEFAULT_INTENT_TIMEOUT_MS = 2 * 3_600_000;

export async function sweepInterruptedWrites(ctx: WritebackContext, opts: { olderThanMs?: number } = {}): Promise<SweepReport> {
  const report: SweepReport = { landed: 0, queued: 0, skipped: 0 };
  if (ctx.dryRun) return report; // shadow mode records no intents; nothing of an earlier mode is written now either
  const stale = await ctx.writes.staleIntents(ctx.now() - (opts.olderThanMs ?? DEFAULT_INTENT_TIMEOUT_MS));
  for (const w of stale) {
    try {
      // The proposal as it was decided (the write log keeps the value, the audit log the whole proposal).
      const decided = (await ctx.audit.decisions({ proposalId: w.proposalId, dryRun: false })).at(-1);
      const proposal = decided?.proposal as Proposal | undefined;
      if (!proposal) {
        report.skipped += 1;
        ctx.logger.warn({ proposalId: w.proposalId }, 'interrupted write has no decided proposal on record; left as an intent');
        continue;
      }
      const base = { ...auditFields(proposal, decided?.traceId ?? null), actor: 'system:intent-sweep' };
      const landedId = await landed(ctx, w.kind, w.objectType as RecordType, w.objectId, w.field, w.newValue, w.proposalId);
      if (landedId !== false) {
        await ctx.writes.markDone(w.proposalId, landedId ?? undefined);
        await ctx.audit.append({ ...base, event: 'applied', decision: 'apply', status: 'applied', previousValue: w.previousValue, newValue: w.newValue, detail: 'recovered by the intent sweep: the write landed before its process stopped' });
        report.landed += 1;
        continue;
      }
      await ctx.writes.markFailed(w.proposalId);
      const { review } = await ctx.reviews.enqueue({
        proposal,
        reasons: [`write_interrupted: the process writing it stopped on the job's last attempt (intent recorded ${new Date(w.writtenAt).toISOString()}); approve to write it`],
        observedValue: w.previousValue,
        ownerId: null,
        traceId: decided?.traceId ?? null,
      });
      await auditFailed(ctx, base, { status: 'pending_review', outcome: { error: 'the process writing it stopped before HubSpot answered' }, detail: `interrupted write (its process stopped): marked failed, queued for review ${review.id}` });
      report.queued += 1;
    } catch (err) {
      report.skipped += 1;
      ctx.logger.warn({ proposalId: w.proposalId, err: errorMessage(err) }, 'interrupted write not settled; tried again at the next sweep');
    }
  }
  if (report.landed + report.queued > 0) ctx.logger.info(report, 'interrupted writes settled');
  return report;
}

/** Whether the write is in HubSpot: `false` if not; the note or task id (or null for a property) if it is. */
async function landed(ctx: WritebackContext, kind: Proposal['kind'], objectType: RecordType, objectId: string, field: string | null, value: string, proposalId: string): Promise<string | null | false> {
  if (kind === 'property' && field) {
    const record = (await readRecords(ctx.gateway, [{ objectType, objectId, field }])).get(recordKey(objectType, objectId));
    const type = await comparisonType(ctx.schema, objectType, field, ctx.logger);
    return record && sameValue(record.properties[field] ?? null, value, type) ? null : false;
  }
  const id = await ctx.writer.findByMarker(kind === 'note' ? 'notes' : 'tasks', objectType, objectId, proposalId);
  return id ?? false;
}
