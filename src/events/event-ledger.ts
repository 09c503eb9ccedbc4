import { createHash } from 'node:crypto';
import type { KeyValueCache } from '../cache/kv.ts';
import type { HubSpotEvent } from '../webhooks/hubspot-event.ts';
import type { ClassifiedEvent } from './classify-event.ts';

/**
 * What the event processor remembers between batches, kept in the KeyValueCache: which deliveries were already
 * taken (dedupe) and, per record, the newest event processed (high-water marks, so an old event arriving late
 * never re-triggers work on a stale state).
 */
export const DEDUPE_TTL_SECONDS = 3 * 24 * 3600; // HubSpot retries a delivery for up to 24 h; keep a margin
const HWM_TTL_SECONDS = 30 * 24 * 3600;

/**
 * `eventId` alone is not guaranteed unique (HubSpot's webhook docs), so the key covers everything that identifies a change.
 * `attemptNumber` is left out on purpose: a redelivery is the same event.
 */
export function eventDedupeKey(e: HubSpotEvent): string {
  const parts = [e.portalId, e.subscriptionType, e.objectId ?? e.fromObjectId ?? '', e.occurredAt, e.propertyName ?? '', e.propertyValue ?? '', e.eventId];
  // The time prefix keeps one delivery's keys next to each other in the embedded cache's B-tree: claiming 100
  // random hashes dirtied ~127 pages a batch (each written to the WAL), time-ordered keys dirty a handful.
  const at = Math.max(0, Math.floor(e.occurredAt)).toString(36).padStart(9, '0');
  return `events:seen:${at}:${createHash('sha256').update(JSON.stringify(parts)).digest('hex').slice(0, 40)}`;
}

/**
 * High-water marks are per record and "slot": a property (a late `dealstage` change must not beat a newer one),
 * or the record's lifecycle (creation, deletion, restore, merge). Unrelated changes of one record do not shadow
 * each other, so a late `creation` still starts its lead score after a quick `propertyChange`.
 */
function hwmKey(c: ClassifiedEvent, e: HubSpotEvent): string {
  const slot = c.action === 'propertyChange' ? `p:${e.propertyName ?? ''}` : c.action === 'associationChange' ? `a:${e.toObjectId ?? ''}` : 'life';
  return `events:hwm:${c.portalId}:${c.objectType}:${c.objectId}:${slot}`;
}

/** The newest event already processed per record and slot, for these events (one cache round trip). */
export async function readHighWaterMarks(cache: KeyValueCache, items: ReadonlyArray<{ c: ClassifiedEvent; e: HubSpotEvent }>): Promise<Map<string, number>> {
  const keys = [...new Set(items.map(({ c, e }) => hwmKey(c, e)))];
  const marks = new Map<string, number>();
  if (keys.length === 0) return marks;
  const values = await cache.getMany(keys);
  for (const [i, key] of keys.entries()) {
    const v = values[i];
    if (v !== null && v !== undefined) marks.set(key, Number(v.toString('utf8')));
  }
  return marks;
}

/** Whether a newer event was already processed for this event's record and slot. */
export function isStale(marks: ReadonlyMap<string, number>, c: ClassifiedEvent, e: HubSpotEvent): boolean {
  const mark = marks.get(hwmKey(c, e));
  return mark !== undefined && mark > e.occurredAt;
}

/**
 * Claims events for the job `owner`. An event is this job's when nobody had it, or when this same job had it on
 * an earlier attempt that crashed before finishing (so a retried job never loses its own events). One cache round
 * trip when every event is new (a batched set-if-absent), two when some were taken: the holders of those are read
 * to tell a redelivery (another job holds it) from this job's own earlier attempt.
 */
export async function claimEvents(cache: KeyValueCache, keys: readonly string[], owner: string): Promise<boolean[]> {
  const mine = Buffer.from(owner, 'utf8');
  const out: boolean[] = new Array<boolean>(keys.length).fill(false);
  const seen = new Set<string>();
  const toClaim: number[] = [];
  for (const [i, key] of keys.entries()) {
    if (!seen.has(key)) toClaim.push(i); // the same event twice in one delivery counts once
    seen.add(key);
  }
  if (toClaim.length === 0) return out;
  const set = await cache.setManyIfAbsent(toClaim.map((i) => ({ key: keys[i]!, value: mine, ttlSeconds: DEDUPE_TTL_SECONDS })));
  const taken = toClaim.filter((_, j) => !set[j]);
  for (const [j, i] of toClaim.entries()) out[i] = set[j]!;
  if (taken.length > 0) {
    const holders = await cache.getMany(taken.map((i) => keys[i]!));
    for (const [j, i] of taken.entries()) out[i] = holders[j]?.equals(mine) ?? false;
  }
  return out;
}

/**
 * Raises the marks after the batch's jobs are durable. `known` are the marks this batch read
 * (`readHighWaterMarks`), so raising costs one write and no second read. Not atomic, as before: when two batches
 * about one record run at once, the older of their two times can be written last; the only effect is that an
 * event arriving late between the two is not recognised as stale and is processed once more (ingest reads the
 * record's current state, so nothing is lost or made stale by it).
 */
export async function raiseHighWaterMarks(
  cache: KeyValueCache,
  items: Array<{ c: ClassifiedEvent; e: HubSpotEvent }>,
  known: ReadonlyMap<string, number>,
): Promise<void> {
  const newest = new Map<string, number>();
  for (const { c, e } of items) {
    const k = hwmKey(c, e);
    newest.set(k, Math.max(newest.get(k) ?? 0, e.occurredAt));
  }
  const updates = [...newest]
    .filter(([key, at]) => at > (known.get(key) ?? -1))
    .map(([key, at]) => ({ key, value: Buffer.from(String(at), 'utf8'), ttlSeconds: HWM_TTL_SECONDS }));
  if (updates.length > 0) await cache.setMany(updates);
}
