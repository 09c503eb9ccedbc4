/**
 * `npm run bench:million [-- --chunks 1000000 --accounts 20000 --dims 384 --data-dir DIR --queries 200 --reps 5]`
 *
 * Builds an embedded index (SQLite + sqlite-vec + FTS5, the store `serve` uses) of `--chunks` synthetic chunks over
 * `--accounts` accounts, then measures what the agents' retrieval costs at that size:
 *   - per-account dense top-8 (the vec0 partition of one account) p50/p95, and its recall against exact cosine
 *     over that account's vectors;
 *   - per-account keyword (BM25) top-8 ranked with the account's own statistics, against the baseline in the
 *     same run: FTS5's bm25() over the same matches, whose IDF walks each term's postings over the whole file;
 *   - hybrid (dense + BM25, fused, recency-weighted, MMR: `hybridSearch`, as the agents call it) p50/p95;
 *   - the baseline in the same run: the same dense top-8 over the whole portal (no account partition);
 *   - index size on disk, RSS, and the time to re-open the file and answer a first query.
 * Goals at 1,000,000 chunks: dense p95 ≤ 1 ms, hybrid p95 ≤ 5 ms, in each of `--reps` (BENCH_REPEATS, default 5)
 * repetitions of the queries; the spread of the repetitions' p95 is printed.
 *
 * Vectors are synthetic (account-clustered unit vectors), texts are drawn from a CRM vocabulary so BM25 has real
 * postings. Building is resumable: with `--data-dir` the file is kept, and a second run continues from the
 * chunks already there (the generator is deterministic per chunk index), so a build interrupted on a busy
 * machine is not lost. Without it, a temporary directory is used and removed.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { SqliteFiles, sqlitePath } from '../src/db/sqlite.ts';

// As in the product: one shared connection per file, WAL checkpoints in a background thread.
const sqliteFiles = new SqliteFiles();
import type { Embedder } from '../src/text/embedder.ts';
import { hybridSearch } from '../src/retrieval/hybrid-search.ts';
import { accountScopeToken, ftsMatchExpression } from '../src/retrieval/fts-query.ts';
import { SqliteVectorStore } from '../src/retrieval/sqlite-vector-store.ts';
import type { ChunkRecord } from '../src/retrieval/vector-store.ts';
import { repsOption } from './lib/reps.ts';
import { seededRandom } from './lib/similar-data.ts';

const { values: args } = parseArgs({
  options: {
    chunks: { type: 'string', default: '1000000' },
    accounts: { type: 'string', default: '20000' },
    dims: { type: 'string', default: '384' },
    'data-dir': { type: 'string' },
    queries: { type: 'string', default: '200' },
    'baseline-queries': { type: 'string', default: '10' },
    reps: { type: 'string' },
  },
});
const CHUNKS = Number(args.chunks);
const ACCOUNTS = Number(args.accounts);
const DIMS = Number(args.dims);
const QUERIES = Number(args.queries);
const REPEATS = repsOption(5);
const BASELINE_QUERIES = Number(args['baseline-queries']);
const PORTAL = 'million';
const BATCH = 5_000;
const say = (s: string) => process.stderr.write(`${s}\n`);

const WORDS = (
  'renewal pricing discount contract security review onboarding integration migration invoice budget approval ' +
  'procurement legal redlines timeline pilot rollout training support ticket outage latency dashboard report ' +
  'forecast pipeline champion sponsor competitor evaluation demo proposal quote expansion seats license churn ' +
  'escalation roadmap feature request api webhook sso compliance audit gdpr soc2 invoice payment terms quarter ' +
  'kickoff workshop success plan health score adoption usage executive summary next steps follow up meeting call'
).split(' ');

/**
 * Chunks are numbered account by account, as a backfill writes them (an account's history is indexed together):
 * consecutive chunks fill one account's vec0 partition instead of touching 5,000 partitions per transaction,
 * which made the build ~20x slower than the store's real write pattern.
 */
function accountOf(i: number): string {
  return `acct-${Math.floor((i * ACCOUNTS) / CHUNKS)}`;
}

/** Every chunk of the account holding chunk i (the indices with the same accountOf). */
function chunksOfAccount(i: number): ChunkRecord[] {
  const account = accountOf(i);
  let lo = i;
  while (lo > 0 && accountOf(lo - 1) === account) lo--;
  const out: ChunkRecord[] = [];
  for (let j = lo; j < CHUNKS && accountOf(j) === account; j++) out.push(chunkAt(j));
  return out;
}

/** Account centre (deterministic per account, the last one kept: chunks come account by account), normalised. */
let lastCentre: { account: string; v: Float32Array } | undefined;
function centre(account: string): Float32Array {
  if (lastCentre?.account === account) return lastCentre.v;
  const rnd = seededRandom(hash(account));
  const v = new Float32Array(DIMS);
  for (let j = 0; j < DIMS; j++) v[j] = rnd() - 0.5;
  lastCentre = { account, v: unit(v) };
  return lastCentre.v;
}

function chunkAt(i: number): ChunkRecord {
  const accountId = accountOf(i);
  const rnd = seededRandom(i + 1);
  const c = centre(accountId);
  const v = new Float32Array(DIMS);
  for (let j = 0; j < DIMS; j++) v[j] = c[j]! + (rnd() - 0.5) * 0.6;
  const words = Array.from({ length: 40 }, () => WORDS[Math.floor(rnd() * WORDS.length)]!);
  const day = Math.floor(rnd() * 700);
  return {
    id: `chunk-${i}`,
    portalId: PORTAL,
    accountId,
    sourceType: (['note', 'email', 'call', 'meeting', 'task'] as const)[i % 5]!,
    sourceId: `notes:${i}`,
    chunkIndex: 0,
    relatedIds: [],
    occurredAt: new Date(Date.UTC(2025, 0, 1) + day * 86_400_000).toISOString(),
    direction: null,
    speakers: [],
    text: `${words.join(' ')}.`,
    contentHash: String(i),
    embeddingModel: 'synthetic',
    vector: unit(v),
  };
}

function unit(v: Float32Array): Float32Array {
  let n = 0;
  for (const x of v) n += x * x;
  n = Math.sqrt(n) || 1;
  for (let j = 0; j < v.length; j++) v[j] = v[j]! / n;
  return v;
}

function hash(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}

/** CPU milliseconds of this process since `since` (what a query costs without other load on the cores). */
function cpuMs(since: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(since);
  return (d.user + d.system) / 1000;
}

function bytesOf(dir: string): number {
  return fs.readdirSync(dir).reduce((n, f) => n + fs.statSync(path.join(dir, f)).size, 0);
}

const keep = args['data-dir'] !== undefined;
const dir = args['data-dir'] ?? fs.mkdtempSync(path.join(os.tmpdir(), 'hsai-bench-million-'));
fs.mkdirSync(dir, { recursive: true });
say(`index of ${CHUNKS.toLocaleString('en')} chunks over ${ACCOUNTS.toLocaleString('en')} accounts, ${DIMS} dims, in ${dir}; load average ${os.loadavg()[0]!.toFixed(1)}`);

try {
  // ---- build (resumable)
  let db = sqliteFiles.open(sqlitePath(dir));
  let store = new SqliteVectorStore({ db, chunkDimensions: DIMS, accountDimensions: DIMS });
  await store.init();
  const have = (db.prepare(`SELECT count(*) AS n FROM retrieval_chunks WHERE portal_id = ?`).get(PORTAL) as { n: number }).n;
  if (have > 0) say(`continuing: ${have.toLocaleString('en')} chunks already in the file`);
  const t0 = performance.now();
  for (let start = have; start < CHUNKS; start += BATCH) {
    const batch: ChunkRecord[] = [];
    for (let i = start; i < Math.min(CHUNKS, start + BATCH); i++) batch.push(chunkAt(i));
    await store.upsertChunks(batch);
    const done = start + batch.length;
    if ((done - have) % 50_000 < BATCH || done === CHUNKS) {
      const rate = (done - have) / ((performance.now() - t0) / 1000);
      say(`  ${done.toLocaleString('en')} chunks (${Math.round(rate).toLocaleString('en')}/s, ~${Math.round((CHUNKS - done) / rate)} s left)`);
    }
  }
  const buildS = (performance.now() - t0) / 1000;
  const built = CHUNKS - have;
  db.pragma('wal_checkpoint(TRUNCATE)');
  await store.close();
  sqliteFiles.release(db);
  const diskBytes = bytesOf(dir);

  // ---- re-open: a new connection to the file, until its first answer
  const rnd = seededRandom(99);
  const samples = Array.from({ length: QUERIES * REPEATS }, () => Math.floor(rnd() * CHUNKS));
  const queryOf = (i: number) => {
    const c = chunkAt(i);
    return { accountId: c.accountId, vector: c.vector, text: c.text.split(' ').slice(0, 3).join(' ') };
  };
  const queries = samples.map(queryOf);
  const r0 = performance.now();
  db = sqliteFiles.open(sqlitePath(dir));
  store = new SqliteVectorStore({ db, chunkDimensions: DIMS, accountDimensions: DIMS });
  await store.init();
  const first = queries[0]!;
  await store.searchDense(PORTAL, first.accountId, first.vector, 8);
  const reopenMs = performance.now() - r0;

  // ---- per-account dense top-8, with recall against exact cosine over the account's vectors. The exact answer
  // comes from the generator (an account's chunks are one range of indices), not from the file: reading vec0
  // without a KNN constraint scans every partition of the table on each query.
  const dense: number[] = [];
  const denseCpu: number[] = [];
  const denseHits: string[][] = [];
  for (const q of queries) {
    const s = performance.now();
    const c = process.cpuUsage();
    const hits = await store.searchDense(PORTAL, q.accountId, q.vector, 8);
    denseCpu.push(cpuMs(c));
    dense.push(performance.now() - s);
    denseHits.push(hits.map((h) => h.chunk.id));
  }
  // After the timed loop, so its garbage is not collected during a measured query.
  let found = 0;
  let wanted = 0;
  samples.forEach((i, n) => {
    const q = queries[n]!;
    const truth = chunksOfAccount(i)
      .map((c) => {
        let d = 0;
        for (let j = 0; j < DIMS; j++) d += c.vector[j]! * q.vector[j]!;
        return { id: c.id, d };
      })
      .sort((a, b) => b.d - a.d)
      .slice(0, 8)
      .map((r) => r.id);
    found += denseHits[n]!.filter((id) => truth.includes(id)).length;
    wanted += truth.length;
  });

  // ---- per-account keyword top-8: ours (account statistics) and FTS5's bm25() over the same matches
  const fts5Bm25 = db.prepare(
    `SELECT c.id FROM fts_chunks JOIN retrieval_chunks c ON c.seq = fts_chunks.rowid WHERE fts_chunks MATCH ? ORDER BY bm25(fts_chunks, 1.0, 0.0), c.id LIMIT 8`,
  );
  const keyword: number[] = [];
  const keywordFts5: number[] = [];
  for (const q of queries) {
    let s = performance.now();
    await store.searchKeyword(PORTAL, q.accountId, q.text, 8);
    keyword.push(performance.now() - s);
    s = performance.now();
    fts5Bm25.all(ftsMatchExpression(accountScopeToken(PORTAL, q.accountId), q.text));
    keywordFts5.push(performance.now() - s);
  }

  // ---- hybrid, as the agents call it (the embedder answers the query's synthetic vector)
  let current = first.vector;
  const embedder: Embedder = {
    provider: 'offline',
    model: 'synthetic',
    dimensions: DIMS,
    embed: async () => ({ vectors: [current], tokens: 0, cacheHits: 0 }),
    cacheTag: () => '',
    ping: async () => undefined,
    close: async () => undefined,
  };
  const hybrid: number[] = [];
  const hybridCpu: number[] = [];
  for (const q of queries) {
    current = q.vector;
    const s = performance.now();
    const c = process.cpuUsage();
    await hybridSearch({ store, embedder, portalId: PORTAL, accountId: q.accountId, query: q.text, k: 8, mode: 'hybrid' });
    hybridCpu.push(cpuMs(c));
    hybrid.push(performance.now() - s);
  }

  // ---- baseline: the same top-8 over the whole portal (what an index without account partitions scans)
  const portalWide: number[] = [];
  for (const q of queries.slice(0, BASELINE_QUERIES)) {
    const s = performance.now();
    await store.searchDenseAll(PORTAL, q.vector, 8);
    portalWide.push(performance.now() - s);
  }
  const rss = process.memoryUsage().rss;
  await store.close();
  sqliteFiles.release(db);

  const f = (x: number) => x.toFixed(2);
  // The p95 of each repetition (QUERIES consecutive queries); a goal must hold in every one.
  const p95s = (xs: number[]) => Array.from({ length: REPEATS }, (_, r) => pct(xs.slice(r * QUERIES, (r + 1) * QUERIES), 95));
  const spread = (xs: number[]) => `${f(Math.min(...xs))}–${f(Math.max(...xs))}`;
  const denseReps = p95s(dense);
  const hybridReps = p95s(hybrid);
  const denseP95 = Math.max(...denseReps);
  const hybridP95 = Math.max(...hybridReps);
  const keywordRatio = pct(keywordFts5, 50) / pct(keyword, 50);
  const lines = [
    `million-chunk benchmark: ${CHUNKS.toLocaleString('en')} chunks, ${ACCOUNTS.toLocaleString('en')} accounts (~${Math.round(CHUNKS / ACCOUNTS)} chunks each), ${DIMS} dims, ${REPEATS} × ${QUERIES} queries`,
    ``,
    built === 0
      ? `build          none in this run: the file already held ${have.toLocaleString('en')} chunks`
      : `build          ${built.toLocaleString('en')} chunks in ${buildS.toFixed(0)} s (${Math.round(built / Math.max(buildS, 1e-9)).toLocaleString('en')}/s)${have > 0 ? `, continuing ${have.toLocaleString('en')}` : ''}`,
    `disk           ${(diskBytes / 2 ** 30).toFixed(2)} GiB (${Math.round(diskBytes / CHUNKS).toLocaleString('en')} bytes per chunk)`,
    `re-open        ${reopenMs.toFixed(0)} ms to open the file and answer a first query`,
    `dense top-8    p50 ${f(pct(dense, 50))} ms, p95 ${spread(denseReps)} ms over ${REPEATS} repetitions (CPU p50 ${f(pct(denseCpu, 50))} ms, p95 ${spread(p95s(denseCpu))} ms), recall@8 ${(found / wanted).toFixed(3)} vs exact`,
    `keyword top-8  p50 ${f(pct(keyword, 50))} ms, p95 ${spread(p95s(keyword))} ms; FTS5 bm25() over the same matches p50 ${f(pct(keywordFts5, 50))} ms, p95 ${spread(p95s(keywordFts5))} ms: ${keywordRatio.toFixed(1)}× faster`,
    `hybrid top-8   p50 ${f(pct(hybrid, 50))} ms, p95 ${spread(hybridReps)} ms over ${REPEATS} repetitions (CPU p50 ${f(pct(hybridCpu, 50))} ms, p95 ${spread(p95s(hybridCpu))} ms)`,
    `goal           dense p95 ≤ 1 ms in every repetition: ${denseP95 <= 1 ? 'met' : 'NOT MET'}; hybrid p95 ≤ 5 ms in every repetition: ${hybridP95 <= 5 ? 'met' : 'NOT MET'}${CHUNKS < 1_000_000 ? ` (at ${CHUNKS.toLocaleString('en')} chunks, not the goal's 1,000,000)` : ''}`,
    `               on CPU time (this process, what the other load on the cores does not add): dense ${Math.max(...p95s(denseCpu)) <= 1 ? 'met' : 'NOT MET'}, hybrid ${Math.max(...p95s(hybridCpu)) <= 5 ? 'met' : 'NOT MET'}`,
    `baseline       portal-wide dense top-8 p50 ${f(pct(portalWide, 50))} ms (${BASELINE_QUERIES} queries): per-account is ${(pct(portalWide, 50) / pct(dense, 50)).toFixed(0)}× faster`,
    `rss            ${(rss / 2 ** 20).toFixed(0)} MiB at the end`,
    `load average   ${os.loadavg().map((x) => x.toFixed(1)).join(', ')} (2 cores shared)`,
    ``,
  ];
  process.stdout.write(lines.join('\n'));
  process.exitCode = denseP95 <= 1 && hybridP95 <= 5 ? 0 : 1;
} finally {
  if (!keep) fs.rmSync(dir, { recursive: true, force: true });
}
