/**
 * `npm run bench:fairness [-- --companies-a 2450 --companies-b 15 --samples 40 --reps 2 --spare-a 3]`: fairness across
 * portals. One embedded deployment in OAuth mode serves portal B and, for each repetition, a fresh portal A (same
 * generator seed and size, never indexed before, so every repetition's backfill does the same work: nothing is in
 * the embedding cache or the vector store yet). All are installed through the product's own install link. Portal
 * B's webhook-to-write latency is measured as bench:latency measures it (a call logged on a company ▸ signed
 * webhook ▸ ingest ▸ call summary ▸ its first `applied` or `queued` audit entry), first with A idle, then while A's
 * full backfill (`hubspot-ai backfill --restart` for A, its own process on the same data directory, as an operator
 * runs it) indexes A's records. Only samples whose write landed while A's backfill was still running count. A is
 * kept busy for the whole phase: when its backfill ends before the phase has all its samples, the backfill of a
 * spare portal A (as large, never indexed; `--spare-a` of them, shared by the reps) starts at once; if the spares
 * run out, the repetition is inconclusive (printed with how many samples fell inside) and a larger `--companies-a`
 * or more spares are needed. 40 samples a phase by default, so the p95 is the 38th of 40, not the maximum. Three
 * spares by default: on a quiet machine one backfill of A lasted about 23 of B's samples (2026-12-01), so each rep's
 * busy phase spans two backfills and two reps need four portals A; the fifth is margin (a spare never started costs
 * only its generation in the sandbox). With one spare the second rep ran out (23 of 40 samples inside).
 * Goal (issue 19): B's p95 with A backfilling ≤ 1.5 × B's p95 with A idle, in every repetition. Each phase also
 * prints where B's time went (median per stage: to its webhook batch, the waits between B's jobs, each job's run)
 * and this process's event-loop delay, to tell queueing from slow work.
 *
 * The default size of A, 2,450 companies, is about 100k records (~41 a company). The sandbox portals run in a
 * child process (HubSpot's servers); HubSpot's rate limit is the product's own (HUBSPOT_RATE_LIMIT, per portal).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { portalOfJob } from '../src/queue/queue.ts';
import { repsOption, spread, verdict } from './lib/reps.ts';

for (const k of ['REDIS_URL', 'DATABASE_URL', 'QDRANT_URL', 'OPENAI_API_KEY', 'OPENAI_BASE_URL', 'HUBSPOT_ACCESS_TOKEN']) delete process.env[k];

const { values: args } = parseArgs({
  options: {
    'companies-a': { type: 'string', default: '2450' },
    'companies-b': { type: 'string', default: '15' },
    samples: { type: 'string', default: '40' },
    'spare-a': { type: 'string', default: '3' },
    'coalesce-ms': { type: 'string', default: '2000' },
    'rate-limit': { type: 'string', default: '190' },
    reps: { type: 'string' },
  },
  strict: true,
});
const COMPANIES_A = Number(args['companies-a']);
const COMPANIES_B = Number(args['companies-b']);
const SAMPLES = Math.max(3, Number(args.samples));
const REPS = repsOption(2);
const GOAL_RATIO = 1.5;
const B = 7002;
/** Portals A (7001, 7003, …): one per repetition, then the spares any phase takes when its A's backfill is over. */
const portalA = (i: number) => 7001 + 2 * (i - 1);
const SPARES = Math.max(0, Number(args['spare-a']));
const startedAt = Date.now();

const [{ startPortalsProcess }, { freePort }, { loadConfig }, { createContainer }, { buildServiceApp }, { createLogger }, { installPortal, oauthDeploymentEnv, sandboxOAuthApp }, { createJobHandlers }, { runBackfill }, { SqlCheckpointStore }, { tempDir }] =
  await Promise.all([
    import('./lib/portals-process.ts'),
    import('../src/runtime/free-port.ts'),
    import('../src/config/config.ts'),
    import('../src/runtime/container.ts'),
    import('../src/runtime/http.ts'),
    import('../src/logging.ts'),
    import('../src/testing/oauth-install.ts'),
    import('../src/runtime/workers.ts'),
    import('../src/ingest/backfill.ts'),
    import('../src/ingest/checkpoint-store.ts'),
    import('../test/support/tmp.ts'),
  ]);

const say = (s: string) => process.stdout.write(`${s}\n`);
const load = () => os.loadavg()[0]!.toFixed(1);
function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))]!;
}

const port = await freePort();
const publicUrl = `http://127.0.0.1:${port}`;
say(`generating the sandbox portals: ${REPS} + ${SPARES} × A of ${COMPANIES_A} companies (one per rep, then spares), B ${COMPANIES_B} companies …`);
const portalsA = Array.from({ length: REPS + SPARES }, (_, i) => portalA(i + 1));
const spares = portalsA.slice(REPS);
const sb = await startPortalsProcess({
  portals: [...portalsA.map((portalId) => ({ portalId, companies: COMPANIES_A, seed: 7 })), { portalId: B, companies: COMPANIES_B, seed: 11 }],
  oauth: sandboxOAuthApp('fairness', publicUrl),
  rateLimit: 0,
  webhookTarget: `${publicUrl}/webhooks/hubspot`,
  webhookBatchMs: 50,
});
const tmp = tempDir('hsai-fairness-');
const env: Record<string, string> = {
  ...oauthDeploymentEnv(sb, { dataDir: tmp.dir, publicUrl }),
  HUBSPOT_RATE_LIMIT: args['rate-limit'],
  WEBHOOK_COALESCE_MS: args['coalesce-ms'],
  LOG_LEVEL: 'warn',
};
const config = loadConfig(env);
const container = createContainer(config, createLogger('warn', 'bench-fairness'));
const app = await buildServiceApp(container);
await app.listen({ port, host: '127.0.0.1' });
let backfill: ChildProcess | undefined;

/** A's full backfill in its own process; resolves once it has listed A's structure and is indexing. */
function startBackfillOfA(a: number): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['bin/hubspot-ai.js', 'backfill', '--restart', '--json'], {
    env: { ...process.env, ...env, HUBSPOT_PORTAL_ID: String(a), LOG_LEVEL: 'info', LOG_FORMAT: 'json' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    let seen = '';
    const onData = (d: Buffer) => {
      seen = (seen + d.toString()).slice(-4000);
      if (seen.includes('portal structure listed')) resolve(child);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => reject(new Error(`the backfill of A ended before indexing (${code}): ${seen.slice(-800)}`)));
  });
}

async function stopBackfill(child: ChildProcess): Promise<{ finished: boolean }> {
  if (child.exitCode !== null) return { finished: true };
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
  return { finished: false };
}

try {
  for (const p of [...portalsA, B]) {
    await installPortal(app, p);
    await (await container.portal(String(p))).writeback.setup();
  }
  const scopeB = await container.portal(String(B));
  say('backfilling portal B (before measuring) …');
  {
    const sql = await container.sql();
    const checkpoints = new SqlCheckpointStore(sql, false);
    await checkpoints.init();
    await runBackfill({ gateway: scopeB.gateway, indexer: scopeB.indexer, store: await container.store(), checkpoints }, { concurrency: 2 });
  }
  const queue = await container.queue();
  // The product's own handlers and worker options (runtime/workers.ts), timed per job for the breakdown.
  const runs: Array<{ type: string; portal: string; start: number; end: number }> = [];
  const handlers = await createJobHandlers(container);
  const timed = Object.fromEntries(
    Object.entries(handlers).map(([type, h]) => [
      type,
      async (job: Parameters<NonNullable<typeof h>>[0]) => {
        const start = Date.now();
        try {
          await h(job);
        } finally {
          runs.push({ type, portal: portalOfJob(job.type, job.payload), start, end: Date.now() });
        }
      },
    ]),
  );
  const workers = queue.work(timed, { concurrency: container.config.QUEUE_CONCURRENCY, concurrencyOf: { 'webhook.batch': container.config.WEBHOOK_BATCH_CONCURRENCY } });
  const loopDelay = monitorEventLoopDelay({ resolution: 10 });
  const settle = async () => {
    await sb.flushWebhooks();
    await queue.drain(120_000);
  };
  await settle();
  const companies = await sb.companies(B);

  /** Where one sample's time went: B's jobs in order, the waits between them, and the run of each. */
  type Stages = Record<string, number>;
  const stagesOf = (t0: number, tWrite: number): Stages => {
    const mine = runs.filter((r) => r.portal === String(B) && r.start >= t0).sort((a, b) => a.start - b.start);
    const first = (type: string) => mine.find((r) => r.type === type);
    const batch = first('webhook.batch');
    const ingest = first('ingest.record');
    const gen = first('generate.call_summary');
    if (!batch || !ingest || !gen) return {};
    return {
      'to batch': batch.start - t0,
      'batch run': batch.end - batch.start,
      'wait ingest': ingest.start - batch.end,
      'ingest run': ingest.end - ingest.start,
      'wait generate': gen.start - ingest.end,
      'generate to write': tWrite - gen.start,
    };
  };
  const phaseStages: Stages[] = [];

  let n = 0;
  /** While A's backfill runs, whether it was still running when the sample's write was seen. */
  let backfillRunning: (() => boolean) | undefined;
  let lastInside = false;
  const sample = async (): Promise<number> => {
    const companyId = companies[n++ % companies.length]!;
    const since = new Date(Date.now() - 1).toISOString();
    const t0 = Date.now();
    const res = await fetch(`${sb.url}/_sandbox/portals/${B}/simulate/call`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ companyId }),
    });
    if (res.status !== 201) throw new Error(`simulate/call answered ${res.status}: ${await res.text()}`);
    const deadline = Date.now() + 120_000;
    for (;;) {
      if (Date.now() > deadline) throw new Error(`no call summary was written on portal B within 120 s (company ${companyId})`);
      const entries = await scopeB.writeback.audit({ since, agent: 'call_summary', limit: 200 });
      const first = entries.filter((e) => (e.event === 'applied' || e.event === 'queued') && Date.parse(e.at) >= t0).sort((a, b) => a.at.localeCompare(b.at))[0];
      if (first) {
        lastInside = backfillRunning?.() ?? false;
        const ms = Date.parse(first.at) - t0;
        await settle();
        phaseStages.push(stagesOf(t0, Date.parse(first.at)));
        return ms;
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  };

  /** The median of each stage over the phase's samples, and this process's event-loop delay during the phase. */
  const phaseStart = () => {
    phaseStages.length = 0;
    loopDelay.reset();
    loopDelay.enable();
  };
  const phaseProfile = (label: string) => {
    loopDelay.disable();
    const names = Object.keys(phaseStages.find((s) => Object.keys(s).length > 0) ?? {});
    const parts = names.map((k) => `${k} ${quantile(phaseStages.map((s) => s[k] ?? 0), 0.5)}`);
    say(`    ${label} medians (ms): ${parts.join(', ')}; event-loop delay p99 ${(loopDelay.percentile(99) / 1e6).toFixed(0)} ms, max ${(loopDelay.max / 1e6).toFixed(0)} ms`);
  };

  const reps: Array<{ idle: number[]; busy: number[]; loadIdle: string; loadBusy: string; inside: number; tries: number; portalsA: number[] }> = [];
  for (let r = 1; r <= REPS; r++) {
    const A = portalA(r);
    const idle: number[] = [];
    phaseStart();
    for (let i = 0; i < SAMPLES; i++) idle.push(await sample());
    const loadIdle = load();
    say(`rep ${r}: A idle     p50 ${quantile(idle, 0.5)} ms  p95 ${quantile(idle, 0.95)} ms  (load ${loadIdle})`);
    phaseProfile('A idle');
    say(`rep ${r}: starting the backfill of A (portal ${A}, ${COMPANIES_A} companies, never indexed) in its own process …`);
    let child = await startBackfillOfA(A);
    const used = [A];
    backfill = child;
    backfillRunning = () => child.exitCode === null;
    const tBackfill = Date.now();
    // Only samples written while A's backfill still ran count. The phase ends with SAMPLES of them; A stays busy
    // throughout (a spare A's backfill starts when one ends), unless the spares run out.
    const busy: number[] = [];
    let tries = 0;
    phaseStart();
    while (busy.length < SAMPLES) {
      if (child.exitCode !== null) {
        const next = spares.shift();
        if (next === undefined) break;
        say(`rep ${r}: A's backfill ended after ${((Date.now() - tBackfill) / 1000).toFixed(0)} s with ${busy.length} of ${SAMPLES} samples; starting spare A (portal ${next}) …`);
        child = await startBackfillOfA(next);
        backfill = child;
        used.push(next);
      }
      const ms = await sample();
      tries += 1;
      if (lastInside) busy.push(ms);
    }
    const loadBusy = load();
    const finished = (await stopBackfill(child)).finished;
    backfill = undefined;
    backfillRunning = undefined;
    const inside = busy.length;
    say(
      `rep ${r}: A backfill p50 ${inside ? quantile(busy, 0.5) : '-'} ms  p95 ${inside ? quantile(busy, 0.95) : '-'} ms  (load ${loadBusy}; ${inside} of ${SAMPLES} samples inside A's backfill, portals A ${used.join(', ')}` +
        `${finished ? `; the last finished after ${((Date.now() - tBackfill) / 1000).toFixed(0)} s with no spare left: raise --companies-a or --spare-a` : ', stopped after the phase'})`,
    );
    phaseProfile('A backfilling');
    reps.push({ idle, busy, loadIdle, loadBusy, inside, tries, portalsA: used });
  }
  await workers.close(10_000);

  const measured = reps.filter((x) => x.inside > 0);
  const ratioOf = (x: (typeof reps)[number]) => quantile(x.busy, 0.95) / quantile(x.idle, 0.95);
  const complete = reps.every((x) => x.inside === SAMPLES);
  say('');
  say(`portal B webhook → write, embedded, offline provider, WEBHOOK_COALESCE_MS=${args['coalesce-ms']}, ${SAMPLES} calls a phase, ${REPS} reps (${os.cpus().length} cores)`);
  for (const [i, x] of reps.entries()) {
    const busyP95 = x.inside > 0 ? `${quantile(x.busy, 0.95)} ms` : '-';
    say(
      `  rep ${i + 1}: idle p95 ${quantile(x.idle, 0.95)} ms (load ${x.loadIdle}), A backfilling p95 ${busyP95} (load ${x.loadBusy}; ${x.inside} of ${SAMPLES} samples inside A's backfill, ${x.tries} taken)` +
        `${x.inside > 0 ? `, ratio ${ratioOf(x).toFixed(2)}× ≤ ${GOAL_RATIO}×: ${ratioOf(x) > GOAL_RATIO ? verdict(false) : x.inside === SAMPLES ? verdict(true) : 'inconclusive'}` : ''}` +
        `${x.portalsA.length > 1 ? ` (A: ${x.portalsA.join(' then ')})` : ''}`,
    );
  }
  const ratios = measured.map(ratioOf);
  if (ratios.length > 0) say(`  ratio over reps ${spread(ratios)}×; baseline (same run): B's p95 with A idle ${spread(reps.map((x) => quantile(x.idle, 0.95)), (v) => `${v}`)} ms`);
  const over = ratios.some((x) => x > GOAL_RATIO);
  // A repetition whose busy phase had fewer samples than asked can show a miss, never a pass.
  const result = over ? verdict(false) : complete ? verdict(true) : `inconclusive (A's backfills ended before ${SAMPLES} samples in some rep: raise --companies-a or --spare-a)`;
  say(`goal p95(A backfilling) ≤ ${GOAL_RATIO} × p95(A idle) in every rep: ${result} (${((Date.now() - startedAt) / 1000).toFixed(0)} s in all)`);
} finally {
  if (backfill) await stopBackfill(backfill).catch(() => undefined);
  await app.close();
  await container.close();
  await sb.close();
  tmp.cleanup();
}
process.exit(0);
