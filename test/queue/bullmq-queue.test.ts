import { Redis } from 'ioredis';
import { expect, it } from 'vitest';
import { describeRedis, uniqueName } from '../support/services.ts';
import { createQueue } from '../../src/queue/create-queue.ts';
import { queueContract, waitFor } from './queue.contract.ts';
import { ContainerMetrics } from '../../src/metrics.ts';

describeRedis('BullMQ queue', (redisUrl) => {
  queueContract(
    (prefix, opts) => createQueue({ redisUrl, dataDir: '/nonexistent', prefix, defaultMaxAttempts: opts?.maxAttempts ?? 3, backoffBaseMs: 10 }),
    () => uniqueName('q'),
  );

  it("keeps each portal's pending set to its unfinished jobs: finished and purged jobs leave it", async () => {
    const prefix = uniqueName('fair');
    const q = await createQueue({ redisUrl, dataDir: '/nonexistent', prefix, defaultMaxAttempts: 1, backoffBaseMs: 10 });
    const redis = new Redis(redisUrl);
    try {
      const pending = (portal: string) => redis.scard(`${prefix}:fair:ingest.account:${portal}`);
      await q.enqueue(Array.from({ length: 5 }, (_, i) => ({ type: 'ingest.account' as const, payload: { portalId: '101', accountId: `a${i}` } })));
      await q.enqueue([{ type: 'ingest.account', payload: { portalId: '202', accountId: 'x' }, delayMs: 60_000 }]);
      // A deduplicated add answers the waiting job's id: counted once.
      await q.enqueue([{ type: 'ingest.account', payload: { portalId: '101', accountId: 'k' }, key: 'k' }, { type: 'ingest.account', payload: { portalId: '101', accountId: 'k' }, key: 'k' }]);
      expect(await pending('101')).toBe(6);
      expect(await pending('202')).toBe(1);
      const handle = q.work({ 'ingest.account': async (job) => { if ((job.payload as { accountId: string }).accountId === 'a0') throw new Error('boom'); } });
      await waitFor(async () => (await pending('101')) === 0, 20_000, "portal 101's pending set to empty");
      await handle.close();
      expect(await q.removePortalJobs('202')).toBe(1);
      expect(await pending('202')).toBe(0);
    } finally {
      await q.close();
      redis.disconnect();
    }
  });

  it('keeps completed webhook deliveries an hour (their bodies are large), other jobs a day; records each round trip', async () => {
    const prefix = uniqueName('keep');
    const metrics = new ContainerMetrics();
    const q = await createQueue({ redisUrl, dataDir: '/nonexistent', prefix, defaultMaxAttempts: 1, metrics });
    const redis = new Redis(redisUrl);
    try {
      const [delivery, ingest] = await Promise.all([
        q.enqueue([{ type: 'webhook.batch', payload: { source: 'webhook', receivedAt: 1, events: [] } }]),
        q.enqueue([{ type: 'ingest.account', payload: { portalId: '101', accountId: 'a' } }]),
      ]);
      const keep = async (id: string) => {
        const cut = id.lastIndexOf('-');
        const opts = JSON.parse((await redis.hget(`${prefix}:${id.slice(0, cut)}:${id.slice(cut + 1)}`, 'opts'))!) as { removeOnComplete: unknown };
        return opts.removeOnComplete;
      };
      expect(await keep(delivery[0]!)).toEqual({ age: 3600, count: 1000 });
      expect(await keep(ingest[0]!)).toEqual({ age: 86_400, count: 50_000 });
      const observed = (await metrics.enqueueSeconds.get()).values.find((v) => v.metricName?.endsWith('_count') && v.labels.phase === 'redis');
      expect(observed?.value).toBe(2);
    } finally {
      await q.close();
      redis.disconnect();
    }
  });
});
