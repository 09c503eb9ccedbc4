/**
 * `npm run bench:million [-- --chunks 1000000 --accounts 20000 --dims 384 --data-dir DIR --queries 200 --reps 5 --cold]`
 *
 * Builds an embedded index (SQLite + sqlite-vec + FTS5, the store `serve` uses) of `--chunks` synthetic chunks over
 * `--accounts` accounts, then measures what the agents' retrieval costs at that size:
 *   - per-account dense top-8 (the vec0 partition of one account) p50/p95, and its recall against exact cosine
 *     over that account's vectors;
 *   - per-account keyword (BM25) top-8 ranked with the account's own statistics, against the baseline in the
 *     same run: FTS5's bm25() over the same matches, whose IDF walks each term's postings over the whole file;
 *   - hybrid (dense + BM25, fused, recency-weighted, MMR: `hybridSearch`, as the agents call it) p50/p95;
 *   - the baseline in the same run: the same dense top-8 over the whole portal (no account partition);
 *   - index size on disk, RSS, and the time to re-open the file and answer a first query;
 *   - cold and warm apart: after re-opening, the first queries run before the store's start-up warm (`warm()`,
 *     what `serve` and `worker` run in the background at start: statements compiled, the file read into the OS
 *     page cache), and are printed apart; the timed repetitions follow the warm. `--cold` evicts the file's pages
 *     from the page cache before re-opening (as after a reboot, or after a CI run pushed them out), so those first
 *     queries and the warm's read show what a cold start costs.
 * Goals at 1,000,000 chunks: dense p95 ≤ 1 ms, hybrid p95 ≤ 5 ms, in each of `--reps` (BENCH_REPEATS, default 5)
 * repetitions of the queries, after at least 200 warm-up queries on other accounts (the first printed apart). Each goal is
 * printed met / NOT MET per repetition on wall time and on this process's CPU time (what a loaded 2-core host can
 * still measure), with `uptime` before and after. Each query also records its preemptions (involuntary context
 * switches), page faults and overlapping GC pauses, printed for the slowest 5%, and a hybrid query's steps (KNN,
 * rows, BM25, fusion, MMR) are timed apart on fresh accounts: what a slow tail spends its time on.
 *
 * Vectors are synthetic (account-clustered unit vectors), texts are drawn from a CRM vocabulary so BM25 has real
 * postings. Building is resumable: with `--data-dir` the file is kept, and a second run continues from the
 * chunks already there (the generator is deterministic per chunk index), so a build interrupted on a busy
 * machine is not lost. Without it, a temporary directory is used and removed.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { SqliteFiles, sqlitePath } from '../src/db/sqlite.ts';

// As in the product: one shared connection per file, WAL checkpoints in a background thread.
const sqliteFiles = new SqliteFiles();
import type { Embedder } from '../src/text/embedder.ts';
import { hybridSearch } from '../src/retrieval/hybrid-search.ts';
import { applyRecency, maximalMarginalRelevance, reciprocalRankFusion } from '../src/retrieval/rank-fusion.ts';
import { toBlob } from '../src/retrieval/vector-math.ts';
import { accountScopeToken, ftsMatchExpression } from '../src/retrieval/fts-query.ts';
import { SqliteVectorStore } from '../src/retrieval/sqlite-vector-store.ts';
import type { ChunkRecord } from '../src/retrieval/vector-store.ts';
import { QueryProbe, percentile as pct, rssParts, slowTail, uptimeLine, type QuerySample } from './lib/query-probe.ts';
import { repsOption, spread, verdict } from './lib/reps.ts';
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
    cold: { type: 'boolean', default: false },
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

function bytesOf(dir: string): number {
  return fs.readdirSync(dir).reduce((n, f) => n + fs.statSync(path.join(dir, f)).size, 0);
}

const keep = args['data-dir'] !== undefined;
const dir = args['data-dir'] ?? fs.mkdtempSync(path.join(os.tmpdir(), 'hsai-bench-million-'));
fs.mkdirSync(dir, { recursive: true });
const uptimeBefore = uptimeLine();
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
  // --cold: the file's pages leave the OS page cache first (as after a reboot, or other work evicting them), so
  // the re-open and the queries before the start-up warm read the disk.
  const evicted = args.cold ? evictFromPageCache(sqlitePath(dir)) : 'not asked (--cold evicts them)';
  const r0 = performance.now();
  db = sqliteFiles.open(sqlitePath(dir));
  store = new SqliteVectorStore({ db, chunkDimensions: DIMS, accountDimensions: DIMS });
  await store.init();
  const first = queries[0]!;
  await store.searchDense(PORTAL, first.accountId, first.vector, 8);
  const reopenMs = performance.now() - r0;

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
  // ---- before the store's start-up warm: what a server answers between its start and the end of its warm-up
  // (with --cold, from the disk). Measured apart, on accounts of their own; not part of the goal.
  const probe = new QueryProbe();
  /** `n` dense and hybrid top-8 queries on accounts drawn with `seed`, each timed by the probe. */
  const sampleQueries = async (seed: number, n: number) => {
    const rnd = seededRandom(seed);
    const out = { dense: [] as QuerySample[], hybrid: [] as QuerySample[] };
    for (let i = 0; i < n; i++) {
      const q = queryOf(Math.floor(rnd() * CHUNKS));
      let open = probe.begin();
      await store.searchDense(PORTAL, q.accountId, q.vector, 8);
      out.dense.push(probe.end(open));
      current = q.vector;
      open = probe.begin();
      await hybridSearch({ store, embedder, portalId: PORTAL, accountId: q.accountId, query: q.text, k: 8, mode: 'hybrid' });
      out.hybrid.push(probe.end(open));
    }
    await probe.settle();
    return out;
  };
  const beforeWarm = await sampleQueries(3, QUERIES);
  // ---- the store's start-up warm, as `serve` and `worker` run it (VECTOR_PREWARM): statements, then the file's pages.
  const warmed = await store.warm();

  // ---- per-account dense top-8, with recall against exact cosine over the account's vectors. The exact answer
  // comes from the generator (an account's chunks are one range of indices), not from the file: reading vec0
  // without a KNN constraint scans every partition of the table on each query.
  // The first queries of a process pay for its warm-up (V8 compiling the query path on its threads, page tables of
  // the mapped file filling): measured apart, on other accounts, and not part of the goal, which is about a
  // running server. Re-open above is the cold figure of a single query.
  // Hundreds of queries: V8 optimises the hot functions after many calls, on threads whose CPU this process pays.
  const cold = await sampleQueries(5, Math.max(QUERIES, 200));
  const dense: QuerySample[] = [];
  const denseHits: string[][] = [];
  for (const q of queries) {
    const open = probe.begin();
    const hits = await store.searchDense(PORTAL, q.accountId, q.vector, 8);
    dense.push(probe.end(open));
    denseHits.push(hits.map((h) => h.chunk.id));
  }
  await probe.settle();
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

  // ---- hybrid, as the agents call it (the embedder answers the query's synthetic vector), on accounts the loops
  // above did not touch: each query's first touch of its account is part of what it costs.

  const hybridRnd = seededRandom(7);
  const hybridQueries = Array.from({ length: QUERIES * REPEATS }, () => queryOf(Math.floor(hybridRnd() * CHUNKS)));
  const hybrid: QuerySample[] = [];
  for (const q of hybridQueries) {
    current = q.vector;
    const open = probe.begin();
    await hybridSearch({ store, embedder, portalId: PORTAL, accountId: q.accountId, query: q.text, k: 8, mode: 'hybrid' });
    hybrid.push(probe.end(open));
  }
  await probe.settle();

  // ---- where a hybrid query's time goes: its steps one by one (as hybridSearch runs them), on fresh accounts.
  // The KNN alone is timed first (the account's first touch), then the dense candidates with their rows.
  const knnOnly = db.prepare(`SELECT rowid, distance FROM vec_chunks WHERE embedding MATCH ? AND k = ? AND portal_id = ? AND account_id = ?`);
  const stepsRnd = seededRandom(13);
  const steps = { knn: [] as QuerySample[], dense: [] as QuerySample[], keyword: [] as QuerySample[], fusion: [] as QuerySample[], mmr: [] as QuerySample[] };
  const candidates = 40; // hybridSearch's default for k = 8
  for (let n = 0; n < QUERIES * REPEATS; n++) {
    const q = queryOf(Math.floor(stepsRnd() * CHUNKS));
    let open = probe.begin();
    knnOnly.all(toBlob(q.vector), candidates, PORTAL, q.accountId);
    steps.knn.push(probe.end(open));
    open = probe.begin();
    const d = await store.searchDense(PORTAL, q.accountId, q.vector, candidates);
    steps.dense.push(probe.end(open));
    open = probe.begin();
    const kw = await store.searchKeyword(PORTAL, q.accountId, q.text, candidates);
    steps.keyword.push(probe.end(open));
    open = probe.begin();
    const fused = applyRecency(reciprocalRankFusion([d, kw]), { halfLifeDays: 180, now: new Date() });
    steps.fusion.push(probe.end(open));
    open = probe.begin();
    maximalMarginalRelevance(fused, 8);
    steps.mmr.push(probe.end(open));
  }
  await probe.settle();

  // ---- baseline: the same top-8 over the whole portal (what an index without account partitions scans)
  const portalWide: number[] = [];
  for (const q of queries.slice(0, BASELINE_QUERIES)) {
    const s = performance.now();
    await store.searchDenseAll(PORTAL, q.vector, 8);
    portalWide.push(performance.now() - s);
  }
  const rss = rssParts();
  const gc = probe.gcTotals();
  probe.close();
  await store.close();
  sqliteFiles.release(db);

  const f = (x: number) => x.toFixed(2);
  // Each repetition is QUERIES consecutive queries; a goal must hold in every one.
  const reps = <T>(xs: T[]) => Array.from({ length: REPEATS }, (_, r) => xs.slice(r * QUERIES, (r + 1) * QUERIES));
  const p95s = (xs: number[]) => reps(xs).map((r) => pct(r, 95));
  const wall = (xs: QuerySample[]) => xs.map((x) => x.wallMs);
  const cpu = (xs: QuerySample[]) => xs.map((x) => x.cpuMs);
  const list = (xs: number[]) => xs.map(f).join(' ');
  const goal = (name: string, samples: QuerySample[], limit: number) => {
    const w = p95s(wall(samples));
    const c = p95s(cpu(samples));
    const met = (xs: number[]) => xs.filter((x) => x <= limit).length;
    return [
      `  ${name} p95 ≤ ${limit} ms, wall: ${verdict(met(w) === REPEATS)} (${met(w)} of ${REPEATS} repetitions: ${list(w)} ms)`,
      `  ${name} p95 ≤ ${limit} ms, CPU:  ${verdict(met(c) === REPEATS)} (${met(c)} of ${REPEATS} repetitions: ${list(c)} ms)`,
    ];
  };
  const step = (name: string, xs: QuerySample[]) =>
    `  ${name.padEnd(22)} CPU p50 ${f(pct(cpu(xs), 50))} ms, p95 ${f(pct(cpu(xs), 95))} ms; wall p95 ${f(pct(wall(xs), 95))} ms`;
  const denseOk = p95s(wall(dense)).every((x) => x <= 1);
  const hybridOk = p95s(wall(hybrid)).every((x) => x <= 5);
  const keywordRatio = pct(keywordFts5, 50) / pct(keyword, 50);
  const lines = [
    `million-chunk benchmark: ${CHUNKS.toLocaleString('en')} chunks, ${ACCOUNTS.toLocaleString('en')} accounts (~${Math.round(CHUNKS / ACCOUNTS)} chunks each), ${DIMS} dims, ${REPEATS} × ${QUERIES} queries`,
    ``,
    built === 0
      ? `build          none in this run: the file already held ${have.toLocaleString('en')} chunks`
      : `build          ${built.toLocaleString('en')} chunks in ${buildS.toFixed(0)} s (${Math.round(built / Math.max(buildS, 1e-9)).toLocaleString('en')}/s)${have > 0 ? `, continuing ${have.toLocaleString('en')}` : ''}`,
    `disk           ${(diskBytes / 2 ** 30).toFixed(2)} GiB (${Math.round(diskBytes / CHUNKS).toLocaleString('en')} bytes per chunk)`,
    `page cache     before re-open: ${evicted}`,
    `re-open        ${reopenMs.toFixed(0)} ms to open the file and answer a first query`,
    `before warm    the first ${QUERIES} queries after opening, before the start-up warm (not in the goal): dense p95 ${f(pct(wall(beforeWarm.dense), 95))} ms (CPU ${f(pct(cpu(beforeWarm.dense), 95))}), hybrid p95 ${f(pct(wall(beforeWarm.hybrid), 95))} ms (CPU ${f(pct(cpu(beforeWarm.hybrid), 95))})`,
    `start-up warm  statements ${warmed.statementsMs.toFixed(1)} ms; ${warmed.file ? `${(warmed.file.bytesRead / 2 ** 30).toFixed(2)} of ${(warmed.file.fileBytes / 2 ** 30).toFixed(2)} GiB read into the page cache in ${(warmed.file.ms / 1000).toFixed(1)} s${warmed.file.stopped ? ` (stopped: ${warmed.file.stopped})` : ''}` : 'no file'}; the timed queries below follow it`,
    `dense top-8    p50 ${f(pct(wall(dense), 50))} ms, p95 ${spread(p95s(wall(dense)))} ms over ${REPEATS} repetitions (CPU p50 ${f(pct(cpu(dense), 50))} ms, p95 ${spread(p95s(cpu(dense)))} ms), recall@8 ${(found / wanted).toFixed(3)} vs exact`,
    `               ${slowTail(dense)}`,
    `               the first ${QUERIES} after opening (of a warm-up of ${cold.dense.length} on other accounts, not in the goal): p95 ${f(pct(wall(cold.dense.slice(0, QUERIES)), 95))} ms, CPU p95 ${f(pct(cpu(cold.dense.slice(0, QUERIES)), 95))} ms`,
    `keyword top-8  p50 ${f(pct(keyword, 50))} ms, p95 ${spread(p95s(keyword))} ms; FTS5 bm25() over the same matches p50 ${f(pct(keywordFts5, 50))} ms, p95 ${spread(p95s(keywordFts5))} ms: ${keywordRatio.toFixed(1)}× faster`,
    `hybrid top-8   p50 ${f(pct(wall(hybrid), 50))} ms, p95 ${spread(p95s(wall(hybrid)))} ms over ${REPEATS} repetitions (CPU p50 ${f(pct(cpu(hybrid), 50))} ms, p95 ${spread(p95s(cpu(hybrid)))} ms)`,
    `               ${slowTail(hybrid)}`,
    `               the first ${QUERIES} after opening (of a warm-up of ${cold.dense.length} on other accounts, not in the goal): p95 ${f(pct(wall(cold.hybrid.slice(0, QUERIES)), 95))} ms, CPU p95 ${f(pct(cpu(cold.hybrid.slice(0, QUERIES)), 95))} ms`,
    `hybrid steps   one query's steps timed apart (${QUERIES * REPEATS} fresh accounts, ${candidates} candidates a list):`,
    step('KNN alone (first touch)', steps.knn),
    step('dense with rows', steps.dense),
    step('keyword (BM25)', steps.keyword),
    step('fusion + recency', steps.fusion),
    step('MMR', steps.mmr),
    `gc             ${gc.count} pauses, ${gc.ms.toFixed(1)} ms in all, longest ${gc.maxMs.toFixed(2)} ms (whole run, build included)`,
    `baseline       portal-wide dense top-8 p50 ${f(pct(portalWide, 50))} ms (${BASELINE_QUERIES} queries): per-account is ${(pct(portalWide, 50) / pct(wall(dense), 50)).toFixed(0)}× faster`,
    `rss            ${rss.rss.toFixed(0)} MiB at the end${rss.anon !== undefined ? ` (${rss.anon.toFixed(0)} MiB heap and caches, ${rss.file!.toFixed(0)} MiB mapped file pages)` : ''}`,
    `load           before: ${uptimeBefore}`,
    `               after:  ${uptimeLine()} (2 cores shared)`,
    `goal${CHUNKS < 1_000_000 ? ` (at ${CHUNKS.toLocaleString('en')} chunks, not the goal's 1,000,000)` : ''}: every repetition's p95; CPU time is this process's, which load on the shared cores does not add to`,
    ...goal('dense top-8 ', dense, 1),
    ...goal('hybrid top-8', hybrid, 5),
    ``,
  ];
  process.stdout.write(lines.join('\n'));
  process.exitCode = denseOk && hybridOk ? 0 : 1;
} finally {
  if (!keep) fs.rmSync(dir, { recursive: true, force: true });
}

/**
 * Drops the file's pages from the OS page cache (POSIX_FADV_DONTNEED through GNU dd's `nocache`; Linux). Only this
 * file's clean pages go; nothing else on the host is touched.
 */
function evictFromPageCache(file: string): string {
  const r = spawnSync('dd', [`if=${file}`, 'iflag=nocache', 'count=0', 'status=none'], { encoding: 'utf8' });
  return r.status === 0 ? 'the file\'s pages evicted (--cold)' : `could not evict the file's pages (${r.error?.message ?? r.stderr.trim()}): measured as found`;
}
