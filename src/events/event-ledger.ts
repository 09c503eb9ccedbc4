import { createHash } from 'node:crypto';
import type { KeyValueCache } from '../cache/kv.ts';
import type { HubSpotEvent } from '../queue/jobs.ts';
import type { ClassifiedEvent } from './classify-event.ts';

/**
 * What the event processor remembers between batches, kept in the KeyValueCache: which deliveries were already
 * taken (dedupe) and, per record, the newest event processed (high-water marks, so an old event arriving late
 * never re-triggers work on a stale state).
 */
export const DEDUPE_TTL_SECONDS = 3 * 24 * 3600; // HubSpot retries a delivery for up to 24 h; keep a margin
const HWM_TTL_SECONDS = 30 * 24 * 3600;

/**
 * `eventId` alone is not guaranteed unique (FACTS.md), so the key covers everything that identifies a change.
 * `attemptNumber` is left out on purpose: a redelivery is the same event.
 */
export function eventDedupeKey(e: HubSpotEvent): string {
  const parts = [e.portalId, e.subscriptionType, e.objectId ?? e.fromObjectId ?? '', e.occurredAt, e.propertyName ?? '', e.propertyValue ?? '', e.eventId];
  return `events:seen:${createHash('sha256').update(JSON.stringify(parts)).digest('hex').slice(0, 40)}`;
}

/**
 * Claims an event for the job `owner`. True when this job should process it: nobody had it, or this same job had
 * it on an earlier attempt that crashed before finishing (so a retried job never loses its own events).
 */
export async function claimEvent(cache: KeyValueCache, key: string, owner: string): Promise<boolean> {
  const mine = Buffer.from(owner, 'utf8');
  if (await cache.setIfAbsent(key, mine, DEDUPE_TTL_SECONDS)) return true;
  const holder = await cache.get(key);
  return holder !== null && holder.equals(mine);
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

/** For each event, whether a newer one was already processed for its record and slot (one cache round trip). */
export async function staleFlags(cache: KeyValueCache, items: ReadonlyArray<{ c: ClassifiedEvent; e: HubSpotEvent }>): Promise<boolean[]> {
  if (items.length === 0) return [];
  const marks = await cache.getMany(items.map(({ c, e }) => hwmKey(c, e)));
  return items.map(({ e }, i) => {
    const v = marks[i];
    return v !== null && v !== undefined && Number(v.toString('utf8')) > e.occurredAt;
  });
}

/**
 * Claims many events for `owner` (see `claimEvent`). Keys already held are found with one read; only new keys
 * pay for an atomic `setIfAbsent` each.
 */
export async function claimEvents(cache: KeyValueCache, keys: readonly string[], owner: string, yieldEvery = 16): Promise<boolean[]> {
  const mine = Buffer.from(owner, 'utf8');
  const held = await cache.getMany([...keys]);
  const out: boolean[] = [];
  const seen = new Set<string>();
  for (const [i, key] of keys.entries()) {
    const holder = held[i];
    if (seen.has(key)) out.push(false); // the same event twice in one delivery
    else if (holder) out.push(holder.equals(mine));
    else out.push(await claimEvent(cache, key, owner));
    seen.add(key);
    // An embedded cache answers synchronously: give the event loop to HTTP acknowledgements now and then.
    if (i % yieldEvery === yieldEvery - 1) await new Promise((r) => setImmediate(r));
  }
  return out;
}

/** Raises the marks after the batch's jobs are durable; never lowers them. */
export async function raiseHighWaterMarks(cache: KeyValueCache, items: Array<{ c: ClassifiedEvent; e: HubSpotEvent }>): Promise<void> {
  const newest = new Map<string, number>();
  for (const { c, e } of items) {
    const k = hwmKey(c, e);
    newest.set(k, Math.max(newest.get(k) ?? 0, e.occurredAt));
  }
  const keys = [...newest.keys()];
  if (keys.length === 0) return;
  const current = await cache.getMany(keys);
  const updates = keys
    .map((key, i) => ({ key, at: newest.get(key)!, cur: current[i] ? Number(current[i].toString('utf8')) : -1 }))
    .filter((u) => u.at > u.cur)
    .map((u) => ({ key: u.key, value: Buffer.from(String(u.at), 'utf8'), ttlSeconds: HWM_TTL_SECONDS }));
  if (updates.length > 0) await cache.setMany(updates);
}
