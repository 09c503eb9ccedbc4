import { Client } from '@hubspot/api-client';
import type { HubSpotObject, PropertyHistoryEntry } from '../core/objects.ts';
import { exchangeMiddleware } from './request-context.ts';

/**
 * The `@hubspot/api-client` objects one gateway uses. Built so that the SDK neither limits nor retries: the
 * gateway does both (its `numberOfApiCallRetries` ignores Retry-After). The SDK keeps its decorators in a process-wide singleton that every `new Client`
 * overwrites and that each API object captures when first touched, so we touch every API we use right here,
 * in the same tick as our own `new Client(...)` (which installs no decorators): a Client built later elsewhere
 * in the process cannot add retries or a limiter to ours. (`apiRequest` reads the singleton per call; we only
 * use it for account info.)
 */
export function createSdk(baseUrl: string, accessToken: string | undefined) {
  // Without a fixed token (OAuth) the SDK sends none; our middleware adds each attempt's (request-context.ts).
  const client = new Client({
    ...(accessToken !== undefined ? { accessToken } : {}),
    basePath: baseUrl,
    numberOfApiCallRetries: 0,
  });
  return {
    client,
    objects: client.crm.objects,
    associations: client.crm.associations.v4.batchApi,
    properties: client.crm.properties.coreApi,
    propertyGroups: client.crm.properties.groupsApi,
    owners: client.crm.owners.ownersApi,
    pipelines: client.crm.pipelines.pipelinesApi,
    actionCallbacks: client.automation.actions.callbacksApi,
  };
}

export type Sdk = ReturnType<typeof createSdk>;

/** Per-call options for every typed SDK call: runs our middleware after the SDK's own (see request-context.ts). */
export const callOptions = { middleware: [exchangeMiddleware], middlewareMergeStrategy: 'append' as const };

/** The SDK's object shape after deserialization (dates become Date, values may be numbers on the wire). */
interface SdkObject {
  id: string | number;
  properties: Record<string, string | null | undefined>;
  createdAt?: Date | string;
  updatedAt?: Date | string;
  archived?: boolean;
  propertiesWithHistory?: Record<string, Array<{ value: string; timestamp: Date | string; sourceType: string; sourceId?: string; updatedByUserId?: number }>>;
}

function isoOf(d: Date | string | undefined): string | undefined {
  if (d === undefined) return undefined;
  const date = d instanceof Date ? d : new Date(d);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

/** SDK object → our HubSpotObject (ISO date strings, string ids, null for missing values). */
export function toHubSpotObject(o: SdkObject): HubSpotObject {
  const properties: Record<string, string | null> = {};
  for (const [k, v] of Object.entries(o.properties ?? {})) properties[k] = v === undefined || v === null ? null : String(v);
  const out: HubSpotObject = { id: String(o.id), properties };
  const createdAt = isoOf(o.createdAt);
  const updatedAt = isoOf(o.updatedAt);
  if (createdAt) out.createdAt = createdAt;
  if (updatedAt) out.updatedAt = updatedAt;
  if (o.archived !== undefined) out.archived = o.archived;
  if (o.propertiesWithHistory) {
    const history: Record<string, PropertyHistoryEntry[]> = {};
    for (const [k, entries] of Object.entries(o.propertiesWithHistory)) {
      history[k] = entries.map((e) => ({
        value: e.value,
        timestamp: isoOf(e.timestamp) ?? String(e.timestamp),
        sourceType: e.sourceType,
        ...(e.sourceId !== undefined ? { sourceId: e.sourceId } : {}),
        ...(e.updatedByUserId !== undefined ? { updatedByUserId: e.updatedByUserId } : {}),
      }));
    }
    out.propertiesWithHistory = history;
  }
  return out;
}
