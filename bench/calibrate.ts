/**
 * `npm run calibrate`: measures how often the offline extractive provider's judgments are right, field by field,
 * and (with `--write`) stores it as the provider's validation record, which caps every confidence it produces.
 *
 *   npm run calibrate -- --style dev --seeds 21,22 --write     measure on development data and store the record
 *   npm run calibrate -- --style test --seeds 7,11             report on data written apart against the stored bounds
 *
 * Measuring is done on the dev style only (`--write` refuses test): the test style is for reporting, never for
 * setting a bound. The report prints each field's precision with its 95 % Wilson interval, the trivial baseline
 * beside it, and on test whether the stored bound held (observed precision ≥ bound).
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { AgentDeps } from '../src/agents/agent-types.ts';
import { fieldValidation, type FieldValidation, type ModelValidationRecord } from '../src/agents/judgment-validation.ts';
import { OFFLINE_MODEL, OfflineProvider } from '../src/agents/offline-provider.ts';
import { wilsonLower } from '../src/agents/scorer/validation.ts';
import { OFFLINE_EXTRACTIVE_V1 } from '../src/agents/validation/offline-extractive-v1.ts';
import type { AccountHistory } from '../src/core/objects.ts';
import { startSandbox } from '../src/sandbox/index.ts';
import { PORTAL_END } from '../src/sandbox/portal-builder.ts';
import { tempDir } from '../test/support/tmp.ts';
import { gradeJudgments, mergeGrades } from './lib/eval-judgments.ts';
import { openEvalStack } from './lib/eval-stack.ts';

const RECORD_FILE = path.resolve('src/agents/validation/offline-extractive-v1.ts');
const RECORD_VERSION = 1;

function wilsonUpper(k: number, n: number): number {
  return n === 0 ? 1 : 1 - wilsonLower(n - k, n);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: {
      style: { type: 'string', default: 'dev' },
      seeds: { type: 'string' },
      companies: { type: 'string', default: '300' },
      write: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
    },
  });
  const style = values.style;
  if (style !== 'dev' && style !== 'test') throw new Error(`--style: expected dev or test, got "${style}"`);
  if (values.write && style !== 'dev') throw new Error('--write stores a validation measured on the dev style only: the test style is for reporting');
  const seeds = (values.seeds ?? (style === 'dev' ? '21,22' : '7,11')).split(',').map(Number);
  const companies = Number(values.companies);
  if (seeds.some((s) => !Number.isInteger(s) || s < 0) || !Number.isInteger(companies) || companies < 1) throw new Error('--seeds and --companies take positive integers');
  const t0 = performance.now();
  const log = (m: string) => process.stderr.write(`[calibrate ${((performance.now() - t0) / 1000).toFixed(0)}s] ${m}\n`);

  let fields: Record<string, FieldValidation> = {};
  const baselines: Record<string, { name: string; right: number; n: number }> = {};
  let failures = 0;
  for (const seed of seeds) {
    const sandbox = await startSandbox({ port: 0, seed, companies, style, rateLimit: 0 });
    const tmp = tempDir('hsai-calibrate-');
    try {
      log(`seed ${seed}: indexing ${companies} companies (${style} style)…`);
      const stack = await openEvalStack({ baseUrl: sandbox.url, accessToken: sandbox.token, dataDir: tmp.dir });
      const histories = new Map<string, Promise<AccountHistory | undefined>>();
      const readHistory = (id: string) => {
        let h = histories.get(id);
        if (!h) histories.set(id, (h = stack.gateway.accountHistories([id]).then((r) => r[0])));
        return h;
      };
      // The portal's present is its last day: "no activity for N days" is measured from there, as it would be live.
      const deps: AgentDeps = { gateway: stack.gateway, store: stack.store, embedder: stack.embedder, provider: new OfflineProvider(), readHistory, now: () => new Date(PORTAL_END) };
      const g = await gradeJudgments(deps, sandbox.groundTruth(), log);
      fields = mergeGrades(fields, g.fields);
      failures += g.failures;
      for (const [k, b] of Object.entries(g.baselines)) {
        const x = (baselines[k] ??= { name: b.name, right: 0, n: 0 });
        x.right += Math.round(b.precision * g.gradedAccounts);
        x.n += g.gradedAccounts;
      }
      await stack.close();
    } finally {
      await sandbox.close();
      tmp.cleanup();
    }
  }

  const data = `sandbox ${style} style, seeds ${seeds.join(',')}, ${companies} companies each`;
  const record: ModelValidationRecord = {
    provider: 'offline',
    model: OFFLINE_MODEL,
    version: RECORD_VERSION,
    measuredAt: new Date().toISOString(),
    data,
    command: `npm run calibrate -- --style dev --seeds ${seeds.join(',')} --companies ${companies} --write`,
    fields,
  };
  if (values.json) process.stdout.write(`${JSON.stringify({ record, baselines, failures }, null, 2)}\n`);
  else process.stdout.write(`${render(record, baselines, failures, style)}\n`);
  if (values.write) {
    fs.writeFileSync(RECORD_FILE, source(record));
    log(`wrote ${path.relative(process.cwd(), RECORD_FILE)}`);
  }
}

/** One line per field and value class: right/n, precision [95% Wilson], on test the stored bound and whether it held. */
function render(measured: ModelValidationRecord, baselines: Record<string, { name: string; right: number; n: number }>, failures: number, style: string): string {
  const stored = OFFLINE_EXTRACTIVE_V1;
  const lines = [`${measured.model} on ${measured.data}${failures ? ` (${failures} runs failed)` : ''}`, ''];
  lines.push(`${'field (value)'.padEnd(40)} ${'right/n'.padStart(10)}  precision [95% CI]   ${style === 'test' ? 'dev bound  held' : 'bound'}`);
  for (const [key, f] of Object.entries(measured.fields)) {
    const rows: Array<[string, FieldValidation, string | null]> = [[key, f, null], ...Object.entries(f.byValue ?? {}).sort().map(([v, t]): [string, FieldValidation, string] => [`  = ${v}`, t, v])];
    for (const [label, t, cls] of rows) {
      const p = t.n ? t.right / t.n : 0;
      const ci = `${p.toFixed(3)} [${wilsonLower(t.right, t.n).toFixed(2)}–${wilsonUpper(t.right, t.n).toFixed(2)}]`;
      let tail: string;
      if (style === 'test') {
        const v = fieldValidation(stored, 'offline', key, cls);
        tail = `${v.confidenceBound.toFixed(2).padStart(9)}  ${v.validated ? (p >= v.confidenceBound ? 'yes' : 'NO') : '(unvalidated)'}`;
      } else {
        tail = fieldValidation(measured, 'offline', key, cls).confidenceBound.toFixed(2).padStart(5);
      }
      lines.push(`${label.padEnd(40)} ${`${t.right}/${t.n}`.padStart(10)}  ${ci.padEnd(19)}  ${tail}`);
    }
    const b = baselines[key];
    if (b) lines.push(`${`  baseline: ${b.name}`.padEnd(40)} ${`${b.right}/${b.n}`.padStart(10)}  ${(b.n ? b.right / b.n : 0).toFixed(3)}`);
  }
  return lines.join('\n');
}

function source(r: ModelValidationRecord): string {
  return [
    `// Generated by \`${r.command}\`; do not edit by hand (measure again instead).`,
    '// What the offline extractive provider showed on labelled development data: caps the confidence of its judgments.',
    "import type { ModelValidationRecord } from './record.ts';",
    '',
    `export const OFFLINE_EXTRACTIVE_V1: ModelValidationRecord = ${JSON.stringify(r, null, 2).replace(/"([a-zA-Z_]\w*)":/g, '$1:').replace(/"/g, "'")};`,
    '',
  ].join('\n');
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
