/**
 * `npm run bench:backfill [-- --companies 1000 --naive-companies 25 --concurrency 4 --json]`
 *
 * In one run, against the sandbox portal in-process with HubSpot's Professional limit (190 requests / 10 s):
 *   1. our backfill over the whole portal (fresh DATA_DIR, embedded store, cached offline embedder);
 *   2. the same backfill again over the unchanged portal, as a new process would (fresh indexer, same DATA_DIR):
 *      its embedding tokens must be 0 and the point count unchanged;
 *   3. the naive LangChain.js-style pipeline (bench/lib/naive-langchain.ts) on the first companies for at most
 *      `--naive-seconds`, since at one request per record it would need most of an hour for the whole portal.
 * Prints records/s of both and their ratio, the share of the request budget our run used, its 429s, and the
 * embedding tokens of the unchanged re-run. Goals: ≥ 5× the naive pipeline, ≥ 85% of the budget, no sustained
 * 429s, 0 tokens on the re-run.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { runBackfill, type BackfillSummary } from '../src/ingest/backfill.ts';
import { createEmbedder } from '../src/ingest/create-embedder.ts';
import { indexStats } from '../src/ingest/index-stats.ts';
import { startSandbox } from '../src/sandbox/index.ts';
import { openIngestStack } from '../test/fixtures/backfill-stack.ts';
import { runNaivePipeline, type NaiveResult } from './lib/naive-langchain.ts';

const { values: args } = parseArgs({
  options: {
    companies: { type: 'string', default: '1000' },
    'naive-companies': { type: 'string', default: '25' },
    'naive-seconds': { type: 'string', default: '60' },
    concurrency: { type: 'string', default: '4' },
    'rate-limit': { type: 'string', default: '190' },
    json: { type: 'boolean', default: false },
  },
});
const companies = Number(args.companies);
const naiveCompanies = Number(args['naive-companies']);
const naiveSeconds = Number(args['naive-seconds']);
const concurrency = Number(args.concurrency);
const rateLimit = Number(args['rate-limit']);

const say = (line: string) => process.stderr.write(`${line}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface RunFigures {
  summary: BackfillSummary;
  requests: number;
  http429: number;
  /** Requests sent over the requests the portal allowed during the run. */
  budgetShare: number;
  recordsPerSecond: number;
  points: number;
}

say(`generating the sandbox portal: seed 7, ${companies} companies, ${rateLimit} requests / 10 s ...`);
const sandbox = await startSandbox({ port: 0, seed: 7, companies, rateLimit, faultRate: 0, latencyMs: 0 });
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'hsai-bench-backfill-'));

async function ourRun(label: string): Promise<RunFigures> {
  // A fresh stack per run: a second run starts cold, as a new `hubspot-ai backfill` process would.
  const stack = await openIngestStack({ baseUrl: sandbox.url, accessToken: sandbox.token, dataDir, rateLimitPer10s: rateLimit });
  try {
    say(`${label}: backfill of ${companies} companies, concurrency ${concurrency} ...`);
    const before = sandbox.metrics();
    const summary = await runBackfill(
      { gateway: stack.gateway, indexer: stack.indexer, store: stack.store, checkpoints: stack.checkpoints },
      { concurrency, restart: true },
    );
    const after = sandbox.metrics();
    const requests = after.requests - before.requests;
    const allowed = (rateLimit * summary.durationMs) / 10_000;
    const stats = await indexStats(stack.store, await stack.gateway.portalId());
    return {
      summary,
      requests,
      http429: after.http429 - before.http429,
      budgetShare: requests / allowed,
      recordsPerSecond: summary.records / (summary.durationMs / 1000),
      points: stats.chunks,
    };
  } finally {
    await stack.close();
  }
}

async function naiveRun(): Promise<NaiveResult & { recordsPerSecond: number; requests: number; http429: number }> {
  say(`naive LangChain.js pipeline on the first ${naiveCompanies} companies (at most ${naiveSeconds} s) ...`);
  const embedder = await createEmbedder({ provider: 'offline', model: 'offline-hash-v1', dimensions: 384 });
  const before = sandbox.metrics();
  try {
    const r = await runNaivePipeline({ baseUrl: sandbox.url, accessToken: sandbox.token, embedder, maxCompanies: naiveCompanies, rateLimitPer10s: rateLimit, maxDurationMs: naiveSeconds * 1000 });
    const after = sandbox.metrics();
    return { ...r, recordsPerSecond: r.records / (r.durationMs / 1000), requests: after.requests - before.requests, http429: after.http429 - before.http429 };
  } finally {
    await embedder.close();
  }
}

try {
  const first = await ourRun('run 1');
  const second = await ourRun('run 2 (unchanged portal)');
  // Let the rolling 10-second window empty so the naive run starts with the same budget ours had.
  await sleep(10_500);
  const naive = await naiveRun();

  const ratio = first.recordsPerSecond / naive.recordsPerSecond;
  const result = {
    portal: { seed: 7, companies, accounts: sandbox.groundTruth().accounts, rateLimitPer10s: rateLimit },
    ours: {
      records: first.summary.records,
      accounts: first.summary.accounts,
      chunks: first.summary.chunks,
      durationMs: first.summary.durationMs,
      recordsPerSecond: round(first.recordsPerSecond),
      requests: first.requests,
      budgetShare: round(first.budgetShare, 3),
      http429: first.http429,
      retries: first.summary.retries,
      embeddingTokens: first.summary.embeddingTokens,
    },
    rerun: {
      durationMs: second.summary.durationMs,
      embeddingTokens: second.summary.embeddingTokens,
      chunksEmbedded: second.summary.chunksEmbedded,
      pointsBefore: first.points,
      pointsAfter: second.points,
      http429: second.http429,
    },
    naive: {
      companies: naive.companies,
      records: naive.records,
      durationMs: naive.durationMs,
      recordsPerSecond: round(naive.recordsPerSecond),
      requests: naive.requests,
      http429: naive.http429,
      embeddingTokens: naive.embeddingTokens,
      points: naive.points,
      // No cache and random point ids: an unchanged re-run pays every token again and doubles the points.
      rerunEmbeddingTokens: naive.embeddingTokens,
    },
    ratio: round(ratio, 1),
    goals: {
      speedup5x: ratio >= 5,
      budget85: first.budgetShare >= 0.85,
      rerunZeroTokens: second.summary.embeddingTokens === 0 && second.points === first.points,
    },
  };

  if (args.json) {
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  } else {
    const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
    process.stdout.write(
      [
        `backfill benchmark: sandbox seed 7, ${companies} companies (${result.portal.accounts} accounts), ${rateLimit} requests / 10 s`,
        ``,
        `ours      ${result.ours.recordsPerSecond} records/s  (${first.summary.records} records in ${(first.summary.durationMs / 1000).toFixed(1)} s, ${first.requests} requests)`,
        `naive     ${result.naive.recordsPerSecond} records/s  (${naive.records} records of ${naive.companies} companies in ${(naive.durationMs / 1000).toFixed(1)} s, ${naive.requests} requests)`,
        `ratio     ${result.ratio}×  (goal ≥ 5×)`,
        `budget    ${pct(first.budgetShare)} of the request budget used  (goal ≥ 85%)`,
        `429s      ${first.http429} in our run (${first.summary.retries} retries), ${naive.http429} in the naive run`,
        `re-run    ${second.summary.embeddingTokens} embedding tokens, points ${first.points} → ${second.points}  (goal 0, unchanged); naive re-run: ${naive.embeddingTokens} tokens, points doubled`,
        ``,
      ].join('\n'),
    );
  }
} finally {
  await sandbox.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
}

function round(x: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
