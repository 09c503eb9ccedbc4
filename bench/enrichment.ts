/**
 * `npm run bench:enrichment`: the enrichment agent on sandbox portals generated with empty firmographics and
 * enrichment ground truth, end to end over HTTP: backfill, the agent (offline extractor + the sandbox's
 * enrichment provider) on every company, the real write-back with the default policy (breaker opened, see below). Prints, per text style:
 *   - precision of the values the write-back APPLIED against the ground truth, with a 95 % Wilson interval;
 *   - overwrites of values that were there before the run (must be 0), and values sent to review;
 *   - two trivial baselines on the same portal: "write every provider value into every empty field" and
 *     "write the portal's most common industry into every empty industry";
 *   - precision by confidence level (applied or not), to check what each level promises.
 * `dev` phrasings are the ones the extractor was written against; `test` phrasings were written apart and are
 * what the README reports. The grader is checked to fail on a wrong value before anything is graded.
 * Calibration: the dev run is a measurement (confidences uncapped); its precision per field and basis (history
 * and provider agree, stated in the history, provider alone, conflict) becomes a validation record, and the test
 * run's confidences are capped at its 95 % lower bounds, as the product caps them with a committed record. Without
 * a dev run the test run has no enrichment measurement, so every value waits for a person.
 *
 *   BENCH_SEED=23  BENCH_COMPANIES=400  BENCH_GAPS=0.4  BENCH_STYLES=dev,test  npm run bench:enrichment
 *   BENCH_STYLES=dev BENCH_SEED=29 BENCH_ERRORS=1 npm run bench:enrichment   (a development look at the errors)
 */
import { enrichmentAgent } from '../src/agents/enrichment.ts';
import { OfflineProvider } from '../src/agents/offline-provider.ts';
import { runAgent } from '../src/agents/runner.ts';
import { ENRICHMENT_FIELDS } from '../src/agents/schemas.ts';
import { VALIDATION_RECORDS, type FieldValidation, type ModelValidationRecord } from '../src/agents/judgment-validation.ts';
import { ENRICHMENT_CONFIDENCE } from '../src/agents/enrichment.ts';
import { createSql } from '../src/db/sql.ts';
import { sandboxEnrichmentProvider } from '../src/enrichment/create-provider.ts';
import { runBackfill } from '../src/ingest/backfill.ts';
import { startSandbox } from '../src/sandbox/index.ts';
import type { EnrichmentTruthRecord } from '../src/sandbox/enrichment.ts';
import type { TextStyle } from '../src/sandbox/phrasing/index.ts';
import { createWriteback } from '../src/writeback/create-writeback.ts';
import { parsePolicy } from '../src/writeback/policy.ts';
import { openIngestStack } from '../test/fixtures/backfill-stack.ts';
import { tempDir } from '../test/support/tmp.ts';

const SEED = Number(process.env.BENCH_SEED ?? 23);
const COMPANIES = Number(process.env.BENCH_COMPANIES ?? 400);
const GAPS = Number(process.env.BENCH_GAPS ?? 0.4);
const STYLES = (process.env.BENCH_STYLES ?? 'dev,test').split(',') as TextStyle[];
/** BENCH_ERRORS=1 prints every wrong proposal (development runs only: never tune on the test style's errors). */
const SHOW_ERRORS = process.env.BENCH_ERRORS === '1';
// The default policy, with the write-rate breaker opened: it would send everything after the first 20 % of the
// portal's companies to review within the hour, and the bench measures what the decisions apply, not the breaker.
const BENCH_POLICY = parsePolicy({ breaker: { maxAutoWritesPerMinute: 1_000_000, maxObjectFractionPerHour: 1 } });

/** Is `value` right for `field` of this company? Industry exact; head count within 10 %; every list item true. */
export function correct(field: string, value: string, t: EnrichmentTruthRecord): boolean {
  const items = value.split(';').map((s) => s.trim().toLowerCase()).filter(Boolean);
  switch (field) {
    case 'industry':
      return value === t.industry;
    case 'numberofemployees':
      return Math.abs(Number(value) - t.numberofemployees) <= 0.1 * t.numberofemployees;
    case 'ai_tech_stack':
      return items.length > 0 && items.every((i) => t.techStack.some((x) => x.toLowerCase() === i));
    case 'ai_intent_signals':
      return items.length > 0 && items.every((i) => t.intentSignals.some((x) => x.toLowerCase() === i));
    default:
      return false;
  }
}

function wilson(k: number, n: number, z = 1.96): [number, number] {
  if (n === 0) return [0, 1];
  const p = k / n;
  const d = 1 + (z * z) / n;
  const c = p + (z * z) / (2 * n);
  const m = z * Math.sqrt((p * (1 - p) + (z * z) / (4 * n)) / n);
  return [Math.max(0, (c - m) / d), Math.min(1, (c + m) / d)];
}

const fmt = (k: number, n: number) => {
  const [lo, hi] = wilson(k, n);
  return n === 0 ? 'n/a (0 values)' : `${(k / n).toFixed(3)} (${k}/${n}, 95% CI ${lo.toFixed(3)}–${hi.toFixed(3)})`;
};

const OFFLINE = VALIDATION_RECORDS.find((r) => r.provider === 'offline' && r.model === 'offline-extractive-v1')!;
const BASES = Object.keys(ENRICHMENT_CONFIDENCE);
const withEnrichment = (fields: Record<string, FieldValidation>, data: string): ModelValidationRecord => ({
  ...OFFLINE,
  data,
  measuredAt: new Date().toISOString(),
  command: 'npm run bench:enrichment',
  fields: { ...OFFLINE.fields, ...fields },
});
/** The dev run measures: every field and basis "validated" with a bound of 0.99, so confidences stay uncapped. */
const big = { n: 1_000_000, right: 1_000_000 };
const MEASURING = withEnrichment(Object.fromEntries(ENRICHMENT_FIELDS.map((f) => [`enrichment.${f}`, { ...big, byValue: Object.fromEntries(BASES.map((b) => [b, big])) }])), 'measurement run (uncapped)');

interface StyleResult {
  precision: [number, number];
  overwrites: number;
  /** Right/all of every proposed value (applied or not), by `enrichment.<field>` and basis. */
  tallies: Record<string, FieldValidation>;
}

async function runStyle(style: TextStyle, validations: readonly ModelValidationRecord[]): Promise<StyleResult> {
  const tmp = tempDir('hsai-bench-enrich-');
  const sandbox = await startSandbox({ port: 0, seed: SEED, companies: COMPANIES, enrichmentGaps: GAPS, style, rateLimit: 0, whales: 0 });
  const stack = await openIngestStack({ baseUrl: sandbox.url, accessToken: sandbox.token, dataDir: tmp.dir, rateLimitPer10s: 100_000 });
  const sql = await createSql({ dataDir: tmp.dir });
  const writeback = await createWriteback({ gateway: stack.gateway, sql, policy: BENCH_POLICY, dryRun: false, killSwitch: false, appId: sandbox.appId });
  const provider = sandboxEnrichmentProvider(sandbox.url, sandbox.token);
  try {
    await writeback.setup();
    await runBackfill({ gateway: stack.gateway, indexer: stack.indexer, store: stack.store, checkpoints: stack.checkpoints }, { concurrency: 4 });
    const truth = sandbox.groundTruth();
    const records = truth.enrichment!.records;
    const fields = [...ENRICHMENT_FIELDS];
    const before = new Map((await stack.gateway.batchRead('companies', records.map((r) => r.companyId), { properties: fields })).map((o) => [o.id, o.properties]));

    // The grader must be able to fail: a wrong industry and an inflated head count are graded wrong.
    const probe = records[0]!;
    if (correct('industry', probe.industry === 'RETAIL' ? 'MACHINERY' : 'RETAIL', probe) || correct('numberofemployees', String(probe.numberofemployees * 2 + 10), probe)) {
      throw new Error('grader accepts a wrong value');
    }

    const applied = { right: 0, all: 0 };
    const byField = new Map<string, { right: number; all: number }>();
    const byConfidence = new Map<string, { right: number; all: number }>();
    let reviewed = 0;
    let conflictsToReview = 0;
    const deps = { gateway: stack.gateway, store: stack.store, embedder: stack.embedder, provider: new OfflineProvider(), enrichment: provider, validations };
    const tallies: Record<string, FieldValidation> = {};
    let done = 0;
    for (const r of records) {
      const result = await runAgent(enrichmentAgent, deps, { portalId: truth.portalId, runId: `bench-enrich-${r.companyId}`, objectType: 'companies', objectId: r.companyId, accountId: r.companyId });
      const submitted = result.proposals.length ? await writeback.submit(result.proposals, result.trace) : [];
      for (const s of submitted) {
        const field = s.proposal.field ?? '';
        if (!(fields as string[]).includes(field)) continue;
        const ok = correct(field, s.proposal.value, r);
        const basis = s.proposal.modelValidation?.valueClass ?? undefined;
        if (!ok && SHOW_ERRORS) console.log(`  wrong ${style} ${r.companyId} ${field} [${basis ?? '-'}] ${JSON.stringify(s.proposal.value)} (truth ${JSON.stringify(field === 'ai_tech_stack' ? r.techStack : field === 'ai_intent_signals' ? r.intentSignals : field === 'industry' ? r.industry : r.numberofemployees)}): ${s.proposal.rationale?.slice(0, 300)}`);
        if (basis) {
          const t = (tallies[`enrichment.${field}`] ??= { n: 0, right: 0, byValue: {} });
          const b = (t.byValue![basis] ??= { n: 0, right: 0 });
          t.n++;
          b.n++;
          if (ok) {
            t.right++;
            b.right++;
          }
        }
        const level = s.proposal.confidence.toFixed(2);
        const c = byConfidence.get(level) ?? { right: 0, all: 0 };
        byConfidence.set(level, { right: c.right + (ok ? 1 : 0), all: c.all + 1 });
        if (s.status === 'applied') {
          applied.all++;
          if (ok) applied.right++;
          const f = byField.get(field) ?? { right: 0, all: 0 };
          byField.set(field, { right: f.right + (ok ? 1 : 0), all: f.all + 1 });
        } else if (s.status === 'pending_review') {
          reviewed++;
          if ((before.get(r.companyId)?.[field] ?? '') !== '') conflictsToReview++;
        }
      }
      if (++done % 20 === 0) process.stderr.write(`  ${style}: ${done}/${records.length} companies\r`);
    }
    process.stderr.write('\n');

    const after = new Map((await stack.gateway.batchRead('companies', records.map((r) => r.companyId), { properties: fields })).map((o) => [o.id, o.properties]));
    let overwrites = 0;
    let filled = 0;
    for (const [id, props] of before) {
      for (const f of fields) {
        const was = props[f] ?? '';
        const now = after.get(id)?.[f] ?? '';
        if (was !== '' && now !== was) overwrites++;
        if (was === '' && now !== '') filled++;
      }
    }

    // Trivial baselines on the same portal and the same empty fields.
    const providerAll = { right: 0, all: 0 };
    const counts = new Map<string, number>();
    for (const o of before.values()) if (o.industry) counts.set(o.industry, (counts.get(o.industry) ?? 0) + 1);
    const common = [...counts.entries()].sort((a, b) => b[1] - a[1])[0]?.[0] ?? '';
    const majority = { right: 0, all: 0 };
    for (const r of records) {
      const was = before.get(r.companyId) ?? {};
      const p = truth.enrichment!.provider[r.domain];
      for (const f of fields) {
        if ((was[f] ?? '') !== '') continue;
        if (f === 'industry') {
          majority.all++;
          if (correct(f, common, r)) majority.right++;
        }
        if (!p) continue;
        const v = f === 'industry' ? p.industry : f === 'numberofemployees' ? p.numberofemployees : f === 'ai_tech_stack' ? p.techStack.join(';') : p.intentSignals.join(';');
        if (v === null || v === '') continue;
        providerAll.all++;
        if (correct(f, String(v), r)) providerAll.right++;
      }
    }

    const gaps = records.reduce((s, r) => s + r.gaps.length, 0);
    console.log(`\n## style ${style} (seed ${SEED}, ${records.length} companies, ${gaps} emptied firmographic fields, ${records.reduce((s, r) => s + r.stated.length, 0)} facts stated in history)`);
    console.log(`precision of applied values:          ${fmt(applied.right, applied.all)}`);
    for (const [f, c] of byField) console.log(`  ${f.padEnd(20)} ${fmt(c.right, c.all)}`);
    console.log(`overwrites of values already there:   ${overwrites}  (fields filled: ${filled}; sent to review: ${reviewed}, of which ${conflictsToReview} conflict with a value already there)`);
    console.log(`baseline, every provider value:       ${fmt(providerAll.right, providerAll.all)}`);
    console.log(`baseline, most common industry (${common}): ${fmt(majority.right, majority.all)}`);
    console.log('precision by confidence (applied or not):');
    for (const [level, c] of [...byConfidence.entries()].sort()) console.log(`  confidence ${level}: ${fmt(c.right, c.all)}`);
    return { precision: [applied.right, applied.all], overwrites, tallies };
  } finally {
    await provider.close();
    await writeback.close();
    await sql.close();
    await stack.close();
    await sandbox.close();
    tmp.cleanup();
  }
}

const results: Record<string, StyleResult> = {};
let validations: readonly ModelValidationRecord[] = VALIDATION_RECORDS;
for (const style of STYLES) {
  if (style === 'dev') {
    console.log('\n(dev: a measurement run, confidences uncapped; its precision per field and basis caps the runs after it)');
    results[style] = await runStyle(style, [MEASURING]);
    validations = [withEnrichment(results[style].tallies, `sandbox dev style, seed ${SEED}, ${COMPANIES} companies (bench:enrichment)`)];
    console.log('bounds from dev (95% lower, per field and basis):');
    for (const [key, t] of Object.entries(results[style].tallies)) {
      console.log(`  ${key.padEnd(30)} ${Object.entries(t.byValue ?? {}).map(([b, x]) => `${b} ${wilson(x.right, x.n)[0].toFixed(2)} (${x.right}/${x.n})`).join(', ')}`);
    }
  } else {
    results[style] = await runStyle(style, validations);
  }
}
const test = results.test ?? results[STYLES[STYLES.length - 1]!]!;
const [k, n] = test.precision;
const met = n > 0 && k / n >= 0.95 && test.overwrites === 0;
console.log(`\ngoal (test style): precision ≥ 0.95 of applied values and 0 overwrites: ${met ? 'met' : 'NOT met'} (${fmt(k, n)}, ${test.overwrites} overwrites)`);
if (!met) process.exitCode = 1;
