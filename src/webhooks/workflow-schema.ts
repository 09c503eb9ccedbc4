import { createHash } from 'node:crypto';
import { z } from 'zod';
import { OBJECT_TYPE_BY_ID, OBJECT_TYPE_IDS, OBJECT_TYPES, objectTypeOfSingular, type ObjectType } from '../core/objects.ts';
import type { HubSpotEvent } from './hubspot-event.ts';
import { formatIssues } from './event-schema.ts';

/**
 * The workflow "Send a webhook" action POSTs the enrolled record's data (v2-signed), not an event. Its shape
 * varies with the workflow's object type and HubSpot's vintage (legacy contact JSON with `vid`/`portal-id`,
 * `{ objectId, objectType, properties }`, custom-action style `{ origin, object }`), so the record is found in any
 * of those places. The object type can also be given in the action's URL (`?objectType=deals`).
 *
 * The record becomes one synthetic event `<singular>.workflow`, processed by the same batch handler as webhooks.
 */
const id = z.union([z.number().int().positive(), z.string().regex(/^\d+$/)]);
const propValue = z.union([z.string(), z.number(), z.object({ value: z.union([z.string(), z.number()]) }).loose()]);

const workflowBodySchema = z.looseObject({
  portalId: id.optional(),
  'portal-id': id.optional(),
  origin: z.looseObject({ portalId: id.optional() }).optional(),
  objectId: id.optional(),
  objectType: z.string().optional(),
  object: z.looseObject({ objectId: id.optional(), objectType: z.string().optional() }).optional(),
  vid: id.optional(),
  'canonical-vid': id.optional(),
  hs_object_id: id.optional(),
  properties: z.record(z.string(), propValue.nullable()).optional(),
});

export function objectTypeFromName(name: string | undefined): ObjectType | undefined {
  if (!name) return undefined;
  const n = name.trim().toLowerCase();
  if ((OBJECT_TYPES as readonly string[]).includes(n)) return n as ObjectType;
  return OBJECT_TYPE_BY_ID[n] ?? objectTypeOfSingular(n);
}

export function parseWorkflowDelivery(
  body: unknown,
  query: { objectType?: string; portalId?: string },
  receivedAt: number,
  rawBody: Buffer,
): { ok: true; event: HubSpotEvent } | { ok: false; error: string } {
  const parsed = workflowBodySchema.safeParse(body);
  if (!parsed.success) return { ok: false, error: `invalid workflow webhook: ${formatIssues(parsed.error.issues)}` };
  const b = parsed.data;
  const propId = (() => {
    const v = b.properties?.hs_object_id;
    if (v === undefined || v === null) return undefined;
    return typeof v === 'object' ? v.value : v;
  })();
  const portalId = b.portalId ?? b['portal-id'] ?? b.origin?.portalId ?? query.portalId;
  const objectId = b.objectId ?? b.object?.objectId ?? b.hs_object_id ?? propId ?? b['canonical-vid'] ?? b.vid;
  const typeName = query.objectType ?? b.objectType ?? b.object?.objectType ?? (b.vid !== undefined || b['canonical-vid'] !== undefined ? 'contacts' : undefined);
  const objectType = objectTypeFromName(typeName);
  const problems: string[] = [];
  if (portalId === undefined || !/^\d+$/.test(String(portalId))) problems.push('no portal id (portalId, portal-id, origin.portalId or ?portalId=)');
  if (objectId === undefined || !/^\d+$/.test(String(objectId))) problems.push('no record id (objectId, object.objectId, hs_object_id or vid)');
  if (!objectType) {
    problems.push(typeName ? `unknown object type "${typeName}"` : 'no object type (objectType in the body or ?objectType= in the action URL)');
  }
  if (problems.length > 0) return { ok: false, error: `invalid workflow webhook: ${problems.join('; ')}` };
  const digest = createHash('sha256').update(rawBody).digest('hex').slice(0, 24);
  return {
    ok: true,
    event: {
      eventId: `workflow-${digest}`,
      portalId: Number(portalId),
      occurredAt: receivedAt,
      subscriptionType: 'object.workflow',
      objectTypeId: OBJECT_TYPE_IDS[objectType!],
      objectId: String(objectId),
      changeSource: 'AUTOMATION_PLATFORM',
    },
  };
}

