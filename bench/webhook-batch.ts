/**
 * `npm run bench:webhook-batch`: what one `webhook.batch` job (one HubSpot delivery of 100 events, already
 * journaled by the API) costs the worker on Redis: wall time, CPU of the worker and of Redis, Redis commands and
 * socket writes (round trips) per delivery, with the product's processor against the same code driven one event
 * at a time (the per-event baseline: each event its own claim, marks, echo check and enqueue) in the same run.
 *
 * Real parts only: a Redis server the bench owns (AOF on, as in production, so its counters are ours alone), the
 * BullMQ queue and the Redis cache of the product, the product's `webhook.batch` handler run by a BullMQ worker at
 * the default concurrency. A small TCP relay in a child process between the product and Redis counts the writes
 * the product makes (each write it flushes is one trip to Redis and back before it can go on with what depends on
 * it); it runs in its own process so its CPU is not counted as the worker's.
 *
 * The deliveries look like the soak's: 100 property changes each over `--records` companies and contacts (54, the
 * soak's portal), so derived ingest jobs coalesce per record. Derived jobs are left delayed; only the batch jobs
 * run. Options: --deliveries N (200), --records N (54), --repeats N (3), --concurrency N (4 or 16),
 * --baseline-deliveries N (as --deliveries), --busy-ms N (0).
 *
 * `--busy-ms N` holds the worker's event loop N ms at a time between turns, as ingest's synchronous work
 * (chunking, hashing, SQLite writes) holds it in a real worker beside the batches: each trip to Redis then waits
 * for a turn of the loop, so a delivery's wall time grows with the trips it makes one after the other.
 */
import { fork } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { createRedisKv } from '../src/cache/redis-kv.ts';
import { processBatch } from '../src/events/process-batch.ts';
import { createQueue } from '../src/queue/create-queue.ts';
import type { WebhookBatchPayload } from '../src/queue/jobs.ts';
import type { JobContext } from '../src/queue/queue.ts';
import { freePort } from '../src/runtime/free-port.ts';
import type { HubSpotEvent } from '../src/webhooks/hubspot-event.ts';
import { startRedis, stop, waitForRedis } from './lib/soak-processes.ts';

// The relay: `tsx bench/webhook-batch.ts relay <listen port> <redis port>`, counting the product's writes.
if (process.argv[2] === 'relay') {
  const [listen, target] = [Number(process.argv[3]), Number(process.argv[4])];
  let writes = 0;
  const server = net.createServer((client) => {
    const upstream = net.connect(target, '127.0.0.1');
    client.on('data', (chunk) => {
      writes += 1;
      upstream.write(chunk);
    });
    upstream.pipe(client);
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
  });
  server.listen(listen, '127.0.0.1', () => process.send?.({ ready: true }));
  process.on('message', () => process.send?.({ writes }));
  process.on('disconnect', () => process.exit(0));
} else {
  await main();
}

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isInteger(v) || v <= 0) throw new Error(`--${name} must be a positive integer`);
  return v;
}

interface Sample {
  wallMs: number;
  cpuMs: number;
  redisCpuMs: number;
  commands: number;
  writes: number;
}

async function main(): Promise<void> {
  const DELIVERIES = arg('deliveries', 200);
  const RECORDS = arg('records', 54);
  const REPEATS = arg('repeats', 3);
  const CONCURRENCY = arg('concurrency', 4);
  const BASELINE_DELIVERIES = arg('baseline-deliveries', DELIVERIES);
  const BUSY_MS = process.argv.includes('--busy-ms') ? Number(process.argv[process.argv.indexOf('--busy-ms') + 1]) : 0;
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hsai-bench-batch-'));
  const [redisPort, relayPort] = await Promise.all([freePort(), freePort()]);
  const redis = startRedis(redisPort, path.join(tmp, 'redis'), tmp);
  const relay = fork(new URL(import.meta.url).pathname, ['relay', String(relayPort), String(redisPort)], { stdio: 'inherit' });
  try {
    await waitForRedis(redisPort);
    await new Promise<void>((resolve) => relay.once('message', () => resolve()));
    const admin = new Redis({ port: redisPort, host: '127.0.0.1' });
    const relayWrites = () =>
      new Promise<number>((resolve) => {
        relay.once('message', (m: { writes: number }) => resolve(m.writes));
        relay.send('count');
      });
    const redisCounters = async () => {
      const [cpu, stats] = await Promise.all([admin.info('cpu'), admin.info('commandstats')]);
      const num = (re: RegExp) => Number(re.exec(cpu)?.[1] ?? 0);
      const commands = [...stats.matchAll(/calls=(\d+)/g)].reduce((n, m) => n + Number(m[1]), 0);
      return { cpuMs: (num(/used_cpu_sys:([\d.]+)/) + num(/used_cpu_user:([\d.]+)/)) * 1000, commands };
    };

    let eventId = 1;
    const delivery = (): HubSpotEvent[] => {
      const now = Date.now();
      return Array.from({ length: 100 }, (_, i) => {
        const r = (eventId * 7919) % RECORDS;
        const id = eventId++;
        return {
          eventId: id,
          subscriptionId: 1,
          portalId: 62515,
          appId: 1,
          occurredAt: now + i,
          subscriptionType: r < 10 ? 'company.propertyChange' : 'contact.propertyChange',
          attemptNumber: 0,
          objectId: 1000 + r,
          propertyName: r < 10 ? 'description' : 'jobtitle',
          propertyValue: `value ${id}`,
          changeSource: 'CRM_UI',
          sourceId: 'userId:70001',
        };
      });
    };

    const run = async (mode: 'per event' | 'per delivery', n: number): Promise<Sample> => {
      const count = mode === 'per event' ? BASELINE_DELIVERIES : DELIVERIES;
      const prefix = `bench${n}${mode === 'per event' ? 'e' : 'd'}`;
      const redisUrl = `redis://127.0.0.1:${relayPort}`;
      const queue = await createQueue({ redisUrl, dataDir: tmp, prefix, defaultMaxAttempts: 3 });
      const cache = await createRedisKv({ url: redisUrl, keyPrefix: `${prefix}:` });
      const deps = { queue, cache, coalesceMs: 2_000 };
      // Journaled first, as the API does; the clock starts when the worker starts taking them.
      for (let i = 0; i < count; i += 50) {
        await queue.enqueue(
          Array.from({ length: Math.min(50, count - i) }, () => ({
            type: 'webhook.batch' as const,
            payload: { source: 'webhook', receivedAt: Date.now(), events: delivery() } satisfies WebhookBatchPayload,
          })),
        );
      }
      let done = 0;
      let finished!: () => void;
      const allDone = new Promise<void>((resolve) => (finished = resolve));
      const handler = async (job: JobContext<WebhookBatchPayload>) => {
        if (mode === 'per delivery') await processBatch(deps, job.payload, job.id);
        else for (const e of job.payload.events) await processBatch(deps, { ...job.payload, events: [e] }, job.id);
        if (++done === count) finished();
      };
      const [r0, w0, c0, t0] = [await redisCounters(), await relayWrites(), process.cpuUsage(), performance.now()];
      const worker = queue.work({ 'webhook.batch': handler }, { concurrency: CONCURRENCY });
      // Ingest's stand-in: the loop is held BUSY_MS at a time, with one turn for everything else in between.
      const busy = BUSY_MS > 0 ? setInterval(() => {
        const until = performance.now() + BUSY_MS;
        while (performance.now() < until);
      }, 0) : undefined;
      await allDone;
      clearInterval(busy);
      const [wallMs, cpu, w1, r1] = [performance.now() - t0, process.cpuUsage(c0), await relayWrites(), await redisCounters()];
      await worker.close();
      await Promise.all([queue.close(), cache.close()]);
      return {
        wallMs: wallMs / count,
        cpuMs: (cpu.user + cpu.system) / 1000 / count,
        redisCpuMs: (r1.cpuMs - r0.cpuMs) / count,
        commands: (r1.commands - r0.commands) / count,
        writes: (w1 - w0) / count,
      };
    };

    const load = () => os.loadavg().map((l) => l.toFixed(1)).join(' ');
    process.stdout.write(
      `webhook.batch on Redis: ${DELIVERIES} deliveries (baseline ${BASELINE_DELIVERIES}) of 100 events over ${RECORDS} records, worker concurrency ${CONCURRENCY}, ${REPEATS} repeats${BUSY_MS ? `, event loop held ${BUSY_MS} ms at a time` : ''}; load average ${load()}\n`,
    );
    const samples: Record<'per event' | 'per delivery', Sample[]> = { 'per event': [], 'per delivery': [] };
    await run('per delivery', 0); // warm-up: JIT, Lua scripts loaded into Redis
    for (let i = 1; i <= REPEATS; i++) {
      for (const mode of ['per event', 'per delivery'] as const) samples[mode].push(await run(mode, i));
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    const span = (xs: number[], digits: number) => `${median(xs).toFixed(digits)} (${Math.min(...xs).toFixed(digits)}–${Math.max(...xs).toFixed(digits)})`;
    const rows: Array<[string, (s: Sample) => number, number]> = [
      ['wall ms per delivery', (s) => s.wallMs, 1],
      ...(BUSY_MS > 0 ? [] : [['worker CPU ms per delivery', (s: Sample) => s.cpuMs, 1] as [string, (s: Sample) => number, number]]),
      ['Redis CPU ms per delivery', (s) => s.redisCpuMs, 2],
      ['Redis commands per delivery', (s) => s.commands, 0],
      ['writes to Redis per delivery', (s) => s.writes, 1],
    ];
    process.stdout.write(`\n| per delivery (median, min–max) | per event (baseline) | per delivery (product) | ratio |\n| --- | --- | --- | --- |\n`);
    for (const [label, f, digits] of rows) {
      const base = samples['per event'].map(f);
      const ours = samples['per delivery'].map(f);
      process.stdout.write(`| ${label} | ${span(base, digits)} | ${span(ours, digits)} | ${(median(base) / median(ours)).toFixed(1)}× |\n`);
    }
    const rate = median(samples['per delivery'].map((s) => s.wallMs));
    process.stdout.write(
      `\nOne worker at concurrency ${CONCURRENCY} takes ${(1000 / rate).toFixed(0)} deliveries/s (${((100 * 1000) / rate).toFixed(0)} events/s) on this machine now; load average ${load()}.\n`,
    );
    admin.disconnect();
  } finally {
    relay.disconnect();
    await stop(redis);
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}
