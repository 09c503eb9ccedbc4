import { z } from 'zod';
import type { HubSpotEvent } from './hubspot-event.ts';

/**
 * A webhook delivery: a JSON array of HubSpot events (HubSpot's webhook docs). Known fields are checked,
 * unknown ones are kept (HubSpot adds fields over time). HubSpot sends at most 100 events a request; the cap
 * here is a sanity bound, well above that, so a change on their side does not turn into lost deliveries.
 */
export const MAX_BATCH_EVENTS = 1_000;

const id = z.union([z.number().int().nonnegative(), z.string().regex(/^\d+$/, 'must be a numeric id')]);

/**
 * Field checks only: a plain object schema stays on zod's compiled fast path (a refinement or transform per event
 * made parsing a 100-event delivery ~6× slower, and it runs on the acknowledgement path). Cross-field rules and
 * normalisation follow in `parseWebhookBatch`.
 */
export const hubSpotEventSchema = z.looseObject({
  eventId: z.union([z.number().int(), z.string().min(1)], { error: 'is required (a number)' }),
  subscriptionId: z.number().int().optional(),
  portalId: z.union([z.number().int().positive('must be a positive portal id'), z.string().regex(/^[1-9]\d*$/, 'must be a positive portal id')], {
    error: 'must be a positive portal id',
  }),
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
});

export const webhookBatchSchema = z
  .array(hubSpotEventSchema, { error: 'the body must be a JSON array of HubSpot events' })
  .min(1, 'the batch is empty: expected at least one event')
  .max(MAX_BATCH_EVENTS, `a batch holds at most ${MAX_BATCH_EVENTS} events`);

/** Parses a delivery; on failure, a message naming the first few problems by path (`[3].occurredAt: ...`). */
export function parseWebhookBatch(body: unknown): { ok: true; events: HubSpotEvent[] } | { ok: false; error: string } {
  const parsed = webhookBatchSchema.safeParse(body);
  if (!parsed.success) return { ok: false, error: `invalid webhook batch: ${formatIssues(parsed.error.issues)}` };
  const events: HubSpotEvent[] = [];
  const issues: Array<{ path: PropertyKey[]; message: string }> = [];
  // Plain loops and a spread copy: object-rest destructuring compiles to a helper that cost ~6 µs an event here.
  for (let i = 0; i < parsed.data.length; i++) {
    const e = parsed.data[i]!;
    const type = e.subscriptionType ?? e.eventType;
    if (!type) {
      issues.push({ path: [i, 'subscriptionType'], message: 'is required (e.g. "contact.creation")' });
      continue;
    }
    const event = { ...e, portalId: Number(e.portalId), subscriptionType: type } as HubSpotEvent & { eventType?: string };
    delete event.eventType;
    // HubSpot sends property values as strings; normalise the odd number/boolean so dedupe keys are stable.
    if (e.propertyValue !== undefined) event.propertyValue = e.propertyValue === null ? '' : String(e.propertyValue);
    events.push(event);
  }
  if (issues.length > 0) return { ok: false, error: `invalid webhook batch: ${formatIssues(issues)}` };
  return { ok: true, events };
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
