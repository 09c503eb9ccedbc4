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
 * A note or task the product creates has no id until HubSpot answers, and HubSpot may deliver the new record's
 * webhook before that answer. So the writer records the create first (no id: `creating`), and again with the id
 * once it has it. An event on a note or task that is not known as ours while a create of that type is in flight
 * is `maybe` ours: its generations ride on its ingest job marked `unlessProductOutput`, and the ingest job, which
 * reads the engagement anyway, drops them when it carries the product's marker (core/product-output.ts). A
 * person's note made meanwhile still starts its rules.
 */
export const OWN_WRITE_TTL_SECONDS = 6 * 3600; // webhooks retry for hours; an echo can arrive that late
/**
 * How long a create stays "in flight" for its type in the portal at most: longer than the writer's create can
 * take (three tries, each up to the gateway's timeout, with backoff). Each create holds a slot of its own
 * (`CREATE_SLOTS` per type, so concurrent creates never clear each other's) and gives it back when HubSpot has
 * answered with the id, or refused the create: only then is a person's note on that type again plainly theirs.
 * A create whose fate is unknown (a 5xx or timeout on its last try: it may have landed) keeps its slot until this
 * expires. More creates in flight than slots share one key that is never given back (it only expires).
 */
export const CREATE_IN_FLIGHT_SECONDS = 300;
export const CREATE_SLOTS = 8;
const MAX_VALUES_PER_PROPERTY = 8;

/** The record types the product creates (AI notes and tasks, owner tasks). */
const CREATED_TYPES = new Set<ObjectType>(['notes', 'tasks']);

export interface OwnWrite {
  portalId: string | number;
  objectType: ObjectType;
  /** Omit for a create HubSpot has not answered yet (the record has no id): see `CREATE_IN_FLIGHT_SECONDS`. */
  objectId?: string | number;
  /** The property written; omit for a record the product created (a note, a task): every event on it is ours. */
  property?: string;
  value?: string | null;
  /**
   * The property's HubSpot type: the echo carries HubSpot's form of the value (`1000.5` for our `1000.50`, epoch
   * milliseconds for our ISO instant, a multi-select's options in its order), recognised as ours for this type
   * (core/property-value.ts). Without it only the exact value is.
   */
  type?: string;
  /**
   * A create in flight (`objectId` omitted): its token, so that it can give its window back; with `createDone`,
   * the create has an answer (the id, given too, or a refusal) and its window closes.
   */
  createToken?: string;
  createDone?: boolean;
}

function ownWriteKey(w: { portalId: string | number; objectType: ObjectType; objectId: string | number; property?: string }): string {
  return `events:own:${w.portalId}:${w.objectType}:${w.objectId}:${w.property ?? '*'}`;
}

function hash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}

function valueHash(value: string | null | undefined, type: string | undefined): string {
  return hash(canonicalValue(value, type));
}

/** What the cache holds per written property: the type its values were hashed for, and the last few values. */
interface OwnValues {
  type?: string;
  values: string[];
}

/**
 * A version before the type was recorded stored a bare array of hashes of the value read by its shape (an
 * instant, a number, a boolean, else as written): within OWN_WRITE_TTL_SECONDS of an upgrade, those still count.
 */
const SHAPE_FORMS = [undefined, 'datetime', 'number', 'bool'] as const;

function readOwnValues(stored: Buffer): OwnValues | string[] {
  return JSON.parse(stored.toString('utf8')) as OwnValues | string[];
}

/**
 * Also marks the record as "touched by us": the creation (and association) events of a note or task the product
 * created are ours even though they name no property. A later human change of another property is not.
 */
const touchedKey = (w: { portalId: string | number; objectType: ObjectType; objectId: string | number }) => ownWriteKey({ ...w, property: '~touched' });

const creatingKey = (w: { portalId: string | number; objectType: ObjectType }) => `events:own:${w.portalId}:${w.objectType}:~creating`;
const slotsOf = (key: string) => Array.from({ length: CREATE_SLOTS }, (_, n) => `${key}:${n}`);
const creatingSlots = (w: { portalId: string | number; objectType: ObjectType }) => slotsOf(creatingKey(w));

/** Remembers a write the product is about to make, so its webhook echo is recognised. */
export async function recordOwnWrite(cache: KeyValueCache, write: OwnWrite): Promise<void> {
  if (write.createDone && write.createToken) {
    const slots = creatingSlots(write);
    const held = await cache.getMany(slots);
    for (const [i, v] of held.entries()) if (v?.toString('utf8') === write.createToken) await cache.delete(slots[i]!);
    if (write.objectId === undefined) return;
  } else if (write.objectId === undefined) {
    if (write.createToken) {
      for (const slot of creatingSlots(write)) if (await cache.setIfAbsent(slot, Buffer.from(write.createToken), CREATE_IN_FLIGHT_SECONDS)) return;
    }
    await cache.set(creatingKey(write), Buffer.from(String(Date.now())), CREATE_IN_FLIGHT_SECONDS);
    return;
  }
  const known = { ...write, objectId: write.objectId };
  const key = ownWriteKey(known);
  const existing = await cache.get(key);
  const before = existing ? readOwnValues(existing) : undefined;
  // Values hashed for another type (or by shape, before types were recorded) cannot be compared with new ones.
  const hashes = before && !Array.isArray(before) && before.type === write.type ? before.values : [];
  const h = write.property === undefined ? '*' : valueHash(write.value, write.type);
  const next: OwnValues = { ...(write.type === undefined ? {} : { type: write.type }), values: [h, ...hashes.filter((x) => x !== h)].slice(0, MAX_VALUES_PER_PROPERTY) };
  await cache.setMany([
    { key, value: Buffer.from(JSON.stringify(next), 'utf8'), ttlSeconds: OWN_WRITE_TTL_SECONDS },
    { key: touchedKey(known), value: Buffer.from('1'), ttlSeconds: OWN_WRITE_TTL_SECONDS },
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
  return (await echoStates(cache, items, appId)).map((s) => s === 'ours');
}

/**
 * `ours`: the echo of our own write; `maybe`: an event on a note or task while the product is creating one of that
 * type whose id HubSpot has not answered yet (its ingest decides, by the record's marker); `theirs`: anything else.
 * One cache round trip for the whole batch.
 */
export async function echoStates(cache: KeyValueCache, items: ReadonlyArray<{ c: ClassifiedEvent; e: HubSpotEvent }>, appId: string | undefined): Promise<Array<'ours' | 'maybe' | 'theirs'>> {
  if (items.length === 0) return [];
  const keys = items.flatMap(({ c, e }) => {
    const base = { portalId: c.portalId, objectType: c.objectType, objectId: c.objectId };
    const propertyEvent = c.action === 'propertyChange' && e.propertyName !== undefined;
    return [ownWriteKey(base), propertyEvent ? ownWriteKey({ ...base, property: e.propertyName }) : touchedKey(base)];
  });
  const creating = [...new Set(items.filter(({ c }) => CREATED_TYPES.has(c.objectType)).map(({ c }) => creatingKey(c)))];
  const windows = creating.flatMap((key) => [key, ...slotsOf(key)]);
  const values = await cache.getMany([...keys, ...windows]);
  const inFlight = new Set(creating.filter((_, i) => values.slice(keys.length + i * (CREATE_SLOTS + 1), keys.length + (i + 1) * (CREATE_SLOTS + 1)).some((v) => v)));
  return items.map(({ c, e }, i) => {
    if (ours(c, e, values[2 * i] ?? null, values[2 * i + 1] ?? null, appId)) return 'ours';
    return inFlight.has(creatingKey(c)) ? 'maybe' : 'theirs';
  });
}

function ours(c: ClassifiedEvent, e: HubSpotEvent, record: Buffer | null, second: Buffer | null, appId: string | undefined): boolean {
  if (attributedToUs(e, appId)) return true;
  if (record) return true;
  if (!second) return false;
  if (!(c.action === 'propertyChange' && e.propertyName !== undefined)) return c.action === 'creation' || c.action === 'associationChange';
  const own = readOwnValues(second);
  if (Array.isArray(own)) return SHAPE_FORMS.some((type) => own.includes(valueHash(e.propertyValue, type)));
  return own.values.includes(valueHash(e.propertyValue, own.type));
}
