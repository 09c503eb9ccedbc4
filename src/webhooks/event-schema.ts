import { z } from 'zod';
import type { HubSpotEvent } from '../queue/jobs.ts';

/**
 * A webhook delivery: a JSON array of HubSpot events (FACTS.md, "HubSpot webhooks"). Known fields are checked,
 * unknown ones are kept (HubSpot adds fields over time). HubSpot sends at most 100 events a request; the cap
 * here is a sanity bound, well above that, so a change on their side does not turn into lost deliveries.
 */
export const MAX_BATCH_EVENTS = 1_000;

const id = z.union([z.number().int().nonnegative(), z.string().regex(/^\d+$/, 'must be a numeric id')]);
const numericId = z.union([z.number().int().positive(), z.string().regex(/^\d+$/, 'must be a numeric id').transform(Number)]);

export const hubSpotEventSchema = z
  .looseObject({
    eventId: z.union([z.number().int(), z.string().min(1)], { error: 'is required (a number)' }),
    subscriptionId: z.number().int().optional(),
    portalId: numericId.refine((n) => n > 0, 'must be a positive portal id'),
    appId: z.number().int().optional(),
    occurredAt: z.number({ error: 'must be a number (milliseconds since the epoch)' }).int().nonnegative(),
    subscriptionType: z.string().min(1).optional(),
    /** Older docs call it `eventType`; accepted as an alias. */
    eventType: z.string().min(1).optional(),
    attemptNumber: z.number().int().nonnegative().optional(),
    objectId: id.optional(),
    objectTypeId: z.string().regex(/^\d+-\d+$/, 'must look like "0-1"').optional(),
    changeSource: z.string().optional(),
    sourceId: z.string().optional(),
    changeFlag: z.string().optional(),
    propertyName: z.string().optional(),
    propertyValue: z.union([z.string(), z.number(), z.boolean(), z.null()]).optional(),
    primaryObjectId: id.optional(),
    mergedObjectIds: z.array(id).optional(),
    newObjectId: id.optional(),
    associationType: z.string().optional(),
    fromObjectId: id.optional(),
    toObjectId: id.optional(),
    associationRemoved: z.boolean().optional(),
    isPrimaryAssociation: z.boolean().optional(),
  })
  .superRefine((e, ctx) => {
    if (!e.subscriptionType && !e.eventType) {
      ctx.addIssue({ code: 'custom', path: ['subscriptionType'], message: 'is required (e.g. "contact.creation")' });
    }
  })
  .transform((e): HubSpotEvent => {
    const { eventType, subscriptionType, propertyValue, ...rest } = e;
    return {
      ...rest,
      subscriptionType: (subscriptionType ?? eventType)!,
      // HubSpot sends property values as strings; normalise the odd number/boolean so dedupe keys are stable.
      ...(propertyValue === undefined ? {} : { propertyValue: propertyValue === null ? '' : String(propertyValue) }),
    };
  });

export const webhookBatchSchema = z
  .array(hubSpotEventSchema, { error: 'the body must be a JSON array of HubSpot events' })
  .min(1, 'the batch is empty: expected at least one event')
  .max(MAX_BATCH_EVENTS, `a batch holds at most ${MAX_BATCH_EVENTS} events`);

/** Parses a delivery; on failure, a message naming the first few problems by path (`[3].occurredAt: ...`). */
export function parseWebhookBatch(body: unknown): { ok: true; events: HubSpotEvent[] } | { ok: false; error: string } {
  const parsed = webhookBatchSchema.safeParse(body);
  if (parsed.success) return { ok: true, events: parsed.data };
  return { ok: false, error: `invalid webhook batch: ${formatIssues(parsed.error.issues)}` };
}

/** zod issues as one line: `[3].occurredAt: must be a number; ...`. */
export function formatIssues(issues: ReadonlyArray<{ path: ReadonlyArray<PropertyKey>; message: string }>, max = 5): string {
  const parts = issues.slice(0, max).map((i) => {
    const path = i.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('').replace(/^\./, '');
    return path ? `${path}: ${i.message}` : i.message;
  });
  const more = issues.length > max ? ` (and ${issues.length - max} more)` : '';
  return `${parts.join('; ')}${more}`;
}
