/**
 * `npm run bench:webhooks`: acknowledgement latency and throughput of POST /webhooks/hubspot on loopback.
 *
 * Targets, each a separate server process (so the load generator does not share its event loop):
 *   bare      a fastify route that reads the body and answers 200 (the baseline)
 *   embedded  our webhook route + the embedded SQLite queue, workers in the same process (the `serve` default)
 *   bullmq    the same with BullMQ on REDIS_URL (when set)
 * Two runs per target: a fixed rate of 10 requests/s × 100 events (1,000 events/s, the goal: p99 < 50 ms) and
 * an unthrottled run with HubSpot's 10 concurrent requests. Then every acknowledged event must have been
 * processed (the queue is drained and the batch handler's counts compared with what was acknowledged).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Fastify from 'fastify';
import { signV3 } from '../src/webhooks/verify-signature.ts';

const SECRET = 'bench-client-secret';
const PATH = '/webhooks/hubspot';
const EVENTS_PER_BATCH = 100;
const RECORDS_PER_BATCH = 25; // 4 changes per record per batch: HubSpot batches bursts like this
const RATE_SECONDS = Number(process.env.BENCH_RATE_SECONDS ?? 10);
const MAX_SECONDS = Number(process.env.BENCH_MAX_SECONDS ?? 4);

interface ServerStats {
  acked: number;
  processed: number;
  duplicate: number;
  records: number;
}

// ---------------------------------------------------------------- server side (child process)
async function serve(mode: 'bare' | 'embedded' | 'bullmq'): Promise<void> {
  const app = Fastify({ logger: false, bodyLimit: 4 * 1024 * 1024 });
  let close = async () => undefined as void;
  let stats = async (): Promise<ServerStats> => ({ acked: 0, processed: 0, duplicate: 0, records: 0 });
  if (mode === 'bare') {
    app.post(PATH, async () => ({ ok: true }));
  } else {
    const [{ createQueue }, { webhookRoutes }, { processBatch }, { SqliteKv }, { DEFAULT_ROUTING }] = await Promise.all([
      import('../src/queue/create-queue.ts'),
      import('../src/api/routes/webhooks.ts'),
      import('../src/events/process-batch.ts'),
      import('../src/cache/sqlite-kv.ts'),
      import('../src/events/routing.ts'),
    ]);
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'hsai-bench-'));
    const prefix = `bench${process.pid}`;
    const queue = await createQueue({ redisUrl: mode === 'bullmq' ? process.env.REDIS_URL : undefined, dataDir, prefix, defaultMaxAttempts: 5 });
    const cache = new SqliteKv({ dataDir });
    const totals = { processed: 0, duplicate: 0 };
    const records = new Set<string>();
    const worker = queue.work(
      {
        'webhook.batch': async (job) => {
          const out = await processBatch({ queue, cache, coalesceMs: 500, rules: DEFAULT_ROUTING }, job.payload as never, job.id);
          totals.processed += out.processed;
          totals.duplicate += out.duplicate;
        },
        'ingest.record': async (job) => void records.add((job.payload as { objectId: string }).objectId),
      },
      { concurrency: 4 },
    );
    let acked = 0;
    app.addHook('onResponse', async (_req, reply) => {
      if (reply.statusCode === 200) acked += EVENTS_PER_BATCH;
    });
    await app.register(webhookRoutes, { queue, clientSecret: SECRET, allowedVersions: ['v3'], publicUrl: 'http://bench.local', maxBodyBytes: 1_048_576 });
    stats = async () => {
      await queue.drain(300_000);
      return { acked, ...totals, records: records.size };
    };
    close = async () => {
      await worker.close();
      await queue.close();
      await cache.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    };
  }
  const address = await app.listen({ port: 0, host: '127.0.0.1' });
  process.send!({ port: Number(new URL(address).port) });
  process.on('message', (msg: string) => {
    void (async () => {
      if (msg === 'stats') process.send!({ stats: await stats() });
      if (msg === 'close') {
        await app.close();
        await close();
        process.exit(0);
      }
    })();
  });
}

// ---------------------------------------------------------------- load side (parent process)
interface Result {
  requests: { average: number };
  latency: { p50: number; p99: number };
  non2xx: number;
  errors: number;
  timeouts: number;
  '2xx': number;
}
const autocannon = createRequire(import.meta.url)('autocannon') as (opts: Record<string, unknown>) => Promise<Result>;

let nextRecord = 1;
let nextEvent = 1;
function signedRequest(): { body: string; headers: Record<string, string> } {
  const now = Date.now();
  const firstRecord = nextRecord;
  nextRecord += RECORDS_PER_BATCH;
  const events = Array.from({ length: EVENTS_PER_BATCH }, (_, i) => ({
    eventId: nextEvent++,
    subscriptionId: 1,
    portalId: 62515,
    appId: 1,
    occurredAt: now - 1000 + i,
    subscriptionType: 'contact.propertyChange',
    attemptNumber: 0,
    objectId: firstRecord + (i % RECORDS_PER_BATCH),
    changeSource: 'CRM_UI',
    propertyName: 'firstname',
    propertyValue: `name-${i}`,
  }));
  const body = JSON.stringify(events);
  const signature = signV3({ method: 'POST', uri: `http://bench.local${PATH}`, rawBody: body, timestamp: now, clientSecret: SECRET });
  return { body, headers: { 'content-type': 'application/json', 'x-hubspot-signature-v3': signature, 'x-hubspot-request-timestamp': String(now) } };
}

function run(port: number, opts: { rate?: number; seconds: number }): Promise<Result> {
  return autocannon({
    url: `http://127.0.0.1:${port}${PATH}`,
    method: 'POST',
    connections: 10, // HubSpot: at most 10 requests in flight per installing account
    duration: opts.seconds,
    ...(opts.rate ? { overallRate: opts.rate } : {}),
    requests: [{ setupRequest: (req: Record<string, unknown>) => ({ ...req, ...signedRequest() }) }],
  });
}

async function startServer(mode: string): Promise<{ child: ChildProcess; port: number }> {
  const child = fork(new URL(import.meta.url).pathname, ['--server', mode], { execArgv: ['--import', 'tsx'], env: { ...process.env, LOG_LEVEL: 'silent' } });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('message', (m: { port: number }) => resolve(m.port));
    child.once('exit', (code) => reject(new Error(`${mode} server exited (${code})`)));
  });
  return { child, port };
}

function ask<T>(child: ChildProcess, msg: string): Promise<T> {
  return new Promise((resolve) => {
    child.once('message', (m: { stats: T }) => resolve(m.stats));
    child.send(msg);
  });
}

async function main(): Promise<void> {
  const modes = ['bare', 'embedded', ...(process.env.REDIS_URL ? ['bullmq'] : [])];
  if (!process.env.REDIS_URL) console.log('REDIS_URL not set: BullMQ target skipped');
  const rows: Array<Record<string, string | number>> = [];
  const base: { rate?: Result; max?: Result } = {};
  let ok = true;
  for (const mode of modes) {
    const { child, port } = await startServer(mode);
    await run(port, { seconds: 1 }); // warm-up (JIT, SQLite pages, Redis connections)
    const rate = await run(port, { rate: 10, seconds: RATE_SECONDS });
    const max = await run(port, { seconds: MAX_SECONDS });
    if (mode === 'bare') Object.assign(base, { rate, max });
    let verdict = 'n/a';
    if (mode !== 'bare') {
      const s = await ask<ServerStats>(child, 'stats');
      // Requests cut off when a run ends may be journaled (and processed) without their 200 being counted.
      const lost = Math.max(0, s.acked - s.processed - s.duplicate);
      verdict = lost === 0 ? `all ${s.acked} acknowledged events processed (${s.processed} in total, ${s.records} records ingested)` : `LOST ${lost} of ${s.acked}`;
      if (lost !== 0) ok = false;
    }
    child.send('close');
    await new Promise((r) => child.once('exit', r));
    for (const [label, r, b] of [['1k events/s', rate, base.rate], ['max', max, base.max]] as const) {
      rows.push({
        target: mode,
        run: label,
        'req/s': Math.round(r.requests.average),
        'events/s': Math.round(r.requests.average * EVENTS_PER_BATCH),
        'p50 ms': r.latency.p50,
        'p99 ms': r.latency.p99,
        'non-2xx': r.non2xx + r.errors + r.timeouts,
        'req/s vs bare': b ? (r.requests.average / b.requests.average).toFixed(2) : '-',
        'p99 vs bare': b ? (r.latency.p99 / Math.max(1, b.latency.p99)).toFixed(2) : '-',
      });
    }
    if (mode !== 'bare') {
      const p99 = rate.latency.p99;
      console.log(`${mode}: p99 at 1,000 events/s = ${p99} ms (goal < 50 ms: ${p99 < 50 ? 'met' : 'MISSED'}); ${verdict}`);
      if (p99 >= 50) ok = false;
    }
  }
  console.table(rows);
  process.exitCode = ok ? 0 : 1;
}

const serverIdx = process.argv.indexOf('--server');
if (serverIdx >= 0) await serve(process.argv[serverIdx + 1] as 'bare' | 'embedded' | 'bullmq');
else await main();
