import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { createQueue } from '../../src/queue/create-queue.ts';
import { uniqueName } from '../support/services.ts';
import { tempDir } from '../support/tmp.ts';
import { waitFor } from './queue.contract.ts';

/**
 * "Redis restarted (AOF on) with jobs waiting: none lost". Runs its own redis-server (never the shared one) so it
 * can stop and start it: a clean restart with production settings (appendfsync everysec), and a crash (SIGKILL)
 * with appendfsync always (with everysec, a crash may lose the last second: that is Redis's documented trade-off).
 */
const hasRedisServer = spawnSync('redis-server', ['--version']).status === 0;
const tmp = tempDir('hsai-redis-');
afterAll(() => tmp.cleanup());

async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise((r) => srv.close(r));
  return port;
}

async function startRedis(port: number, fsync: 'everysec' | 'always'): Promise<ChildProcess> {
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--appendonly', 'yes', '--appendfsync', fsync, '--dir', tmp.dir, '--save', '', '--maxmemory-policy', 'noeviction'], { stdio: 'ignore' });
  const probe = new Redis(port, '127.0.0.1', { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  probe.on('error', () => undefined); // refused connections are expected until it is up
  await waitFor(async () => {
    try {
      await probe.connect();
      return (await probe.ping()) === 'PONG';
    } catch {
      probe.disconnect();
      return false;
    }
  }, 20_000, 'redis-server to start');
  probe.disconnect();
  return child;
}

async function stop(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  const exited = new Promise((r) => child.once('exit', r));
  child.kill(signal);
  await exited;
}

describe.skipIf(!hasRedisServer)('BullMQ across a Redis restart (own redis-server, AOF on)', () => {
  for (const [how, signal, fsync] of [['a clean restart', 'SIGTERM', 'everysec'], ['a crash (kill -9)', 'SIGKILL', 'always']] as const) {
    it(`loses no waiting job on ${how}`, async () => {
      const port = await freePort();
      let redis = await startRedis(port, fsync);
      const queue = await createQueue({ redisUrl: `redis://127.0.0.1:${port}`, dataDir: tmp.dir, prefix: uniqueName('restart'), defaultMaxAttempts: 3 });
      try {
        const ids = await queue.enqueue(Array.from({ length: 50 }, (_, i) => ({ type: 'ingest.record' as const, payload: { n: i } })));
        expect(ids).toHaveLength(50);
        await stop(redis, signal);
        // Enqueued while Redis is down: waits for it instead of failing (the webhook route would not answer yet).
        const whileDown = queue.enqueue(Array.from({ length: 10 }, (_, i) => ({ type: 'ingest.record' as const, payload: { n: 50 + i } })));
        redis = await startRedis(port, fsync);
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
