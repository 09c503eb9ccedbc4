import type { ObjectType } from './object-types.ts';
import { ENGAGEMENT_TYPES, OBJECT_TYPE_IDS, SINGULAR } from './object-types.ts';
import { associationLabel } from './association-types.ts';
import type { ChangeEvent } from './store.ts';

/** Maps store changes to HubSpot webhook events (the v3 payload fields). */

export type WebhookEvent = Record<string, unknown> & { eventId: number; attemptNumber: number; subscriptionType: string };

const ENGAGEMENT = new Set<ObjectType>(ENGAGEMENT_TYPES);

const SUBSCRIPTION_KINDS = ['creation', 'propertyChange', 'deletion', 'merge', 'associationChange'] as const;

/** A stable subscription id per subscription type, as an app's settings would have. */
function subscriptionId(subscriptionType: string): number {
  const [obj = '', kind = ''] = subscriptionType.split('.');
  const objIndex = ['contact', 'company', 'deal', 'ticket', 'object'].indexOf(obj);
  return 4_000_000 + objIndex * 10 + SUBSCRIPTION_KINDS.indexOf(kind as (typeof SUBSCRIPTION_KINDS)[number]);
}

export function toWebhookEvents(e: ChangeEvent, ids: { portalId: number; appId: number; nextEventId: () => number }): WebhookEvent[] {
  const engagement = ENGAGEMENT.has(e.type);
  // HubSpot has no merge or association events for engagements (generic `object.*` covers create/change/delete).
  if (engagement && (e.kind === 'merge' || e.kind === 'associationChange')) return [];
  const subscriptionType = `${engagement ? 'object' : SINGULAR[e.type]}.${e.kind}`;
  const base = (objectId: string): WebhookEvent => ({
    eventId: ids.nextEventId(),
    subscriptionId: subscriptionId(subscriptionType),
    portalId: ids.portalId,
    appId: ids.appId,
    occurredAt: e.at,
    subscriptionType,
    attemptNumber: 0,
    objectId: Number(objectId),
    changeSource: e.actor.sourceType,
    sourceId: e.actor.sourceId,
    ...(engagement ? { objectTypeId: OBJECT_TYPE_IDS[e.type] } : {}),
  });
  switch (e.kind) {
    case 'creation':
      return [{ ...base(e.id), changeFlag: 'CREATED' }];
    case 'deletion':
      return [{ ...base(e.id), changeFlag: 'DELETED' }];
    case 'propertyChange':
      return [{ ...base(e.id), propertyName: e.propertyName, propertyValue: e.propertyValue }];
    case 'merge':
      return [{ ...base(e.primaryId), changeFlag: 'MERGED', primaryObjectId: Number(e.primaryId), mergedObjectIds: e.mergedIds.map(Number), newObjectId: Number(e.primaryId), numberOfPropertiesMoved: e.propertiesMoved }];
    case 'associationChange':
      return [{
        ...base(e.id),
        associationType: associationLabel(SINGULAR[e.type], SINGULAR[e.toType]),
        fromObjectId: Number(e.id),
        toObjectId: Number(e.toId),
        associationRemoved: e.removed,
        isPrimaryAssociation: false,
      }];
  }
}
