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
 * Claims events for the job `owner`. An event is this job's when nobody had it, or when this same job had it on
 * an earlier attempt that crashed before finishing (so a retried job never loses its own events). At most three
 * cache round trips whatever the batch size: one read for keys already held, one batched set-if-absent for the
 * new ones, and one read of the holders of the few a concurrent job took in between.
 */
export async function claimEvents(cache: KeyValueCache, keys: readonly string[], owner: string): Promise<boolean[]> {
  const mine = Buffer.from(owner, 'utf8');
  const held = await cache.getMany([...keys]);
  const out: boolean[] = new Array<boolean>(keys.length).fill(false);
  const seen = new Set<string>();
  const toClaim: number[] = [];
  for (const [i, key] of keys.entries()) {
    const holder = held[i];
    if (seen.has(key)) out[i] = false; // the same event twice in one delivery
    else if (holder) out[i] = holder.equals(mine);
    else toClaim.push(i);
    seen.add(key);
  }
  if (toClaim.length === 0) return out;
  const set = await cache.setManyIfAbsent(toClaim.map((i) => ({ key: keys[i]!, value: mine, ttlSeconds: DEDUPE_TTL_SECONDS })));
  const lost = toClaim.filter((_, j) => !set[j]);
  for (const [j, i] of toClaim.entries()) out[i] = set[j]!;
  if (lost.length > 0) {
    // Taken between our read and our write: ours only if it was this very job (an earlier attempt of it).
    const holders = await cache.getMany(lost.map((i) => keys[i]!));
    for (const [j, i] of lost.entries()) out[i] = holders[j]?.equals(mine) ?? false;
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
