/** A HubSpot webhook event as received (validated by src/webhooks/event-schema.ts). */
export interface HubSpotEvent {
  eventId: number | string;
  subscriptionId?: number;
  portalId: number;
  appId?: number;
  occurredAt: number;
  subscriptionType: string;
  attemptNumber?: number;
  objectId?: number | string;
  objectTypeId?: string;
  changeSource?: string;
  sourceId?: string;
  changeFlag?: string;
  propertyName?: string;
  propertyValue?: string;
  primaryObjectId?: number | string;
  mergedObjectIds?: Array<number | string>;
  newObjectId?: number | string;
  associationType?: string;
  fromObjectId?: number | string;
  toObjectId?: number | string;
  associationRemoved?: boolean;
  [extra: string]: unknown;
}
