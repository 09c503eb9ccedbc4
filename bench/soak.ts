/**
 * `npm run soak -- --minutes 10`: the production layout under load and under failures, for minutes, then an audit
 * of what happened to every event.
 *
 * Real processes: a sandbox portal with faults on (--fault-rate, a search index that lags, some 429s without
 * Retry-After), Redis (AOF on, owned by the soak so it can restart it), `hubspot-ai serve` (API only) and
 * `hubspot-ai worker` (BullMQ), both restarted when they exit as compose restarts them, on one SQLite data
 * directory for index and audit (the compiled build when `npm run build` is newer than the sources). Meanwhile:
 *   - signed webhook deliveries of 100 property changes at --rate events/s (default 1,000), at most 10 in flight,
 *     retried like HubSpot (5 s timeout, growing delay, attemptNumber + 1) until acknowledged;
 *   - people's activity in the portal every 10 seconds (calls, e-mails, new leads, deal stages, meetings) whose
 *     webhooks the sandbox sends itself: real ingest and real generation, writes back through the guardrails;
 *   - a full backfill in parallel (run again, resuming from its checkpoint, if it fails);
 *   - the worker killed with SIGKILL twice and Redis restarted once.
 * Then, once the queue has drained: every acknowledged event must have been processed (its dedupe claim is in
 * Redis), no AI note may exist twice, and no job may be dead. Prints events acknowledged, processed, lost,
 * duplicate notes, acknowledgement p50/p99, event-to-write p95 (a simulated call to its AI summary note in
 * HubSpot), peak RSS per process and the machine's load average. Exit code 0 only when nothing was lost or
 * duplicated, no job is dead, the queue drained within 15 minutes and the backfill finished. Ctrl-C stops every
 * process it started.
 *
 * Options: --minutes N (10), --rate EVENTS_PER_S (1000), --companies N (10), --fault-rate P (0.02), --keep.
 * Every record the deliveries touch is re-ingested (coalesced per record), so the portal's size sets how long the
 * queue takes to drain once the load stops; the rate sets how many deliveries the worker must keep up with.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { createQueue } from '../src/queue/create-queue.ts';
import { eventDedupeKey } from '../src/events/event-ledger.ts';
import type { HubSpotEvent } from '../src/queue/jobs.ts';
import type { JobQueue } from '../src/queue/queue.ts';
import { freePort } from '../src/runtime/free-port.ts';
import { createSql } from '../src/db/sql.ts';
import { signV3 } from '../src/webhooks/verify-signature.ts';
import { ENTRY, sampleRss, startCommand, startRedis, stop, Supervised, waitForHttp, waitForRedis, type Proc } from './lib/soak-processes.ts';
import { percentile, printReport } from './lib/soak-report.ts';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isFinite(v) || v <= 0) throw new Error(`--${name} must be a positive number`);
  return v;
}
const MINUTES = arg('minutes', 10);
const RATE = arg('rate', 1000);
const COMPANIES = arg('companies', 10);
const FAULT_RATE = process.argv.includes('--fault-rate') ? Number(process.argv[process.argv.indexOf('--fault-rate') + 1]) : 0.02;
const KEEP = process.argv.includes('--keep');
const EVENTS_PER_DELIVERY = 100;
const IN_FLIGHT = 10;
const DURATION_MS = MINUTES * 60_000;
const SECRET = 'soak-client-secret';
const CHECKER = 'soak-checker-token';
const PREFIX = `soak${Date.now().toString(36)}`;

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hsai-soak-'));
const logDir = path.join(tmp, 'logs');
fs.mkdirSync(logDir);
const started = Date.now();
const say = (msg: string) => process.stdout.write(`[${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s] ${msg}\n`);

const [sandboxPort, apiPort, workerPort, redisPort] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
const sandboxUrl = `http://127.0.0.1:${sandboxPort}`;
const webhookUrl = `http://127.0.0.1:${apiPort}/webhooks/hubspot`;
const procs: { sandbox?: Proc; serve?: Supervised; worker?: Supervised; backfill?: Proc; redis?: Proc } = {};
const everyRedis: Proc[] = [];
let observer: JobQueue | undefined;
let stopping = false;

async function main(): Promise<number> {
  say(`soak: ${MINUTES} min, ${RATE} events/s, sandbox of ${COMPANIES} companies with fault rate ${FAULT_RATE}; logs in ${logDir}`);
  say(ENTRY.endsWith('main.js') ? 'running the compiled build (dist/), as the image does' : 'running the sources through tsx (`npm run build` first to run what the image runs)');
  procs.redis = startRedis(redisPort, path.join(tmp, 'redis'), logDir);
  everyRedis.push(procs.redis);
  await waitForRedis(redisPort);
  const redisUrl = `redis://127.0.0.1:${redisPort}`;

  const readScopes = ['crm.objects.contacts.read', 'crm.objects.companies.read', 'crm.objects.deals.read', 'tickets'].join(',');
  procs.sandbox = startCommand(
    'sandbox',
    ['sandbox', '--port', String(sandboxPort), '--seed', '7', '--companies', String(COMPANIES), '--rate-limit', '250', '--fault-rate', String(FAULT_RATE),
      '--search-lag-ms', '1000', '--webhook-target', webhookUrl, '--client-secret', SECRET, '--webhook-batch-ms', '200', '--scoped-token', `${CHECKER}=${readScopes}`],
    { ...process.env, LOG_LEVEL: 'warn' },
    logDir,
  );
  await waitForHttp(`${sandboxUrl}/_sandbox/metrics`, procs.sandbox);
  const truth = (await (await fetch(`${sandboxUrl}/_sandbox/ground-truth`)).json()) as { portalId: string; appId: string; companies: Array<{ id: string }> };

  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    DATA_DIR: path.join(tmp, 'data'),
    REDIS_URL: redisUrl,
    REDIS_PREFIX: PREFIX,
    HUBSPOT_BASE_URL: sandboxUrl,
    HUBSPOT_ACCESS_TOKEN: 'sandbox-token',
    HUBSPOT_CLIENT_SECRET: SECRET,
    HUBSPOT_APP_ID: truth.appId,
    HUBSPOT_RATE_LIMIT: '250',
    PORT: String(apiPort),
    WORKER_PORT: String(workerPort),
    API_TOKENS: 'soak-admin-token-01:admin',
    LOG_LEVEL: 'warn',
    LOG_FORMAT: 'json',
    SHUTDOWN_GRACE_MS: '5000',
  };
  // Like every command here, setup exits 4 when a dependency does not answer within its start-up check (the
  // machine may be busy): run it again, as a deployment's init step would be.
  for (let run = 1; ; run++) {
    const code = await startCommand(`setup-${run}`, ['setup'], env, logDir).exited;
    if (code === 0) break;
    if (run === 5) throw new Error(`hubspot-ai setup failed ${run} times (see setup-*.log)`);
    say(`setup exited with code ${code}; again in 5 s`);
    await new Promise((r) => setTimeout(r, 5_000));
  }
  // Both run under a restart policy, as compose runs them: a process that exits (killed, or code 4 when a
  // dependency does not answer in time) is started again a second later.
  const exited = (p: Proc, code: number | null) => say(`${p.name} exited (${code ?? p.child.signalCode}); restarting it in 1 s (restart: unless-stopped)`);
  procs.serve = new Supervised((n) => startCommand(`serve-${n}`, ['serve'], env, logDir), 1_000, exited);
  // No `nice` here (compose gives workers cpu_shares 512 beside the API): on a machine other work keeps busy, a
  // niced worker would get almost no CPU at all and the soak would measure the neighbours.
  procs.worker = new Supervised((n) => startCommand(`worker-${n}`, ['worker'], env, logDir), 1_000, exited);
  await Promise.all([waitForHttp(`http://127.0.0.1:${apiPort}/readyz`, procs.serve), waitForHttp(`http://127.0.0.1:${workerPort}/healthz`, procs.worker)]);
  observer = await createQueue({ redisUrl, dataDir: env.DATA_DIR!, prefix: PREFIX, defaultMaxAttempts: 8 });
  // The backfill runs as a job would (a Kubernetes Job, a cron entry): a failed run is started again and resumes
  // from its checkpoint, up to 10 runs.
  const backfillStarted = Date.now();
  let backfillMs: number | undefined;
  let backfillRuns = 0;
  let backfillCode: number | null = null;
  const backfillDone = (async () => {
    while (backfillRuns < 10 && !stopping) {
      backfillRuns++;
      procs.backfill = startCommand(`backfill-${backfillRuns}`, ['backfill', '--json'], env, logDir);
      backfillCode = await procs.backfill.exited;
      if (backfillCode === 0) break;
      say(`backfill run ${backfillRuns} exited with code ${backfillCode}; it runs again in 5 s and resumes from its checkpoint`);
      await new Promise((r) => setTimeout(r, 5_000));
    }
    backfillMs = Date.now() - backfillStarted;
    say(`backfill finished with code ${backfillCode} in ${(backfillMs / 1000).toFixed(0)} s (${backfillRuns} run(s))`);
  })();

  // The records the deliveries are about: every company and contact of the portal.
  const records = await portalRecords(truth.companies.map((c) => c.id));
  say(`portal: ${records.length} companies and contacts; driving webhooks now`);

  const end = Date.now() + DURATION_MS;
  const loads: number[] = [];
  const rss = setInterval(() => {
    sampleRss([procs.serve!.current, procs.worker!.current, procs.sandbox!, procs.redis!]);
    if (Date.now() < end) loads.push(os.loadavg()[0]!);
  }, 1_000);
  const driver = new Driver(Number(truth.portalId), records);
  const sims = new Simulations();
  const chaos = [
    { at: 0.3, what: 'kill the worker (SIGKILL)', run: async () => killWorker() },
    { at: 0.5, what: 'restart Redis', run: async () => restartRedis() },
    { at: 0.75, what: 'kill the worker again (SIGKILL)', run: async () => killWorker() },
  ];
  // The restart policy brings it back after its delay.
  const killWorker = async () => procs.worker!.kill('SIGKILL');
  const restartRedis = async () => {
    // SHUTDOWN (SIGTERM) fsyncs the AOF; acknowledgements wait while it is down, as in production.
    await stop(procs.redis, 'SIGTERM');
    await new Promise((r) => setTimeout(r, 2_000));
    procs.redis = startRedis(redisPort, path.join(tmp, 'redis'), logDir);
    everyRedis.push(procs.redis);
    await waitForRedis(redisPort);
  };

  driver.start();
  sims.start();
  let lastReport = Date.now();
  while (Date.now() < end) {
    await new Promise((r) => setTimeout(r, 500));
    const elapsed = (Date.now() - (end - DURATION_MS)) / DURATION_MS;
    const next = chaos[0];
    if (next && elapsed >= next.at) {
      chaos.shift();
      say(`chaos: ${next.what}`);
      await next.run();
      say(`chaos: ${next.what}: done`);
    }
    if (Date.now() - lastReport >= 30_000) {
      lastReport = Date.now();
      const q = await withinMs(observer.stats(), 5_000);
      say(`acknowledged ${driver.ackedEvents.toLocaleString('en')} events (${driver.rate().toFixed(0)}/s last 30 s), ack p99 ${percentile(driver.latencies.slice(-3000), 99).toFixed(0)} ms, backlog ${q ? q.total.waiting + q.total.active + q.total.delayed : '?'} jobs, simulations ${sims.count}`);
    }
  }
  say('load over: waiting for deliveries in flight, then for the queue to drain');
  await driver.stop();
  sims.stop();
  const drainStarted = Date.now();
  const leftInQueue = await drain(observer);
  const drainMs = Date.now() - drainStarted;
  if (backfillMs === undefined) say('waiting for the backfill');
  await backfillDone;
  clearInterval(rss);

  say('auditing: dedupe claims of every acknowledged event, AI notes in the portal, the audit log');
  const processed = await countProcessed(redisUrl, driver.ackedKeys);
  const stats = await observer.stats();
  const notes = await aiNotes();
  const writeLatencies = await eventToWrite(env.DATA_DIR!, sims.callsAt);
  const sandboxMetrics = (await (await fetch(`${sandboxUrl}/_sandbox/metrics`)).json()) as { requests: number; http429: number };
  const lost = driver.ackedEvents - processed;
  const duplicateNotes = [...notes.values()].reduce((n, c) => n + (c - 1), 0);
  const report = {
    minutes: MINUTES,
    rate: RATE,
    sentDeliveries: driver.sent,
    failedAttempts: driver.failedAttempts,
    acked: driver.ackedEvents,
    unacked: driver.unackedEvents,
    processed,
    lost,
    duplicateNotes,
    aiNotes: notes.size,
    deadJobs: stats.total.dead,
    leftInQueue,
    drainMs,
    ackP50: percentile(driver.latencies, 50),
    ackP99: percentile(driver.latencies, 99),
    ackMax: Math.max(0, ...driver.latencies),
    eventToWriteP50: percentile(writeLatencies, 50),
    eventToWriteP95: percentile(writeLatencies, 95),
    writes: writeLatencies.length,
    calls: sims.callsAt.size,
    simulations: sims.count,
    backfillMs: backfillCode === 0 ? backfillMs : undefined,
    backfillRuns,
    hubspotCalls: sandboxMetrics.requests,
    hubspot429: sandboxMetrics.http429,
    rss: {
      serve: Math.max(...procs.serve.all.map((p) => p.peakRss)),
      worker: Math.max(...procs.worker.all.map((w) => w.peakRss)),
      sandbox: procs.sandbox.peakRss,
      redis: Math.max(...everyRedis.map((r) => r.peakRss)),
    },
    workers: procs.worker.all.length,
    restarts: { serve: procs.serve.restarts, worker: procs.worker.restarts },
    load: { min: Math.min(...loads), mean: loads.reduce((a, b) => a + b, 0) / Math.max(1, loads.length), max: Math.max(...loads) },
    cpus: os.cpus().length,
  };
  printReport(report);
  fs.writeFileSync(path.join(tmp, 'report.json'), `${JSON.stringify(report, null, 2)}\n`);
  // "Lost" is only a figure once the queue has drained: jobs still waiting at the deadline fail the run too.
  return lost === 0 && duplicateNotes === 0 && stats.total.dead === 0 && leftInQueue === 0 && backfillCode === 0 ? 0 : 1;
}

/** Company ids from the ground truth, contact ids by listing them (with the read-only checker token). */
async function portalRecords(companies: string[]): Promise<Array<{ type: 'company' | 'contact'; id: string }>> {
  const out: Array<{ type: 'company' | 'contact'; id: string }> = companies.map((id) => ({ type: 'company', id }));
  for await (const o of listAll('contacts', [])) out.push({ type: 'contact', id: o.id });
  return out;
}

async function* listAll(type: string, properties: string[]): AsyncGenerator<{ id: string; properties: Record<string, string | null> }> {
  let after: string | undefined;
  let failures = 0;
  // A plain loop, not do…while: a `continue` there would test `after` and, on a fault answering the first page,
  // end the listing with nothing (an audit that counts 0 AI notes and so finds no duplicate).
  for (;;) {
    const url = `${sandboxUrl}/crm/v3/objects/${type}?limit=100${properties.length ? `&properties=${properties.join(',')}` : ''}${after ? `&after=${after}` : ''}`;
    const res = await fetch(url, { headers: { authorization: `Bearer ${CHECKER}` } });
    if (res.status === 429 || res.status >= 500) {
      // The portal's limits and injected faults apply to us too: the same page again.
      if (++failures > 60) throw new Error(`listing ${type}: ${res.status} sixty times in a row`);
      await new Promise((r) => setTimeout(r, 1_000));
      continue;
    }
    if (!res.ok) throw new Error(`listing ${type}: ${res.status} ${await res.text()}`);
    failures = 0;
    const page = (await res.json()) as { results: Array<{ id: string; properties: Record<string, string | null> }>; paging?: { next?: { after: string } } };
    yield* page.results;
    after = page.paging?.next?.after;
    if (!after) return;
  }
}

/** HubSpot's side of the webhooks: signed deliveries at a fixed rate, at most 10 in flight, retried until 2xx. */
class Driver {
  sent = 0;
  failedAttempts = 0;
  ackedEvents = 0;
  unackedEvents = 0;
  readonly latencies: number[] = [];
  readonly ackedKeys: string[] = [];
  private readonly ackTimes: Array<{ at: number; n: number }> = [];
  private readonly queue: HubSpotEvent[][] = [];
  private inFlight = 0;
  private eventId = 1;
  private ticker: NodeJS.Timeout | undefined;
  private running = false;
  private readonly pending = new Set<Promise<void>>();

  constructor(
    private readonly portalId: number,
    private readonly records: Array<{ type: 'company' | 'contact'; id: string }>,
  ) {}

  start(): void {
    this.running = true;
    const perTick = (RATE / EVENTS_PER_DELIVERY) / 10; // deliveries per 100 ms
    let owed = 0;
    this.ticker = setInterval(() => {
      owed += perTick;
      while (owed >= 1) {
        owed -= 1;
        this.queue.push(this.batch());
      }
      this.pump();
    }, 100);
  }

  async stop(): Promise<void> {
    this.running = false;
    clearInterval(this.ticker);
    while (this.queue.length > 0 || this.pending.size > 0) {
      this.pump();
      await Promise.race([...this.pending, new Promise((r) => setTimeout(r, 200))]);
    }
  }

  rate(): number {
    const since = Date.now() - 30_000;
    return this.ackTimes.filter((a) => a.at >= since).reduce((n, a) => n + a.n, 0) / 30;
  }

  private batch(): HubSpotEvent[] {
    const now = Date.now();
    return Array.from({ length: EVENTS_PER_DELIVERY }, (_, i) => {
      const r = this.records[Math.floor(Math.random() * this.records.length)]!;
      const id = this.eventId++;
      return {
        eventId: id,
        subscriptionId: r.type === 'company' ? 2 : 1,
        portalId: this.portalId,
        appId: 1,
        occurredAt: now + i,
        subscriptionType: `${r.type}.propertyChange`,
        attemptNumber: 0,
        objectId: Number(r.id),
        propertyName: r.type === 'company' ? 'description' : 'jobtitle',
        propertyValue: `soak value ${id}`,
        changeSource: 'CRM_UI',
        sourceId: 'userId:70001',
      };
    });
  }

  private pump(): void {
    while (this.inFlight < IN_FLIGHT && this.queue.length > 0) {
      const events = this.queue.shift()!;
      this.inFlight++;
      const p = this.deliver(events).finally(() => {
        this.inFlight--;
        this.pending.delete(p);
        this.pump();
      });
      this.pending.add(p);
    }
  }

  /** One delivery until acknowledged: HubSpot retries failures and timeouts with a growing delay (compressed). */
  private async deliver(events: HubSpotEvent[]): Promise<void> {
    for (let attempt = 0; attempt < 10; attempt++) {
      const body = JSON.stringify(events.map((e) => ({ ...e, attemptNumber: attempt })));
      const ts = Date.now();
      const headers = {
        'content-type': 'application/json',
        'x-hubspot-signature-v3': signV3({ method: 'POST', uri: webhookUrl, rawBody: body, timestamp: ts, clientSecret: SECRET }),
        'x-hubspot-request-timestamp': String(ts),
      };
      this.sent++;
      const t0 = performance.now();
      const ok = await fetch(webhookUrl, { method: 'POST', body, headers, signal: AbortSignal.timeout(5_000) }).then(
        async (r) => {
          await r.arrayBuffer();
          return r.ok;
        },
        () => false,
      );
      if (ok) {
        this.latencies.push(performance.now() - t0);
        this.ackedEvents += events.length;
        this.ackTimes.push({ at: Date.now(), n: events.length });
        for (const e of events) this.ackedKeys.push(eventDedupeKey(e));
        return;
      }
      this.failedAttempts++;
      await new Promise((r) => setTimeout(r, Math.min(30_000, 500 * 2 ** attempt)));
    }
    this.unackedEvents += events.length;
  }
}

/** People working in the portal: the sandbox writes the records and sends their webhooks itself. */
class Simulations {
  count = 0;
  readonly callsAt = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private readonly kinds = ['call', 'email', 'contact', 'call', 'deal-stage', 'meeting'];

  start(): void {
    this.timer = setInterval(() => void this.once(), 10_000);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private async once(): Promise<void> {
    const kind = this.kinds[this.count % this.kinds.length]!;
    this.count++;
    const t0 = Date.now();
    try {
      const res = await fetch(`${sandboxUrl}/_sandbox/simulate/${kind}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
      if (res.status !== 201) return;
      const body = (await res.json()) as { ids: { calls?: string[] } };
      for (const id of body.ids.calls ?? []) this.callsAt.set(id, t0);
    } catch {
      // a failed simulation is only less load
    }
  }
}

/** Waits until no job is waiting, running or delayed (three polls in a row); returns the jobs left (0 when drained). */
async function drain(q: JobQueue): Promise<number> {
  const deadline = Date.now() + 15 * 60_000;
  let quiet = 0;
  let lastSaid = Date.now();
  while (quiet < 3) {
    const s = await withinMs(q.stats(), 10_000);
    const pending = s ? s.total.waiting + s.total.active + s.total.delayed : Number.NaN;
    quiet = pending === 0 ? quiet + 1 : 0;
    if (Date.now() > deadline) {
      say(`the queue did not drain in 15 minutes (${pending} jobs left); auditing anyway`);
      return pending;
    }
    if (Date.now() - lastSaid >= 30_000) {
      lastSaid = Date.now();
      say(`draining: ${pending} job(s) left`);
    }
    await new Promise((r) => setTimeout(r, 2_000));
  }
  return 0;
}

/** How many acknowledged events the pipeline took: their dedupe claims are in the cache (Redis). */
async function countProcessed(redisUrl: string, keys: string[]): Promise<number> {
  const redis = new Redis(redisUrl, { keyPrefix: `${PREFIX}:` });
  try {
    let n = 0;
    for (let i = 0; i < keys.length; i += 1000) {
      const slice = keys.slice(i, i + 1000);
      const found = await redis.exists(...slice);
      n += found;
    }
    return n;
  } finally {
    redis.disconnect();
  }
}

/** AI notes in the portal by proposal marker (`[hsai:<proposal id>]`): a count above 1 is a duplicate. */
async function aiNotes(): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for await (const o of listAll('notes', ['hs_note_body'])) {
    for (const m of (o.properties.hs_note_body ?? '').matchAll(/\[hsai:([^\]]+)\]/g)) out.set(m[1]!, (out.get(m[1]!) ?? 0) + 1);
  }
  return out;
}

/** From a simulated call to its AI summary note written in HubSpot (the audit log's `applied`), in ms. */
async function eventToWrite(dataDir: string, callsAt: Map<string, number>): Promise<number[]> {
  const handle = await createSql({ dataDir });
  try {
    const rows = (await handle.db
      .selectFrom('audit_entries')
      .select(['proposal_id', 'event', 'at', 'proposal'])
      .where('agent', '=', 'call_summary')
      .where('kind', '=', 'note')
      .where('event', 'in', ['decided', 'applied'])
      .execute()) as Array<{ proposal_id: string; event: string; at: number; proposal: string | null }>;
    const callOf = new Map<string, string>();
    for (const r of rows) {
      if (r.event !== 'decided' || !r.proposal) continue;
      const m = /Summary of calls (\d+)/.exec((JSON.parse(r.proposal) as { rationale?: string }).rationale ?? '');
      if (m) callOf.set(r.proposal_id, m[1]!);
    }
    const firstWrite = new Map<string, number>();
    for (const r of rows) {
      const call = r.event === 'applied' ? callOf.get(r.proposal_id) : undefined;
      if (call && callsAt.has(call)) firstWrite.set(call, Math.min(firstWrite.get(call) ?? Infinity, Number(r.at)));
    }
    return [...firstWrite].map(([call, at]) => at - callsAt.get(call)!);
  } finally {
    await handle.close();
  }
}

async function withinMs<T>(p: Promise<T>, ms: number): Promise<T | undefined> {
  let t: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p, new Promise<undefined>((r) => (t = setTimeout(() => r(undefined), ms)))]);
  } finally {
    clearTimeout(t);
  }
}

/** Stops every process the soak started (also on Ctrl-C: nothing is left running). */
async function cleanup(code: number): Promise<never> {
  stopping = true;
  await observer?.close().catch(() => undefined);
  await Promise.all([procs.serve?.shutdown(), procs.worker?.shutdown(), stop(procs.backfill)]);
  await stop(procs.sandbox);
  await stop(procs.redis);
  if (KEEP || code !== 0) say(`kept ${tmp} (logs, data, report.json)`);
  else fs.rmSync(tmp, { recursive: true, force: true });
  process.exit(code);
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    say(`${signal}: stopping every process of the soak`);
    void cleanup(130);
  });
}

let code = 1;
try {
  code = await main();
} catch (err) {
  say(`soak failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
}
await cleanup(code);
