import { OBJECT_TYPE_BY_ID, objectTypeOfSingular, type ObjectType } from '../core/objects.ts';
import type { HubSpotEvent } from '../webhooks/hubspot-event.ts';

/**
 * What an event is about, in our vocabulary: `contact.propertyChange` and `object.propertyChange` with
 * `objectTypeId: "0-1"` both become `{ objectType: 'contacts', action: 'propertyChange' }`. Events for objects we
 * do not index (line items, communications, custom objects) classify as null and are ignored.
 */
export const EVENT_ACTIONS = [
  'creation',
  'deletion',
  'merge',
  'restore',
  'propertyChange',
  'associationChange',
  'privacyDeletion',
  /** Our own: a workflow "Send a webhook" action enrolled this record (see workflow-schema.ts). */
  'workflow',
] as const;
export type EventAction = (typeof EVENT_ACTIONS)[number];

export interface ClassifiedEvent {
  portalId: string;
  objectType: ObjectType;
  objectId: string;
  action: EventAction;
}

export function classifyEvent(e: HubSpotEvent): ClassifiedEvent | null {
  const dot = e.subscriptionType.indexOf('.');
  if (dot <= 0) return null;
  const prefix = e.subscriptionType.slice(0, dot);
  const action = e.subscriptionType.slice(dot + 1) as EventAction;
  if (!(EVENT_ACTIONS as readonly string[]).includes(action)) return null;
  const objectType = prefix === 'object' ? (e.objectTypeId ? OBJECT_TYPE_BY_ID[e.objectTypeId] : undefined) : objectTypeOfSingular(prefix);
  if (!objectType) return null;
  const objectId = e.objectId ?? e.fromObjectId ?? e.primaryObjectId;
  if (objectId === undefined || objectId === '') return null;
  return { portalId: String(e.portalId), objectType, objectId: String(objectId), action };
}

/** The two sides of an association change, when both are objects we index. */
export function associationSides(e: HubSpotEvent): Array<{ objectType: ObjectType; objectId: string }> {
  const [fromName, toName] = (e.associationType ?? '').toLowerCase().split('_to_');
  // A side's name ends with its object type: CONTACT_TO_COMPANY, PARENT_COMPANY_TO_CHILD_COMPANY (a company's parent).
  const named = (name: string | undefined) => (name ? (objectTypeOfSingular(name) ?? objectTypeOfSingular(name.split('_').at(-1)!)) : undefined);
  const fromType = (typeof e.fromObjectTypeId === 'string' ? OBJECT_TYPE_BY_ID[e.fromObjectTypeId] : undefined) ?? named(fromName);
  const toType = (typeof e.toObjectTypeId === 'string' ? OBJECT_TYPE_BY_ID[e.toObjectTypeId] : undefined) ?? named(toName);
  const sides: Array<{ objectType: ObjectType; objectId: string }> = [];
  if (fromType && e.fromObjectId !== undefined) sides.push({ objectType: fromType, objectId: String(e.fromObjectId) });
  if (toType && e.toObjectId !== undefined) sides.push({ objectType: toType, objectId: String(e.toObjectId) });
  return sides;
}
