/**
 * `npm run bench:portals [-- --portals 100 --companies 3]`: many portals in one deployment (issue 19). One
 * embedded deployment in OAuth mode serves N sandbox portals, each installed through the product's own install
 * link and callback. Every portal gets its own webhooks (the sandbox signs and delivers them with its own
 * `portalId`): a note carrying a marker unique to the portal, then a logged call, which the deployment ingests and
 * turns into a call summary proposal. Object ids are the same in every sandbox portal (each numbers its records
 * from the same first id), so an id mixed up between portals would not be caught by ids alone: the markers are.
 *
 * Checked (no cross-talk): every audit row's proposal belongs to the row's portal; every proposal's evidence is in
 * its own portal's vectors and carries no other portal's marker; every portal's vectors hold its own marker and no
 * other; each portal's HubSpot received exactly its own notes (its marker note plus its applied AI notes).
 * Measured (memory): the deployment's RSS with 1 portal at work (baseline, same run) and with all N, after a GC;
 * the increment per portal; the peak while the N portals worked. The sandbox portals run in a child process, so
 * HubSpot's memory is not counted. Goal: RSS with N portals ≤ 2 × RSS with 1 portal.
 */
import os from 'node:os';
import { parseArgs } from 'node:util';

for (const k of ['REDIS_URL', 'DATABASE_URL', 'QDRANT_URL', 'OPENAI_API_KEY', 'OPENAI_BASE_URL', 'HUBSPOT_ACCESS_TOKEN']) delete process.env[k];

const { values: args } = parseArgs({
  options: {
    portals: { type: 'string', default: '100' },
    companies: { type: 'string', default: '3' },
    'coalesce-ms': { type: 'string', default: '200' },
    parallel: { type: 'string', default: '10' },
  },
  strict: true,
});
const N = Math.max(2, Number(args.portals));
const COMPANIES = Math.max(1, Number(args.companies));
const PARALLEL = Math.max(1, Number(args.parallel));
const GOAL_RSS_RATIO = 2;
const FIRST = 9100;
const ids = Array.from({ length: N }, (_, i) => FIRST + i);
const marker = (p: number | string) => `xtalk-${p}-mark`;
const MARKER = /xtalk-(\d+)-mark/g;

const [{ startPortalsProcess }, { freePort }, { loadConfig }, { createContainer }, { buildServiceApp }, { createLogger }, { installPortal, oauthDeploymentEnv, sandboxOAuthApp }, { startWorkers }, { tempDir }] = await Promise.all([
  import('./lib/portals-process.ts'),
  import('../src/runtime/free-port.ts'),
  import('../src/config/config.ts'),
  import('../src/runtime/container.ts'),
  import('../src/runtime/http.ts'),
  import('../src/logging.ts'),
  import('../src/testing/oauth-install.ts'),
  import('../src/runtime/workers.ts'),
  import('../test/support/tmp.ts'),
]);

const say = (s: string) => process.stdout.write(`${s}\n`);
const mb = (bytes: number) => (bytes / 2 ** 20).toFixed(1);
const gc = (globalThis as { gc?: () => void }).gc;
async function settledRss(): Promise<number> {
  for (let i = 0; i < 3; i++) {
    gc?.();
    await new Promise((r) => setImmediate(r));
  }
  return process.memoryUsage().rss;
}
async function inBatches<T>(items: T[], size: number, work: (item: T) => Promise<void>): Promise<void> {
  for (let i = 0; i < items.length; i += size) await Promise.all(items.slice(i, i + size).map(work));
}

const t0 = Date.now();
const port = await freePort();
const publicUrl = `http://127.0.0.1:${port}`;
say(`generating ${N} sandbox portals (${COMPANIES} companies each) in a child process …`);
const sb = await startPortalsProcess({
  portals: ids.map((portalId, i) => ({ portalId, companies: COMPANIES, whales: 0, seed: 100 + i })),
  oauth: sandboxOAuthApp('portals-bench', publicUrl),
  rateLimit: 0,
  webhookTarget: `${publicUrl}/webhooks/hubspot`,
  webhookBatchMs: 50,
});
const tmp = tempDir('hsai-portals-');
const config = loadConfig({
  ...oauthDeploymentEnv(sb, { dataDir: tmp.dir, publicUrl }),
  WEBHOOK_COALESCE_MS: args['coalesce-ms'],
  LOG_LEVEL: 'warn',
});
const container = createContainer(config, createLogger('warn', 'bench-portals'));
const app = await buildServiceApp(container);
await app.listen({ port, host: '127.0.0.1' });
const workers = await startWorkers(container);
const queue = await container.queue();
const sql = await container.sql();
const store = await container.store();

async function install(portalId: number): Promise<void> {
  await installPortal(app, portalId);
  await (await container.portal(String(portalId))).writeback.setup();
}

const notesBefore = new Map<number, number>();
/** The portal's own webhooks: a note with its marker, then a call on the same company. */
async function activity(portalId: number): Promise<void> {
  notesBefore.set(portalId, (await sb.counts(portalId)).notes ?? 0);
  const companyId = (await sb.companies(portalId))[0]!;
  for (const [kind, body] of [
    ['note', { companyId, text: `Account review. Cross-talk check: this account's portal marker is ${marker(portalId)}.` }],
    ['call', { companyId }],
  ] as const) {
    const res = await fetch(`${sb.url}/_sandbox/portals/${portalId}/simulate/${kind}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    if (res.status !== 201) throw new Error(`simulate/${kind} on ${portalId} answered ${res.status}: ${await res.text()}`);
  }
}

/** Portals with a call summary decided (applied or queued for review). */
async function portalsWithProposal(): Promise<Set<string>> {
  const rows = await sql.db.selectFrom('audit_entries').select('portal_id').distinct().where('agent', '=', 'call_summary').where('event', 'in', ['applied', 'queued']).execute();
  return new Set(rows.map((r: { portal_id: string | null }) => String(r.portal_id)));
}

async function waitForProposals(portals: number[], ms: number): Promise<{ decided: number; drained: number }> {
  const start = Date.now();
  const deadline = start + ms;
  let last = -1;
  for (;;) {
    await sb.flushWebhooks();
    const done = await portalsWithProposal();
    const missing = portals.filter((p) => !done.has(String(p)));
    if (missing.length !== last && portals.length > 1) {
      last = missing.length;
      say(`  ${portals.length - missing.length}/${portals.length} portals have their call summary (${((Date.now() - start) / 1000).toFixed(0)} s, load ${os.loadavg()[0]!.toFixed(1)})`);
    }
    if (missing.length === 0) {
      const decided = Date.now() - start;
      await queue.drain(600_000);
      return { decided, drained: Date.now() - start };
    }
    if (Date.now() > deadline) throw new Error(`no call summary within ${ms / 1000} s for portals ${missing.slice(0, 10).join(', ')}${missing.length > 10 ? ' …' : ''}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

let exitCode = 0;
try {
  const rssEmpty = await settledRss();
  say(`deployment started: RSS ${mb(rssEmpty)} MB with no portal (${gc ? 'after a GC' : 'no --expose-gc: RSS without a forced GC'})`);

  // Baseline: one portal installed and at work.
  await install(ids[0]!);
  await activity(ids[0]!);
  const oneMs = await waitForProposals([ids[0]!], 180_000);
  const rssOne = await settledRss();
  say(`1 portal: call summary in ${(oneMs.decided / 1000).toFixed(1)} s; RSS ${mb(rssOne)} MB`);

  // All N portals.
  let peak = 0;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 250);
  const tInstall = Date.now();
  await inBatches(ids.slice(1), PARALLEL, install);
  say(`installed ${N - 1} more portals through OAuth in ${((Date.now() - tInstall) / 1000).toFixed(1)} s`);
  await inBatches(ids.slice(1), PARALLEL, activity);
  const allMs = await waitForProposals(ids, 900_000);
  clearInterval(sampler);
  const rssAll = await settledRss();

  // Cross-talk checks.
  const problems: string[] = [];
  const problem = (s: string) => {
    if (problems.length < 20) problems.push(s);
    else if (problems.length === 20) problems.push('…');
  };
  const rows = (await sql.db.selectFrom('audit_entries').select(['portal_id', 'event', 'agent', 'kind', 'proposal']).execute()) as Array<{ portal_id: string | null; event: string; agent: string | null; kind: string | null; proposal: string | null }>;
  const served = new Set(ids.map(String));
  let proposals = 0;
  let evidenceChecked = 0;
  const appliedNotes = new Map<string, number>();
  for (const r of rows) {
    const portal = String(r.portal_id);
    if (!served.has(portal)) problem(`audit row of unknown portal ${portal}`);
    if (r.event === 'applied' && r.kind === 'note') appliedNotes.set(portal, (appliedNotes.get(portal) ?? 0) + 1);
    if (!r.proposal) continue;
    const proposal = JSON.parse(r.proposal) as { portalId?: string; evidence?: string[] };
    if (proposal.portalId !== undefined && String(proposal.portalId) !== portal) problem(`audit row of portal ${portal} carries a proposal of portal ${proposal.portalId}`);
    if (r.event !== 'decided') continue;
    proposals += 1;
    const evidence = proposal.evidence ?? [];
    const chunks = await store.getChunks(portal, evidence);
    if (chunks.length !== evidence.length) problem(`portal ${portal}: ${evidence.length - chunks.length} evidence chunk(s) not in its own vectors`);
    for (const c of chunks) {
      evidenceChecked += 1;
      for (const m of c.text.matchAll(MARKER)) if (m[1] !== portal) problem(`portal ${portal}: evidence ${c.id} carries portal ${m[1]}'s marker`);
    }
  }
  let chunksChecked = 0;
  for (const p of ids) {
    const portal = String(p);
    let own = 0;
    for (const account of await store.listAccounts(portal)) {
      const keys = await store.listChunkKeys(portal, account);
      const chunks = await store.getChunks(portal, keys.map((k) => k.id));
      for (const c of chunks) {
        chunksChecked += 1;
        for (const m of c.text.matchAll(MARKER)) {
          if (m[1] === portal) own += 1;
          else problem(`portal ${portal}: chunk ${c.id} carries portal ${m[1]}'s marker`);
        }
      }
    }
    if (own === 0) problem(`portal ${portal}: its marker note is not in its vectors`);
    const notes = (await sb.counts(p)).notes ?? 0;
    const expected = (notesBefore.get(p) ?? 0) + 1 + (appliedNotes.get(portal) ?? 0);
    if (notes !== expected) problem(`portal ${portal}: HubSpot holds ${notes} notes, expected ${expected} (its marker note and its ${appliedNotes.get(portal) ?? 0} applied AI notes)`);
  }

  const perPortal = (rssAll - rssOne) / (N - 1);
  const ratio = rssAll / rssOne;
  say('');
  say(`${N} portals in one embedded deployment (OAuth, offline provider), ${COMPANIES} companies each, ${os.cpus().length} cores, load ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}`);
  say(`  all ${N} portals' call summaries decided in ${(allMs.decided / 1000).toFixed(1)} s, their queue drained in ${(allMs.drained / 1000).toFixed(1)} s; ${rows.length} audit rows, ${proposals} proposals, ${evidenceChecked} evidence chunks, ${chunksChecked} vectors checked`);
  say(`  RSS: no portal ${mb(rssEmpty)} MB; 1 portal ${mb(rssOne)} MB (baseline); ${N} portals ${mb(rssAll)} MB (peak ${mb(peak)} MB)`);
  say(`  RSS per portal: ${mb(perPortal)} MB each beyond the first ((RSS_${N} − RSS_1) / ${N - 1}); ${mb(rssAll / N)} MB total / portal; ratio RSS_${N} / RSS_1 = ${ratio.toFixed(2)}×`);
  for (const p of problems) say(`  cross-talk: ${p}`);
  const noCrossTalk = problems.length === 0;
  const bounded = ratio <= GOAL_RSS_RATIO;
  say(`goal no cross-talk between ${N} portals (audit rows, proposals, evidence, vectors, HubSpot writes): ${noCrossTalk ? 'met' : 'NOT MET'}`);
  say(`goal RSS with ${N} portals ≤ ${GOAL_RSS_RATIO} × RSS with 1 portal: ${bounded ? 'met' : 'NOT MET'} (${ratio.toFixed(2)}×)`);
  say(`(${((Date.now() - t0) / 1000).toFixed(0)} s in all)`);
  if (!noCrossTalk) exitCode = 1;
} finally {
  await workers.close(10_000);
  await app.close();
  await container.close();
  await sb.close();
  tmp.cleanup();
}
process.exit(exitCode);
