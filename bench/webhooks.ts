/**
 * `npm run bench:webhooks`: acknowledgement latency and throughput of POST /webhooks/hubspot on loopback.
 *
 * Targets, each a separate server process (so the load generator does not share its event loop):
 *   bare      a fastify route that reads the body and answers 200 (the baseline)
 *   embedded  `serve` as configured by default: the whole app, SQLite queue and cache, workers in the process
 *   bullmq    `serve` with REDIS_URL: BullMQ and the cache on Redis, workers in the process (when REDIS_URL is set)
 * After a warm-up and once its backlog is processed, two runs per target: a fixed rate of 10 requests/s × 100
 * events (1,000 events/s; autocannon's 10 connections fire together each second, HubSpot's worst case of 10
 * deliveries in flight; the goal: p99 < 50 ms) and an unthrottled run. Then every acknowledged event must have
 * been processed (the queue is drained and the processed/duplicate counts compared with what was acknowledged).
 * For the 1k events/s run the table also shows the server's event-loop delay and how much it wrote to disk.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import Fastify, { type FastifyInstance } from 'fastify';
import { signV3 } from '../src/webhooks/verify-signature.ts';

const SECRET = 'bench-client-secret';
const PATH = '/webhooks/hubspot';
const EVENTS_PER_BATCH = 100;
const RECORDS_PER_BATCH = 25; // 4 changes per record per batch: HubSpot batches bursts like this
const RATE_SECONDS = Number(process.env.BENCH_RATE_SECONDS ?? 30); // 300 requests: p99 is not just the maximum
const MAX_SECONDS = Number(process.env.BENCH_MAX_SECONDS ?? 4);

interface ServerStats {
  acked: number;
  processed: number;
  duplicate: number;
  records: number;
}

interface RunDiagnostics {
  loopP99: number;
  loopMax: number;
  writtenMBps: number | null;
}

/** Bytes this process wrote to storage (Linux `/proc/self/io`), or null elsewhere. */
function bytesWritten(): number | null {
  try {
    const line = fs.readFileSync('/proc/self/io', 'utf8').split('\n').find((l) => l.startsWith('write_bytes:'));
    return line ? Number(line.split(':')[1]) : null;
  } catch {
    return null;
  }
}

// ---------------------------------------------------------------- server side (child processes)
type Mode = 'bare' | 'embedded' | 'bullmq';
type Role = 'server' | 'worker';

/**
 * One child process. `server`: the HTTP app (and, embedded, the workers, as `serve` runs them). `worker`: the
 * workers alone, as `hubspot-ai worker` runs them next to an API-only `serve` in production (BullMQ).
 */
async function child(role: Role, mode: Mode): Promise<void> {
  let app: FastifyInstance | undefined;
  let close = async () => undefined as void;
  let counts = async (): Promise<Omit<ServerStats, 'acked'>> => ({ processed: 0, duplicate: 0, records: 0 });
  let acked = 0;
  if (mode === 'bare') {
    app = Fastify({ logger: false });
    app.post(PATH, async () => ({ ok: true }));
  } else {
    // The real `serve`: config, container, the whole HTTP app (auth, helmet, request logging, metrics) and the
    // real job handlers, except ingest, which is replaced by a counter: the HubSpot reads it would make are
    // throttled by HubSpot's rate limit, not by anything measured here.
    const [{ loadConfig }, { createContainer }, { createLogger }, { buildServiceApp }, { createJobHandlers }, { metrics }] = await Promise.all([
      import('../src/config/config.ts'),
      import('../src/runtime/container.ts'),
      import('../src/logging.ts'),
      import('../src/runtime/http.ts'),
      import('../src/runtime/workers.ts'),
      import('../src/metrics.ts'),
    ]);
    const config = loadConfig({
      DATA_DIR: process.env.BENCH_DATA_DIR,
      HUBSPOT_CLIENT_SECRET: SECRET,
      WEBHOOK_PUBLIC_URL: 'http://bench.local',
      LOG_LEVEL: process.env.LOG_LEVEL ?? 'info',
      ...(mode === 'bullmq' ? { REDIS_URL: process.env.REDIS_URL, REDIS_PREFIX: process.env.BENCH_REDIS_PREFIX } : {}),
    });
    const container = createContainer(config, createLogger(config.LOG_LEVEL));
    const queue = await container.queue();
    if (role === 'server') {
      app = await buildServiceApp(container);
      app.addHook('onResponse', async (req, reply) => {
        if (req.url === PATH && reply.statusCode === 200) acked += EVENTS_PER_BATCH;
      });
    }
    let worker: { close(): Promise<void> } | undefined;
    if (role === 'worker' || config.serveWorkers) {
      const records = new Set<string>();
      const handlers = await createJobHandlers(container);
      worker = queue.work(
        { ...handlers, 'ingest.record': async (job) => void records.add(String((job.payload as { objectId: string }).objectId)) },
        { concurrency: config.QUEUE_CONCURRENCY, foreground: container.foreground },
      );
      counts = async () => {
        await queue.drain(300_000);
        const byResult = new Map<string, number>();
        for (const v of (await metrics.webhookEvents.get()).values) {
          byResult.set(String(v.labels.result), (byResult.get(String(v.labels.result)) ?? 0) + v.value);
        }
        return { processed: byResult.get('processed') ?? 0, duplicate: byResult.get('duplicate') ?? 0, records: records.size };
      };
    }
    close = async () => {
      await worker?.close();
      await container.close();
    };
  }
  const loopDelay = monitorEventLoopDelay({ resolution: 1 });
  loopDelay.enable();
  let mark = { at: performance.now(), written: bytesWritten() };
  const address = app ? await app.listen({ port: 0, host: '127.0.0.1' }) : undefined;
  process.send!({ port: address ? Number(new URL(address).port) : 0 });
  process.on('message', (msg: string) => {
    void (async () => {
      if (msg === 'stats') process.send!({ reply: { acked, ...(await counts()) } });
      if (msg === 'mark') {
        // Start of a measured run: event-loop delay and bytes written are reported for this run only.
        loopDelay.reset();
        mark = { at: performance.now(), written: bytesWritten() };
        process.send!({ reply: null });
      }
      if (msg === 'diagnostics') {
        const written = bytesWritten();
        const seconds = (performance.now() - mark.at) / 1000;
        const diagnostics: RunDiagnostics = {
          loopP99: loopDelay.percentile(99) / 1e6,
          loopMax: loopDelay.max / 1e6,
          writtenMBps: written === null || mark.written === null ? null : (written - mark.written) / 1e6 / seconds,
        };
        process.send!({ reply: diagnostics });
      }
      if (msg === 'close') {
        await app?.close();
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

interface Child {
  proc: ChildProcess;
  port: number;
}

async function startChild(role: Role, mode: Mode, env: NodeJS.ProcessEnv): Promise<Child> {
  // Children log as `serve` does (request logs at info) into a file; BENCH_NODE_FLAGS passes node flags
  // (e.g. `--cpu-prof`) to them.
  const flags = process.env.BENCH_NODE_FLAGS?.split(' ').filter(Boolean) ?? [];
  const logFile = path.join(os.tmpdir(), `hsai-bench-webhooks-${mode}-${role}.log`);
  const log = fs.openSync(logFile, 'w');
  const proc = fork(new URL(import.meta.url).pathname, [`--${role}`, mode], {
    execArgv: ['--import', 'tsx', ...flags],
    stdio: ['ignore', log, log, 'ipc'],
    env: { ...process.env, ...env },
  });
  fs.closeSync(log);
  proc.once('exit', (code) => {
    if (code !== 0) console.error(`${mode} ${role} exited with ${code}; its log: ${logFile}`);
  });
  const port = await new Promise<number>((resolve, reject) => {
    proc.once('message', (m: { port: number }) => resolve(m.port));
    proc.once('exit', (code) => reject(new Error(`${mode} ${role} exited (${code}); its log: ${logFile}`)));
  });
  return { proc, port };
}

function ask<T>(c: Child, msg: string): Promise<T> {
  return new Promise((resolve) => {
    c.proc.once('message', (m: { reply: T }) => resolve(m.reply));
    c.proc.send(msg);
  });
}

async function stopChild(c: Child): Promise<void> {
  const exited = new Promise((r) => c.proc.once('exit', r));
  c.proc.send('close');
  await exited;
}

/** Deletes this run's keys, so repeated runs do not grow the Redis they share (and its fork-heavy snapshots). */
async function removeRedisKeys(url: string, prefix: string): Promise<void> {
  const { Redis } = await import('ioredis');
  const redis = new Redis(url);
  let removed = 0;
  for await (const keys of redis.scanStream({ match: `${prefix}:*`, count: 1000 }) as AsyncIterable<string[]>) {
    if (keys.length > 0) removed += await redis.unlink(...keys);
  }
  await redis.quit();
  console.log(`bullmq: removed the run's ${removed} Redis keys (prefix ${prefix})`);
}

/** RDB snapshots and frequent AOF rewrites fork Redis, stalling every client: say so when the Redis used has them. */
async function checkRedisConfig(url: string): Promise<void> {
  const { Redis } = await import('ioredis');
  const redis = new Redis(url);
  try {
    const [, save] = (await redis.config('GET', 'save')) as [string, string];
    const [, minSize] = (await redis.config('GET', 'auto-aof-rewrite-min-size')) as [string, string];
    if (save !== '' || Number(minSize) < 256 * 1024 * 1024) {
      console.log(`note: this Redis forks for snapshots (save "${save}", auto-aof-rewrite-min-size ${minSize}); docker-compose.yml runs it with --save "" and 512mb`);
    }
  } catch {
    // CONFIG may be disabled (managed Redis): nothing to say
  } finally {
    redis.disconnect();
  }
}

async function main(): Promise<void> {
  // BENCH_MODES=embedded,bullmq runs a subset.
  const modes = (process.env.BENCH_MODES?.split(',') ?? ['bare', 'embedded', 'bullmq']).filter((m) => m !== 'bullmq' || process.env.REDIS_URL);
  if (!process.env.REDIS_URL) console.log('REDIS_URL not set: BullMQ target skipped');
  else if (modes.includes('bullmq')) await checkRedisConfig(process.env.REDIS_URL);
  const rows: Array<Record<string, string | number>> = [];
  const base: { rate?: Result; max?: Result } = {};
  let ok = true;
  for (const mode of modes as Mode[]) {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'hsai-bench-'));
    const env = { BENCH_DATA_DIR: dataDir, BENCH_REDIS_PREFIX: `bench${process.pid}${mode}` };
    const server = await startChild('server', mode, env);
    // With Redis, `serve` is the API alone and `hubspot-ai worker` processes run the jobs (as in production).
    const worker = mode === 'bullmq' ? await startChild('worker', mode, env) : server;
    // Worker processes yield the CPU to the API (`nice -n 10 hubspot-ai worker`, or cpu_shares in compose): on a
    // shared 2-core host they would otherwise deschedule the API and Redis in the middle of an acknowledgement.
    if (worker !== server) os.setPriority(worker.proc.pid!, 10);
    const port = server.port;
    await run(port, { seconds: 1 }); // warm-up (JIT, SQLite pages, Redis connections)
    if (mode !== 'bare') await ask<ServerStats>(worker, 'stats'); // the 1k events/s run starts on an empty queue
    await ask(server, 'mark');
    const rate = await run(port, { rate: 10, seconds: RATE_SECONDS });
    const diag = await ask<RunDiagnostics>(server, 'diagnostics');
    const max = await run(port, { seconds: MAX_SECONDS });
    if (mode === 'bare') Object.assign(base, { rate, max });
    let verdict = 'n/a';
    if (mode !== 'bare') {
      const s = await ask<ServerStats>(worker, 'stats');
      const { acked } = worker === server ? s : await ask<ServerStats>(server, 'stats');
      // Requests cut off when a run ends may be journaled (and processed) without their 200 being counted.
      const lost = Math.max(0, acked - s.processed - s.duplicate);
      verdict = lost === 0 ? `all ${acked} acknowledged events processed (${s.processed} in total, ${s.records} records ingested)` : `LOST ${lost} of ${acked}`;
      if (lost !== 0) ok = false;
    }
    await stopChild(server);
    if (worker !== server) await stopChild(worker);
    fs.rmSync(dataDir, { recursive: true, force: true });
    if (mode === 'bullmq') await removeRedisKeys(process.env.REDIS_URL!, env.BENCH_REDIS_PREFIX);
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
        'loop delay p99/max ms': label === 'max' ? '-' : `${diag.loopP99.toFixed(1)}/${diag.loopMax.toFixed(0)}`,
        'disk MB/s': label === 'max' || diag.writtenMBps === null ? '-' : diag.writtenMBps.toFixed(1),
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

const role = (['server', 'worker'] as const).find((r) => process.argv.includes(`--${r}`));
if (role) await child(role, process.argv[process.argv.indexOf(`--${role}`) + 1] as Mode);
else await main();
