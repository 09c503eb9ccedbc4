/**
 * `npm run bench:card`: how long an approve or reject takes through the app card's backend, as HubSpot's
 * `hubspot.fetch` would call it (v3-signed, user and portal appended), against the sandbox portal: signature check,
 * portal check, the review's re-read of the record, the HubSpot write and the audit. Baseline in the same run: a
 * signed GET of the card's list for a record with nothing pending (verification and one query, no write).
 * Goal (issue 16): p95 under 1 s in each of `--reps N` (default 3) repetitions of `BENCH_REVIEWS` (40) actions;
 * the spread of the repetitions' p95 is printed.
 */
import { ActionWaiters } from '../src/actions/waiters.ts';
import { buildApp } from '../src/api/app.ts';
import { hubspotRoutes } from '../src/api/routes/hubspot.ts';
import { createSql } from '../src/db/sql.ts';
import { createHubSpotGateway } from '../src/hubspot/create-gateway.ts';
import { createQueue } from '../src/queue/create-queue.ts';
import { startSandbox } from '../src/sandbox/index.ts';
import { createWriteback } from '../src/writeback/create-writeback.ts';
import { defaultPolicy } from '../src/writeback/policy.ts';
import { hubspotFetch } from '../test/support/hubspot-fetch.ts';
import { tempDir } from '../test/support/tmp.ts';
import { repsOption, spread, verdict } from './lib/reps.ts';

const N = Number(process.env.BENCH_REVIEWS ?? 40);
const REPS = repsOption(3);
const SECRET = 'bench-card-secret-0001';

const tmp = tempDir('hsai-bench-card-');
const sandbox = await startSandbox({ port: 0, seed: 7, companies: 40, rateLimit: 0, latencyMs: Number(process.env.BENCH_LATENCY_MS ?? 0) });
const gateway = createHubSpotGateway({ baseUrl: sandbox.url, accessToken: sandbox.token, rateLimitPer10s: 5000, searchPerSecond: 50, timeoutMs: 10_000, maxRetries: 2 });
const sql = await createSql({ dataDir: tmp.dir });
const writeback = await createWriteback({ gateway, sql, policy: defaultPolicy(), dryRun: false, killSwitch: false, appId: sandbox.appId, ownerTasks: { enabled: true } });
await writeback.setup();
const queue = await createQueue({ dataDir: tmp.dir, defaultMaxAttempts: 1 });
const app = await buildApp({
  tokens: [],
  routes: [{ name: 'hubspot', plugin: hubspotRoutes, opts: { queue, writeback, waiters: new ActionWaiters(), clientSecret: SECRET, acceptV2ForActions: false, actionWaitMs: 0, maxBodyBytes: 1_048_576 } }],
});
const base = await app.listen({ port: 0, host: '127.0.0.1' });
const portalId = await gateway.portalId();
const fetcher = hubspotFetch({ clientSecret: SECRET, portalId, user: { id: 4711, email: 'rep@example.com' } });

const contacts = (await gateway.listObjects('contacts', { limit: N * REPS })).results.map((c) => c.id);
const ids: string[] = [];
for (const [i, contact] of contacts.entries()) {
  const accountId = (await gateway.accountsOf('contacts', contact))[0] ?? `contact:${contact}`;
  const now = new Date().toISOString();
  const [r] = await writeback.submit(
    [{ id: `bench:${contact}`, portalId, accountId, runId: 'bench-card', target: { objectType: 'contacts', objectId: contact }, kind: 'property', field: 'ai_summary', value: `Summary ${i}: renewal at risk, champion left.`, confidence: 0.2, evidence: [], agent: 'call_summary', promptVersion: 'bench', model: 'bench', createdAt: now }],
    { agent: 'call_summary', runId: 'bench-card', provider: 'offline', model: 'bench', promptVersion: 'bench', prompt: '', response: '', usage: { inputTokens: 0, outputTokens: 0, costUsd: 0 }, inputs: { recordIds: [], chunkIds: [] }, startedAt: now, finishedAt: now },
  );
  if (r?.status === 'pending_review') ids.push(r.detail!);
}

const time = async (fn: () => Promise<Response>): Promise<number> => {
  const t = performance.now();
  const res = await fn();
  await res.arrayBuffer();
  if (!res.ok) throw new Error(`HTTP ${res.status}`);
  return performance.now() - t;
};
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))] ?? NaN;

const baseline: number[] = [];
const actions: number[] = [];
for (const [i, id] of ids.entries()) {
  baseline.push(await time(() => fetcher(`${base}/hubspot/card/reviews?objectType=companies&objectId=1`)));
  actions.push(await time(() => (i % 2 === 0 ? fetcher(`${base}/hubspot/card/reviews/${id}/approve`, { method: 'POST', body: {} }) : fetcher(`${base}/hubspot/card/reviews/${id}/reject`, { method: 'POST', body: { reason: 'bench' } }))));
}
const f = (n: number) => `${n.toFixed(1)} ms`;
const per = Math.max(1, Math.floor(actions.length / REPS));
const repP95 = (xs: number[]) => Array.from({ length: REPS }, (_, r) => pct(xs.slice(r * per, (r + 1) * per), 95)).filter((x) => !Number.isNaN(x));
const actionReps = repP95(actions);
console.log(`${actions.length} card approvals/rejections (half each) against the sandbox, ${REPS} repetitions of ${per}${process.env.BENCH_LATENCY_MS ? ` (+${process.env.BENCH_LATENCY_MS} ms per HubSpot call)` : ''}`);
console.log(`  approve/reject  p50 ${f(pct(actions, 50))}  p95 ${spread(actionReps, f)} over the repetitions  max ${f(Math.max(...actions))}`);
console.log(`  baseline (signed list, nothing pending)  p50 ${f(pct(baseline, 50))}  p95 ${spread(repP95(baseline), f)}`);
console.log(`  ratio p95 ${(pct(actions, 95) / pct(baseline, 95)).toFixed(1)}×; goal p95 < 1000 ms in every repetition: ${verdict(actionReps.every((x) => x < 1000))}`);
console.log(`  load average ${(await import('node:os')).loadavg().map((x) => x.toFixed(1)).join(', ')} (2 cores shared)`);

await app.close();
await queue.close();
await writeback.close();
await sql.close();
await gateway.close();
await sandbox.close();
tmp.cleanup();
