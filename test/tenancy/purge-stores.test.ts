import { afterAll, beforeAll, expect, it } from 'vitest';
import type { KeyValueCache } from '../../src/cache/kv.ts';
import { createCache } from '../../src/cache/create-cache.ts';
import { createQueue } from '../../src/queue/create-queue.ts';
import type { JobQueue } from '../../src/queue/queue.ts';
import { portalCachePrefixes } from '../../src/runtime/portal-purge.ts';
import { describeRedis, uniqueName } from '../support/services.ts';
import { tempDir } from '../support/tmp.ts';

/**
 * The two store operations a purge adds, on the real Redis (cache keys by prefix, BullMQ jobs by portal) and on
 * the embedded SQLite ones: the portal's keys and jobs go, another portal's stay.
 */
function purgeContract(name: string, open: () => Promise<{ cache: KeyValueCache; queue: JobQueue; close: () => Promise<void> }>) {
  let s: Awaited<ReturnType<typeof open>>;
  beforeAll(async () => {
    s = await open();
  });
  afterAll(async () => s?.close());

  it(`${name}: deletes a portal's cache keys by prefix, and only those`, async () => {
    for (const portal of ['11', '111']) {
      for (const prefix of portalCachePrefixes(portal)) await s.cache.setMany([1, 2, 3].map((i) => ({ key: `${prefix}companies:${i}:life`, value: Buffer.from('x') })));
    }
    let n = 0;
    for (const prefix of portalCachePrefixes('11')) n += await s.cache.deletePrefix(prefix);
    expect(n).toBe(3 * portalCachePrefixes('11').length);
    expect(await s.cache.get(`${portalCachePrefixes('11')[0]}companies:1:life`)).toBeNull();
    // Portal 111 starts with the same digits: its keys are not under portal 11's prefixes.
    expect(await s.cache.get(`${portalCachePrefixes('111')[0]}companies:1:life`)).not.toBeNull();
  });

  it(`${name}: removes a portal's waiting, delayed and dead jobs and its webhook batches`, async () => {
    await s.queue.enqueue([
      { type: 'ingest.account', payload: { portalId: '11', accountId: '1' } },
      { type: 'ingest.account', payload: { portalId: '11', accountId: '2' }, delayMs: 3_600_000 },
      { type: 'generate.lead_score', payload: { portalId: '11', objectType: 'contacts', objectId: '3' }, delayMs: 3_600_000 },
      { type: 'webhook.batch', payload: { source: 'webhook', receivedAt: 1, events: [{ portalId: 11 }, { portalId: 11 }] } },
      { type: 'webhook.batch', payload: { source: 'webhook', receivedAt: 1, events: [{ portalId: 11 }, { portalId: 111 }] } },
      { type: 'ingest.account', payload: { portalId: '111', accountId: '1' } },
    ]);
    expect(await s.queue.removePortalJobs('11')).toBe(4);
    expect(await s.queue.removePortalJobs('11')).toBe(0);
    const stats = await s.queue.stats();
    expect(stats.total.waiting + stats.total.delayed).toBe(2);
  });
}

describeRedis('purge on Redis (cache and BullMQ)', (url) => {
  purgeContract('redis', async () => {
    const prefix = uniqueName('purge');
    const tmp = tempDir('hsai-purge-');
    const cache = await createCache({ redisUrl: url, dataDir: tmp.dir, keyPrefix: `${prefix}:` });
    const queue = await createQueue({ redisUrl: url, dataDir: tmp.dir, prefix, defaultMaxAttempts: 1 });
    return {
      cache,
      queue,
      close: async () => {
        await cache.deletePrefix('');
        await queue.close();
        await cache.close();
        tmp.cleanup();
      },
    };
  });
});

purgeContract('embedded', async () => {
  const tmp = tempDir('hsai-purge-');
  const cache = await createCache({ dataDir: tmp.dir });
  const queue = await createQueue({ dataDir: tmp.dir, defaultMaxAttempts: 1 });
  return {
    cache,
    queue,
    close: async () => {
      await queue.close();
      await cache.close();
      tmp.cleanup();
    },
  };
});
