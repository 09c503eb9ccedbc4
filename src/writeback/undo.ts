import type { RecordType } from '../core/objects.ts';
import { errorMessage } from '../errors.ts';
import { HubSpotNotFoundError } from '../hubspot/errors.ts';
import { sameValue, WritebackError, type WritebackContext } from './context.ts';
import { comparisonType } from './property-schema.ts';
import { readRecords, recordKey } from './record-state.ts';
import type { WriteRecord } from './write-log.ts';

/**
 * `hubspot-ai undo --job ID | --since ISO [--dry-run]`: restores the previous value of every property the AI wrote
 * and archives the notes and tasks it created. Several writes to one field are undone as a chain (the field goes
 * back to the value before the first of them). A field whose value is no longer the one we wrote was changed by
 * someone since: it is left alone and reported. Every step is audited (except in dry-run, which only reports).
 */

export interface UndoOptions {
  runId?: string;
  /** One proposal's write (the review page's and the card's Undo button). */
  proposalId?: string;
  since?: string | Date;
  dryRun: boolean;
  actor: string;
}

export interface UndoItem {
  proposalIds: string[];
  objectType: string;
  objectId: string;
  kind: WriteRecord['kind'];
  field: string | null;
  action: 'restore' | 'archive' | 'skip';
  /** For restores: the value written back; for skips: why. */
  restoredValue?: string | null;
  currentValue?: string | null;
  detail?: string;
}

export interface UndoReport {
  dryRun: boolean;
  restored: number;
  archived: number;
  skipped: number;
  failed: number;
  items: UndoItem[];
}

export async function undoWrites(ctx: WritebackContext, opts: UndoOptions): Promise<UndoReport> {
  if (!opts.runId && !opts.since && !opts.proposalId) throw new WritebackError('INVALID_UNDO', 'undo needs a run id (--job), a start time (--since) or a proposal id');
  const since = opts.since === undefined ? undefined : opts.since instanceof Date ? opts.since.getTime() : Date.parse(opts.since);
  if (since !== undefined && Number.isNaN(since)) throw new WritebackError('INVALID_UNDO', `--since is not a time: ${String(opts.since)}`);
  const writes = await ctx.writes.completed({ runId: opts.runId, since, proposalId: opts.proposalId });

  // Property writes grouped per record field, oldest first; engagements one by one.
  const chains = new Map<string, WriteRecord[]>();
  const engagements: WriteRecord[] = [];
  for (const w of writes) {
    if (w.kind !== 'property' || !w.field) engagements.push(w);
    else chains.set(`${w.objectType}/${w.objectId}/${w.field}`, [...(chains.get(`${w.objectType}/${w.objectId}/${w.field}`) ?? []), w]);
  }

  const report: UndoReport = { dryRun: opts.dryRun, restored: 0, archived: 0, skipped: 0, failed: 0, items: [] };
  const records = await readRecords(
    ctx.gateway,
    [...chains.values()].map((c) => ({ objectType: c[0]!.objectType as RecordType, objectId: c[0]!.objectId, field: c[0]!.field })),
  );

  const restores: Array<{ chain: WriteRecord[]; item: UndoItem }> = [];
  for (const chain of chains.values()) {
    const first = chain[0]!;
    const last = chain[chain.length - 1]!;
    const record = records.get(recordKey(first.objectType, first.objectId));
    const current = record ? (record.properties[first.field!] ?? null) : null;
    const item: UndoItem = { proposalIds: chain.map((w) => w.proposalId), objectType: first.objectType, objectId: first.objectId, kind: 'property', field: first.field, action: 'restore', currentValue: current, restoredValue: first.previousValue };
    if (!record) {
      item.action = 'skip';
      item.detail = 'the record no longer exists';
    } else if (!sameValue(current, last.newValue, await comparisonType(ctx.schema, first.objectType as RecordType, first.field!, ctx.logger))) {
      item.action = 'skip';
      item.detail = `changed since the AI wrote it (AI wrote ${JSON.stringify(last.newValue)}, now ${JSON.stringify(current)}): left alone`;
    }
    if (item.action === 'skip') {
      report.skipped += 1;
      if (!opts.dryRun) for (const w of chain) await audit(ctx, w, opts.actor, 'undo_skipped', { detail: item.detail, previousValue: current });
    } else {
      restores.push({ chain, item });
    }
    report.items.push(item);
  }

  if (!opts.dryRun && restores.length) {
    try {
      await ctx.writer.writeProperties(
        restores.map(({ chain }) => ({ objectType: chain[0]!.objectType as RecordType, objectId: chain[0]!.objectId, field: chain[0]!.field!, value: chain[0]!.previousValue ?? '' })),
      );
      for (const { chain, item } of restores) {
        for (const w of chain) {
          await ctx.writes.markUndone(w.proposalId);
          await audit(ctx, w, opts.actor, 'undone', { previousValue: item.currentValue ?? null, newValue: chain[0]!.previousValue });
        }
      }
    } catch (err) {
      for (const { chain, item } of restores) {
        item.detail = `restore failed: ${errorMessage(err)}`;
        for (const w of chain) await audit(ctx, w, opts.actor, 'failed', { detail: item.detail });
      }
      report.failed += restores.length;
      restores.length = 0;
    }
  }
  report.restored = restores.length;

  for (const w of engagements) {
    const item: UndoItem = { proposalIds: [w.proposalId], objectType: w.objectType, objectId: w.objectId, kind: w.kind, field: null, action: 'archive', detail: `${w.kind} ${w.createdId ?? '(unknown id)'}` };
    report.items.push(item);
    if (!w.createdId) {
      item.action = 'skip';
      item.detail = 'the created engagement id was never recorded';
      report.skipped += 1;
      continue;
    }
    if (opts.dryRun) {
      report.archived += 1;
      continue;
    }
    try {
      await ctx.writer.archive(w.kind === 'note' ? 'notes' : 'tasks', w.createdId);
    } catch (err) {
      // Someone deleted it already: the goal of undo is reached.
      if (!(err instanceof HubSpotNotFoundError)) {
        item.detail = `archive failed: ${errorMessage(err)}`;
        report.failed += 1;
        await audit(ctx, w, opts.actor, 'failed', { detail: item.detail });
        continue;
      }
    }
    report.archived += 1;
    await ctx.writes.markUndone(w.proposalId);
    await audit(ctx, w, opts.actor, 'undone', { detail: `archived ${w.kind} ${w.createdId}` });
  }
  return report;
}

async function audit(
  ctx: WritebackContext,
  w: WriteRecord,
  actor: string,
  event: 'undone' | 'undo_skipped' | 'failed',
  extra: { detail?: string; previousValue?: string | null; newValue?: string | null },
): Promise<void> {
  await ctx.audit.append({
    event,
    actor,
    proposalId: w.proposalId,
    runId: w.runId,
    portalId: w.portalId,
    objectType: w.objectType,
    objectId: w.objectId,
    kind: w.kind,
    field: w.field,
    status: event,
    ...extra,
  });
}
