/**
 * `npm run bench:latency`: webhook-to-write latency of the embedded product with the offline provider. The real
 * app listens on loopback, the sandbox portal delivers signed webhook batches to it, the workers run ingest and
 * generation, the write-back writes to the sandbox. Each sample is one call a person logs on a company (with a
 * transcript): from the moment it is created in the portal to the moment the call summary's first write lands in
 * HubSpot (its `applied` audit entry; a proposal held for review counts at its `queued` entry, since that is
 * where an automatic write stops). Calls are logged one at a time, each after the last one's write.
 *
 * Baseline, in the same run and on the same calls: the same agent run on demand through the API
 * (`POST /v1/accounts/:id/generate/call_summary`, dry run) once the call is indexed: what the generation itself
 * costs without webhook delivery, queueing and ingest. The ratio is the pipeline's latency over that.
 * Goal (issue 17): p95 ≤ 3 s. `BENCH_SAMPLES` (default 20) calls; `BENCH_COMPANIES` (default 15) companies;
 * `BENCH_COALESCE_MS` (default 2,000, the product's default WEBHOOK_COALESCE_MS): the ingest coalescing window;
 * a call's creation asks for a summary, so its ingest starts at once and only the events behind it wait the window.
 */
import os from 'node:os';
import { performance } from 'node:perf_hooks';

// Embedded mode whatever the shell exports: SQLite queue, cache, store; no Redis, PostgreSQL or Qdrant.
for (const k of ['REDIS_URL', 'DATABASE_URL', 'QDRANT_URL', 'OPENAI_API_KEY', 'OPENAI_BASE_URL']) delete process.env[k];

const SAMPLES = Math.max(3, Number(process.env.BENCH_SAMPLES ?? 20));
const COMPANIES = Math.max(5, Number(process.env.BENCH_COMPANIES ?? 15));
const GOAL_P95_MS = 3_000;
/** WEBHOOK_COALESCE_MS: events behind a record's leading ingest wait this long; the product's default is 2,000. */
const COALESCE_MS = Number(process.env.BENCH_COALESCE_MS ?? 2_000);

const { startE2eStack, companyWithOpenDeal } = await import('../test/e2e/e2e-stack.ts');

function quantile(sorted: number[], q: number): number {
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i]!;
}

async function main(): Promise<void> {
  const load = os.loadavg()[0]!.toFixed(2);
  process.stdout.write(`starting the embedded stack (sandbox with ${COMPANIES} companies, backfill, workers)…\n`);
  const s = await startE2eStack({ companies: COMPANIES, env: { WEBHOOK_COALESCE_MS: String(COALESCE_MS) } });
  const wb = await s.container.writeback();
  const truth = s.sandbox.groundTruth();
  const companies = truth.companies.map((c) => c.id).filter((id) => !truth.whaleAccountIds.includes(id));
  const pipeline: number[] = [];
  const onDemand: number[] = [];
  let held = 0;
  try {
    for (let i = 0; i < SAMPLES; i++) {
      const companyId = i === 0 ? companyWithOpenDeal(truth, truth.whaleAccountIds) : companies[i % companies.length]!;
      const since = new Date(Date.now() - 1).toISOString();
      const t0 = Date.now();
      const call = await s.simulate('call', { companyId });
      const callId = call.ids.calls?.[0];
      if (!callId) throw new Error('the sandbox logged no call');
      // The first write (or review hold) of a call summary about this call's account, after the call existed.
      const deadline = Date.now() + 60_000;
      let at: number | undefined;
      while (at === undefined) {
        if (Date.now() > deadline) throw new Error(`no call summary was written for call ${callId} within 60 s`);
        const entries = await wb.audit({ since, agent: 'call_summary', limit: 200 });
        const first = entries
          .filter((e) => (e.event === 'applied' || e.event === 'queued') && Date.parse(e.at) >= t0)
          .sort((a, b) => a.at.localeCompare(b.at))[0];
        if (first) {
          at = Date.parse(first.at);
          if (first.event === 'queued') held += 1;
        } else await new Promise((r) => setTimeout(r, 20));
      }
      pipeline.push(at - t0);
      await s.settle();

      const started = performance.now();
      const res = await s.app.inject({
        method: 'POST',
        url: `/v1/accounts/${companyId}/generate/call_summary`,
        headers: s.auth('reviewer'),
        payload: { dryRun: true },
      });
      if (res.statusCode !== 200) throw new Error(`on-demand call summary answered ${res.statusCode}: ${res.body}`);
      onDemand.push(performance.now() - started);
      process.stdout.write(`  call ${i + 1}/${SAMPLES}: webhook → write ${pipeline.at(-1)} ms, on demand ${Math.round(onDemand.at(-1)!)} ms\n`);
    }
  } finally {
    await s.close();
  }
  const p = [...pipeline].sort((a, b) => a - b);
  const d = [...onDemand].sort((a, b) => a - b);
  const p50 = quantile(p, 0.5);
  const p95 = quantile(p, 0.95);
  const b50 = quantile(d, 0.5);
  const b95 = quantile(d, 0.95);
  process.stdout.write(
    [
      '',
      `webhook → write, embedded, offline provider, WEBHOOK_COALESCE_MS=${COALESCE_MS}: ${SAMPLES} calls, load average ${load} at start, ${os.loadavg()[0]!.toFixed(2)} at end (${os.cpus().length} cores)`,
      `  pipeline   p50 ${p50} ms   p95 ${p95} ms   max ${p.at(-1)} ms   (${held} held for review, counted at the hold)`,
      `  on demand  p50 ${Math.round(b50)} ms   p95 ${Math.round(b95)} ms   (baseline: the agent alone through the API, dry run)`,
      `  ratio      p50 ${(p50 / b50).toFixed(1)}×   p95 ${(p95 / b95).toFixed(1)}×`,
      `goal p95 ≤ ${GOAL_P95_MS} ms: ${p95 <= GOAL_P95_MS ? 'met' : 'NOT met'} (${p95} ms)`,
      '',
    ].join('\n'),
  );
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
