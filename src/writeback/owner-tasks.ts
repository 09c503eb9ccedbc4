import type { RecordType } from '../core/objects.ts';
import { errorMessage } from '../errors.ts';
import type { WritebackContext } from './context.ts';
import { recordLabel } from './record-names.ts';
import { recordUrl } from './review-urls.ts';

/**
 * Tells a record's owner that AI suggestions wait for them: one HubSpot task per record (not one per proposal),
 * assigned to the owner, associated with the record and linking to it (where the app card shows the suggestions)
 * and to the review page. When the record's queue is empty again (approved, rejected or stale), the task completes
 * itself. A task a person completed or deleted while suggestions still wait is replaced by a new one on the next
 * suggestion. Notifications never block or fail a review: problems are logged.
 */

const DAY_MS = 86_400_000;

/** After a review was queued for a record: make sure its owner has an open task. */
export async function notifyOwner(ctx: WritebackContext, r: { objectType: RecordType; objectId: string; ownerId: string | null; recordName: string | null }): Promise<void> {
  if (!ctx.ownerTasks.enabled || ctx.dryRun || !r.ownerId) return;
  try {
    const db = ctx.db;
    const existing = await db.selectFrom('writeback_owner_tasks').where('portal_id', '=', await ctx.portal()).selectAll().where('object_type', '=', r.objectType).where('object_id', '=', r.objectId).executeTakeFirst();
    if (existing?.state === 'open') {
      // Still there and not done by a person? Then this suggestion is covered by it.
      const [task] = await ctx.gateway.batchRead('tasks', [existing.task_id], { properties: ['hs_task_status'] });
      if (task && !task.archived && task.properties.hs_task_status !== 'COMPLETED') return;
    }
    const portalId = await ctx.portal();
    const name = recordLabel(r.objectType, r.objectId, r.recordName);
    const link = recordUrl(ctx.appUrl, portalId, r.objectType, r.objectId);
    const body = [
      `The AI has suggestions for ${name} that wait for a person: nothing is written to HubSpot until someone approves them.`,
      link ? `Open the record and use the "AI suggestions to review" card: ${link}` : 'Open the record and use the "AI suggestions to review" card.',
      ctx.ownerTasks.reviewPageUrl ? `Or review them on the review page: ${ctx.ownerTasks.reviewPageUrl}` : '',
      'This task completes itself when nothing is left to review.',
    ]
      .filter(Boolean)
      .join('\n\n');
    const taskId = await ctx.writer.createTask(
      {
        hs_task_subject: `Review AI suggestions for ${name}`,
        hs_task_body: body,
        hs_task_status: 'NOT_STARTED',
        hs_timestamp: new Date(ctx.now() + DAY_MS).toISOString(),
        hubspot_owner_id: r.ownerId,
      },
      { objectType: r.objectType, objectId: r.objectId },
    );
    const row = { task_id: taskId, owner_id: r.ownerId, state: 'open', created_at: ctx.now(), closed_at: null };
    if (existing) {
      await db.updateTable('writeback_owner_tasks').where('portal_id', '=', await ctx.portal()).set(row).where('object_type', '=', r.objectType).where('object_id', '=', r.objectId).execute();
    } else {
      await db.insertInto('writeback_owner_tasks').values({ portal_id: await ctx.portal(), object_type: r.objectType, object_id: r.objectId, ...row }).execute();
    }
  } catch (err) {
    ctx.logger.warn({ err: errorMessage(err), objectType: r.objectType, objectId: r.objectId }, 'could not create the owner task for a review');
  }
}

/** After a review left the queue: complete the record's task when nothing is pending any more. */
export async function closeOwnerTaskIfDone(ctx: WritebackContext, objectType: string, objectId: string): Promise<void> {
  if (!ctx.ownerTasks.enabled || ctx.dryRun) return;
  try {
    const open = await ctx.db
      .selectFrom('writeback_owner_tasks').where('portal_id', '=', await ctx.portal())
      .selectAll()
      .where('object_type', '=', objectType)
      .where('object_id', '=', objectId)
      .where('state', '=', 'open')
      .executeTakeFirst();
    if (!open) return;
    if ((await ctx.reviews.count({ status: 'pending', objectType, objectId })) > 0) return;
    // Claim first: of two reviewers finishing the last two reviews at once, one closes the task.
    const claimed = await ctx.db
      .updateTable('writeback_owner_tasks').where('portal_id', '=', await ctx.portal())
      .set({ state: 'closed', closed_at: ctx.now() })
      .where('object_type', '=', objectType)
      .where('object_id', '=', objectId)
      .where('task_id', '=', open.task_id)
      .where('state', '=', 'open')
      .executeTakeFirst();
    if (Number(claimed.numUpdatedRows) !== 1) return;
    // A task a person deleted is simply absent from HubSpot's answer: the goal is reached either way.
    await ctx.writer.updateTasks([{ id: open.task_id, properties: { hs_task_status: 'COMPLETED' } }]);
  } catch (err) {
    ctx.logger.warn({ err: errorMessage(err), objectType, objectId }, 'could not complete the owner task');
  }
}
