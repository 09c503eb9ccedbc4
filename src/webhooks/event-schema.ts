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

/**
 * Parses a delivery; on failure, a message naming the first few problems by path (`[3].occurredAt: ...`).
 *
 * This runs on the acknowledgement path, so a well-formed delivery is checked by `isWellFormedEvent` (the same
 * field rules as `hubSpotEventSchema`, written out) and normalised in place: the objects JSON.parse just made
 * are ours, and zod's parse would copy each of them (about 300 KB of garbage per 100-event delivery, which kept
 * the API's young generation busy and promoted request data into the old one). Anything the check does not
 * accept goes through the zod schema, so bad input gets exactly the errors it always got; the check may be
 * stricter than the schema (then zod decides), never looser (test/webhooks/event-schema.test.ts).
 */
export function parseWebhookBatch(body: unknown): { ok: true; events: HubSpotEvent[] } | { ok: false; error: string } {
  if (!Array.isArray(body) || body.length === 0 || body.length > MAX_BATCH_EVENTS) return parseWithSchema(body);
  for (let i = 0; i < body.length; i++) {
    if (!isWellFormedEvent(body[i])) return parseWithSchema(body);
  }
  return normalise(body as SchemaEvent[]);
}

/** The reference path: zod's parse (a copy of each event), then the same normalisation. */
export function parseWithSchema(body: unknown): { ok: true; events: HubSpotEvent[] } | { ok: false; error: string } {
  const parsed = webhookBatchSchema.safeParse(body);
  if (!parsed.success) return { ok: false, error: `invalid webhook batch: ${formatIssues(parsed.error.issues)}` };
  return normalise(parsed.data);
}

type SchemaEvent = z.infer<typeof hubSpotEventSchema>;

/**
 * Cross-field rules and normalisation, in place on events the schema (or `isWellFormedEvent`) accepted: the
 * subscription type (or its older alias) is required, portalId becomes a number, property values strings.
 */
function normalise(events: SchemaEvent[]): { ok: true; events: HubSpotEvent[] } | { ok: false; error: string } {
  const issues: Array<{ path: PropertyKey[]; message: string }> = [];
  for (let i = 0; i < events.length; i++) {
    const e = events[i]!;
    const type = e.subscriptionType ?? e.eventType;
    if (!type) issues.push({ path: [i, 'subscriptionType'], message: 'is required (e.g. "contact.creation")' });
  }
  if (issues.length > 0) return { ok: false, error: `invalid webhook batch: ${formatIssues(issues)}` };
  for (let i = 0; i < events.length; i++) {
    const e = events[i]! as SchemaEvent & { subscriptionType: string };
    e.subscriptionType = (e.subscriptionType ?? e.eventType)!;
    if (typeof e.portalId !== 'number') e.portalId = Number(e.portalId);
    // A `delete` turns the object into a slow dictionary: only when the alias is actually there.
    if ('eventType' in e) delete e.eventType;
    // HubSpot sends property values as strings; normalise the odd number/boolean so dedupe keys are stable.
    if (e.propertyValue !== undefined && typeof e.propertyValue !== 'string') e.propertyValue = e.propertyValue === null ? '' : String(e.propertyValue);
  }
  return { ok: true, events: events as HubSpotEvent[] };
}

const NUMERIC_ID = /^\d+$/;
const PORTAL_ID = /^[1-9]\d*$/;
const OBJECT_TYPE_ID = /^\d+-\d+$/;

const isInt = (v: unknown): v is number => Number.isSafeInteger(v);
const isId = (v: unknown): boolean => (typeof v === 'number' ? Number.isSafeInteger(v) && v >= 0 : typeof v === 'string' && NUMERIC_ID.test(v));
const optString = (v: unknown): boolean => v === undefined || typeof v === 'string';
const optId = (v: unknown): boolean => v === undefined || isId(v);
const optInt = (v: unknown): boolean => v === undefined || isInt(v);
const optBool = (v: unknown): boolean => v === undefined || typeof v === 'boolean';

/**
 * True only for an event `hubSpotEventSchema` accepts: the schema's field rules, without building a copy. Keep the
 * two in step; the equivalence test feeds both the same generated events.
 */
export function isWellFormedEvent(e: unknown): boolean {
  if (typeof e !== 'object' || e === null || Array.isArray(e)) return false;
  const o = e as Record<string, unknown>;
  const { eventId, portalId, occurredAt, subscriptionType, eventType, attemptNumber, objectTypeId, propertyValue, mergedObjectIds } = o;
  if (!(isInt(eventId) || (typeof eventId === 'string' && eventId.length > 0))) return false;
  if (!(typeof portalId === 'number' ? isInt(portalId) && portalId > 0 : typeof portalId === 'string' && PORTAL_ID.test(portalId))) return false;
  if (!(isInt(occurredAt) && occurredAt >= 0)) return false;
  if (!(subscriptionType === undefined || (typeof subscriptionType === 'string' && subscriptionType.length > 0))) return false;
  if (!(eventType === undefined || (typeof eventType === 'string' && eventType.length > 0))) return false;
  if (!(attemptNumber === undefined || (isInt(attemptNumber) && attemptNumber >= 0))) return false;
  if (!(objectTypeId === undefined || (typeof objectTypeId === 'string' && OBJECT_TYPE_ID.test(objectTypeId)))) return false;
  if (!(propertyValue === undefined || propertyValue === null || typeof propertyValue === 'string' || typeof propertyValue === 'boolean' || (typeof propertyValue === 'number' && Number.isFinite(propertyValue)))) return false;
  if (!(mergedObjectIds === undefined || (Array.isArray(mergedObjectIds) && mergedObjectIds.every(isId)))) return false;
  return (
    optInt(o.subscriptionId) &&
    optInt(o.appId) &&
    optId(o.objectId) &&
    optId(o.primaryObjectId) &&
    optId(o.newObjectId) &&
    optId(o.fromObjectId) &&
    optId(o.toObjectId) &&
    optString(o.changeSource) &&
    optString(o.sourceId) &&
    optString(o.changeFlag) &&
    optString(o.propertyName) &&
    optString(o.associationType) &&
    optBool(o.associationRemoved) &&
    optBool(o.isPrimaryAssociation)
  );
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
