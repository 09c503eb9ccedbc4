import { createHash } from 'node:crypto';
import type { KeyValueCache } from '../cache/kv.ts';
import type { ObjectType } from '../core/objects.ts';
import { canonicalValue } from '../core/property-value.ts';
import type { HubSpotEvent } from '../webhooks/hubspot-event.ts';
import type { ClassifiedEvent } from './classify-event.ts';

/**
 * Echo suppression: HubSpot sends our own writes back as webhooks, and they must not start generation again
 * (an AI summary written to a deal would otherwise re-trigger the summary forever). Two signals:
 *   1. HubSpot's attribution: `changeSource` INTEGRATION/API with `sourceId` naming our app (HUBSPOT_APP_ID);
 *   2. what we wrote ourselves: the write-back module calls `recordOwnWrite` just before each write, so the echo
 *      is recognised even when attribution is missing (private apps, sandbox, older portals).
 */
export const OWN_WRITE_TTL_SECONDS = 6 * 3600; // webhooks retry for hours; an echo can arrive that late
const MAX_VALUES_PER_PROPERTY = 8;

export interface OwnWrite {
  portalId: string | number;
  objectType: ObjectType;
  objectId: string | number;
  /** The property written; omit for a record the product created (a note, a task): every event on it is ours. */
  property?: string;
  value?: string | null;
}

function ownWriteKey(w: { portalId: string | number; objectType: ObjectType; objectId: string | number; property?: string }): string {
  return `events:own:${w.portalId}:${w.objectType}:${w.objectId}:${w.property ?? '*'}`;
}

function hash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}

function valueHash(value: string | null | undefined): string {
  return hash(canonicalValue(value));
}

/**
 * Also marks the record as "touched by us": the creation (and association) events of a note or task the product
 * created are ours even though they name no property. A later human change of another property is not.
 */
const touchedKey = (w: { portalId: string | number; objectType: ObjectType; objectId: string | number }) => ownWriteKey({ ...w, property: '~touched' });

/** Remembers a write the product is about to make, so its webhook echo is recognised. */
export async function recordOwnWrite(cache: KeyValueCache, write: OwnWrite): Promise<void> {
  const key = ownWriteKey(write);
  const existing = await cache.get(key);
  const hashes = existing ? (JSON.parse(existing.toString('utf8')) as string[]) : [];
  const h = write.property === undefined ? '*' : valueHash(write.value);
  const next = [h, ...hashes.filter((x) => x !== h)].slice(0, MAX_VALUES_PER_PROPERTY);
  await cache.setMany([
    { key, value: Buffer.from(JSON.stringify(next), 'utf8'), ttlSeconds: OWN_WRITE_TTL_SECONDS },
    { key: touchedKey(write), value: Buffer.from('1'), ttlSeconds: OWN_WRITE_TTL_SECONDS },
  ]);
}

function attributedToUs(e: HubSpotEvent, appId: string | undefined): boolean {
  if (!appId || !e.sourceId) return false;
  const source = (e.changeSource ?? '').toUpperCase();
  if (source !== 'INTEGRATION' && source !== 'API') return false;
  // sourceId comes as "123456" or "app:123456"/"appId:123456" depending on the event family.
  const id = e.sourceId.includes(':') ? e.sourceId.slice(e.sourceId.lastIndexOf(':') + 1) : e.sourceId;
  return id.trim() === appId.trim();
}

export async function isEcho(cache: KeyValueCache, c: ClassifiedEvent, e: HubSpotEvent, appId: string | undefined): Promise<boolean> {
  return (await echoFlags(cache, [{ c, e }], appId))[0] === true;
}

/** For each event, whether it is the echo of our own write (one cache round trip for the whole batch). */
export async function echoFlags(cache: KeyValueCache, items: ReadonlyArray<{ c: ClassifiedEvent; e: HubSpotEvent }>, appId: string | undefined): Promise<boolean[]> {
  if (items.length === 0) return [];
  const keys = items.flatMap(({ c, e }) => {
    const base = { portalId: c.portalId, objectType: c.objectType, objectId: c.objectId };
    const propertyEvent = c.action === 'propertyChange' && e.propertyName !== undefined;
    return [ownWriteKey(base), propertyEvent ? ownWriteKey({ ...base, property: e.propertyName }) : touchedKey(base)];
  });
  const values = await cache.getMany(keys);
  return items.map(({ c, e }, i) => {
    if (attributedToUs(e, appId)) return true;
    const record = values[2 * i];
    const second = values[2 * i + 1];
    if (record) return true;
    if (!second) return false;
    if (!(c.action === 'propertyChange' && e.propertyName !== undefined)) return c.action === 'creation' || c.action === 'associationChange';
    const ours = JSON.parse(second.toString('utf8')) as string[];
    // The raw hash too: what a version before canonical hashing recorded (within OWN_WRITE_TTL_SECONDS of an upgrade).
    return ours.includes(valueHash(e.propertyValue)) || ours.includes(hash(e.propertyValue ?? ''));
  });
}
