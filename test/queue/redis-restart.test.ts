import { afterAll, describe, expect, it } from 'vitest';
import { createQueue } from '../../src/queue/create-queue.ts';
import { freePort } from '../../src/runtime/free-port.ts';
import { hasRedisServer, startRedis, stopRedis as stop } from '../support/redis-server.ts';
import { uniqueName } from '../support/services.ts';
import { tempDir } from '../support/tmp.ts';
import { waitFor } from './queue.contract.ts';

/**
 * "Redis restarted (AOF on) with jobs waiting: none lost". Runs its own redis-server (never the shared one) so it
 * can stop and start it: a clean restart with production settings (appendfsync everysec), and a crash (SIGKILL)
 * with appendfsync always (with everysec, a crash may lose the last second: that is Redis's documented trade-off).
 */
const tmp = tempDir('hsai-redis-');
afterAll(() => tmp.cleanup());

describe.skipIf(!hasRedisServer)('BullMQ across a Redis restart (own redis-server, AOF on)', () => {
  for (const [how, signal, fsync] of [['a clean restart', 'SIGTERM', 'everysec'], ['a crash (kill -9)', 'SIGKILL', 'always']] as const) {
    it(`loses no waiting job on ${how}`, async () => {
      const port = await freePort();
      let redis = await startRedis(port, tmp.dir, fsync);
      const queue = await createQueue({ redisUrl: `redis://127.0.0.1:${port}`, dataDir: tmp.dir, prefix: uniqueName('restart'), defaultMaxAttempts: 3 });
      try {
        const ids = await queue.enqueue(Array.from({ length: 50 }, (_, i) => ({ type: 'ingest.record' as const, payload: { n: i } })));
        expect(ids).toHaveLength(50);
        await stop(redis, signal);
        // Enqueued while Redis is down: waits for it instead of failing (the webhook route bounds that wait and answers
        // 503: test/webhooks/redis-outage.test.ts).
        const whileDown = queue.enqueue(Array.from({ length: 10 }, (_, i) => ({ type: 'ingest.record' as const, payload: { n: 50 + i } })));
        redis = await startRedis(port, tmp.dir, fsync);
        expect(await whileDown).toHaveLength(10);
        const seen = new Set<number>();
        queue.work({ 'ingest.record': async (job) => void seen.add((job.payload as { n: number }).n) }, { concurrency: 4 });
        await waitFor(() => seen.size === 60, 30_000, 'all 60 jobs');
        await queue.drain();
        expect([...seen].sort((a, b) => a - b)).toEqual(Array.from({ length: 60 }, (_, i) => i));
      } finally {
        await queue.close();
        await stop(redis, 'SIGTERM');
      }
    });
  }
});
