import { afterEach, beforeEach, expect, it } from 'vitest';
import { createRedisKv, type RedisKv } from '../../src/cache/redis-kv.ts';
import type { KeyValueCache } from '../../src/cache/kv.ts';
import { processBatch } from '../../src/events/process-batch.ts';
import { createQueue } from '../../src/queue/create-queue.ts';
import type { WebhookBatchPayload } from '../../src/queue/jobs.ts';
import type { JobQueue, JobSpec } from '../../src/queue/queue.ts';
import type { HubSpotEvent } from '../../src/webhooks/hubspot-event.ts';
import { describeRedis, uniqueName } from '../support/services.ts';

/**
 * The `webhook.batch` job on the production backends (BullMQ and the Redis cache): a delivery costs a fixed
 * number of calls whatever its size, sent together where they do not depend on each other, and derives one ingest
 * job per record. `bench/webhook-batch.ts` measures what that is worth.
 */

/** Passes every call to the real cache and notes which calls were made and how many were in flight at once. */
class ObservedCache implements KeyValueCache {
  readonly kind = 'redis' as const;
  calls: string[] = [];
  inFlight = 0;
  maxInFlight = 0;
  constructor(private readonly inner: RedisKv) {}
  private async track<T>(name: string, run: () => Promise<T>): Promise<T> {
    this.calls.push(name);
    this.maxInFlight = Math.max(this.maxInFlight, ++this.inFlight);
    try {
      return await run();
    } finally {
      this.inFlight--;
    }
  }
  get = (key: string) => this.track('get', () => this.inner.get(key));
  getMany = (keys: string[]) => this.track('getMany', () => this.inner.getMany(keys));
  set = (key: string, value: Buffer, ttl?: number) => this.track('set', () => this.inner.set(key, value, ttl));
  setMany = (entries: Array<{ key: string; value: Buffer; ttlSeconds?: number }>) => this.track('setMany', () => this.inner.setMany(entries));
  setIfAbsent = (key: string, value: Buffer, ttl?: number) => this.track('setIfAbsent', () => this.inner.setIfAbsent(key, value, ttl));
  setManyIfAbsent = (entries: Array<{ key: string; value: Buffer; ttlSeconds?: number }>) => this.track('setManyIfAbsent', () => this.inner.setManyIfAbsent(entries));
  delete = (key: string) => this.track('delete', () => this.inner.delete(key));
  deletePrefix = (prefix: string) => this.track('deletePrefix', () => this.inner.deletePrefix(prefix));
  deleteMatching = (patterns: readonly string[]) => this.track('deleteMatching', () => this.inner.deleteMatching(patterns));
  ping = () => this.inner.ping();
  close = () => this.inner.close();
}

describeRedis('webhook.batch processing on Redis', (url) => {
  let queue: JobQueue;
  let redisCache: RedisKv;
  let cache: ObservedCache;
  let enqueued: JobSpec[][];
  beforeEach(async () => {
    const prefix = uniqueName('pb');
    const bull = await createQueue({ redisUrl: url, dataDir: '/nonexistent', prefix, defaultMaxAttempts: 3 });
    enqueued = [];
    // The real queue; the calls made to it are noted on the way.
    queue = Object.assign(Object.create(bull) as JobQueue, {
      enqueue: (jobs: JobSpec[]) => {
        enqueued.push(jobs);
        return bull.enqueue(jobs);
      },
      close: () => bull.close(),
    });
    redisCache = await createRedisKv({ url, keyPrefix: `${prefix}:` });
    cache = new ObservedCache(redisCache);
  });
  afterEach(async () => {
    await queue.close();
    await redisCache.close();
  });

  let eventId = 1;
  /** `n` property changes spread over `records` contacts, like a busy portal's delivery. */
  const delivery = (n: number, records: number): WebhookBatchPayload => ({
    source: 'webhook',
    receivedAt: Date.now(),
    events: Array.from({ length: n }, (_, i): HubSpotEvent => {
      const id = eventId++;
      return {
        eventId: id,
        portalId: 62515,
        occurredAt: 1_736_942_400_000 + id,
        subscriptionType: 'contact.propertyChange',
        objectId: 5000 + (i % records),
        propertyName: 'jobtitle',
        propertyValue: `title ${id}`,
        changeSource: 'CRM_UI',
        attemptNumber: 0,
      };
    }),
  });

  it('costs the same calls for 10 events as for 100, the reads and claims sent together and one enqueue', async () => {
    for (const n of [10, 100]) {
      cache.calls = [];
      cache.maxInFlight = 0;
      enqueued = [];
      const out = await processBatch({ queue, cache, coalesceMs: 60_000 }, delivery(n, 54), `webhook.batch-${n}`);
      expect(out.processed).toBe(n);
      // Claims (set-if-absent), high-water marks and echo marks in flight together; then the marks raised.
      expect(cache.calls.slice(0, 3).sort()).toEqual(['getMany', 'getMany', 'setManyIfAbsent']);
      expect(cache.calls.slice(3)).toEqual(['setMany']);
      expect(cache.maxInFlight).toBe(3);
      expect(enqueued).toHaveLength(1);
    }
  });

  it('derives one ingest job per record of a delivery, kept once by the queue across deliveries; a redelivery derives none', async () => {
    const deps = { queue, cache, coalesceMs: 60_000 };
    const first = delivery(100, 54);
    expect(await processBatch(deps, first, 'webhook.batch-1')).toMatchObject({ processed: 100, duplicate: 0, jobs: 54 });
    expect(enqueued[0]!.every((s) => s.type === 'ingest.record')).toBe(true);
    expect(new Set(enqueued[0]!.map((s) => s.key)).size).toBe(54);
    expect((await queue.stats())['ingest.record'].delayed).toBe(54);

    // HubSpot delivers the same events again (a retry after a timeout): all duplicates, nothing enqueued.
    const again = { ...first, events: first.events.map((e) => ({ ...e, attemptNumber: 1 })) };
    cache.calls = [];
    expect(await processBatch(deps, again, 'webhook.batch-2')).toMatchObject({ processed: 0, duplicate: 100, jobs: 0 });
    // Claims refused, so their holders are read once (another job's, not this one's earlier attempt); nothing raised.
    expect(cache.calls.sort()).toEqual(['getMany', 'getMany', 'getMany', 'setManyIfAbsent']);

    // New changes of the same records while their ingest waits: the queue keeps the one job per record.
    expect(await processBatch(deps, delivery(100, 54), 'webhook.batch-3')).toMatchObject({ processed: 100, jobs: 54 });
    expect((await queue.stats())['ingest.record'].delayed).toBe(54);
  });

  it('takes its own events again when the same job runs after a crash, and no other job does', async () => {
    const deps = { queue, cache, coalesceMs: 60_000 };
    const b = delivery(5, 5);
    expect(await processBatch(deps, b, 'webhook.batch-7')).toMatchObject({ processed: 5 });
    expect(await processBatch(deps, b, 'webhook.batch-7')).toMatchObject({ processed: 5, duplicate: 0 });
    expect(await processBatch(deps, b, 'webhook.batch-8')).toMatchObject({ processed: 0, duplicate: 5 });
  });
});
