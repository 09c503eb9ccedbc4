import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createCache } from '../../src/cache/create-cache.ts';
import { createSql, type SqlHandle } from '../../src/db/sql.ts';
import { SqliteFiles } from '../../src/db/sqlite.ts';
import { AccountProfiler, DRIFT_RATIO } from '../../src/ingest/account-profiler.ts';
import { OfflineHashEmbedder } from '../../src/ingest/embedders/offline-hash-embedder.ts';
import { MemoryTermStatsStore, SqlTermStatsStore, type TermStatsStore } from '../../src/ingest/term-stats.ts';
import { digestHistory, documentFrequencies } from '../../src/retrieval/account-profile.ts';
import { SqliteVectorStore } from '../../src/retrieval/sqlite-vector-store.ts';
import { cosine } from '../../src/retrieval/vector-math.ts';
import { uniqueName } from '../support/services.ts';
import { tempDir } from '../support/tmp.ts';
import { syntheticPortal } from '../retrieval/synthetic-accounts.ts';

/**
 * The portal term statistics behind account profiles, one suite for every adapter: in memory, the SQLite file,
 * and PostgreSQL when DATABASE_URL is set (as in CI). Counts move by the difference of an account's old and new
 * terms, never cross portals, and say which profiles drifted.
 */
const tmp = tempDir('hsai-term-stats-');
const handles: SqlHandle[] = [];
const backends: Array<[string, () => Promise<TermStatsStore>]> = [
  ['memory', async () => new MemoryTermStatsStore()],
  ['sqlite', async () => {
    const h = await createSql({ dataDir: tmp.dir });
    handles.push(h);
    return new SqlTermStatsStore(h);
  }],
];
if (process.env.DATABASE_URL) {
  backends.push(['postgres', async () => {
    const h = await createSql({ databaseUrl: process.env.DATABASE_URL, dataDir: '', schema: uniqueName('termstats') });
    handles.push(h);
    return new SqlTermStatsStore(h);
  }]);
}
afterEach(async () => {
  await Promise.all(handles.splice(0).map((h) => h.close()));
});
afterAll(() => tmp.cleanup());

describe('portal term statistics on the shared SQLite connection', () => {
  it("apply is a transaction of its own: another store's writes on the connection meanwhile are neither taken in nor rolled back with it", async () => {
    const files = new SqliteFiles();
    const dir = `${tmp.dir}/${uniqueName('shared')}`;
    const h = await createSql({ dataDir: dir, sqlite: files });
    const kv = await createCache({ dataDir: dir, sqlite: files });
    try {
      const stats = new SqlTermStatsStore(h);
      const p = uniqueName('portal');
      await stats.apply(p, [{ accountId: 'a', terms: ['x'] }]);
      // apply fails at its last statement, after everything else of it ran.
      h.sqlite!.exec(`CREATE TRIGGER fail_zz BEFORE INSERT ON account_term_sets WHEN NEW.account_id = 'zz' BEGIN SELECT RAISE(ABORT, 'injected'); END`);
      let settled = false;
      const applying = stats.apply(p, [{ accountId: 'b', terms: ['x', 'y'] }, { accountId: 'zz', terms: ['y'] }]).finally(() => (settled = true));
      // The cache (another store on the same connection) writes while apply runs.
      const written: string[] = [];
      for (let i = 0; !settled && i < 1000; i++) {
        await kv.set(`k${i}`, Buffer.from('v'));
        written.push(`k${i}`);
      }
      await expect(applying).rejects.toThrow(/injected/);
      expect(written.length).toBeGreaterThan(0);
      for (const k of written) expect(await kv.get(k), k).not.toBeNull();
      // Nothing of the failed apply stayed.
      const f = await stats.frequencies(p, ['x', 'y']);
      expect({ documents: f.documents, df: Object.fromEntries(f.df) }).toEqual({ documents: 1, df: { x: 1 } });
    } finally {
      await kv.close();
      await h.close();
      await files.close();
    }
  });
});

describe.each(backends)('portal term statistics (%s)', (_, make) => {
  it('counts accounts per term incrementally, per portal, and forgets removed accounts', async () => {
    const stats = await make();
    const p = uniqueName('portal');
    const q = `${p}-other`;
    await stats.apply(p, [
      { accountId: 'a', terms: ['audit', 'compliance', 'invoice'] },
      { accountId: 'b', terms: ['audit', 'scale'] },
    ]);
    await stats.apply(q, [{ accountId: 'a', terms: ['audit'] }]);
    let f = await stats.frequencies(p, ['audit', 'compliance', 'scale', 'missing']);
    expect(f.documents).toBe(2);
    expect(Object.fromEntries(f.df)).toEqual({ audit: 2, compliance: 1, scale: 1 });
    // Re-indexing an account moves only its difference; the other portal never moves.
    await stats.apply(p, [{ accountId: 'a', terms: ['audit', 'scale'] }]);
    f = await stats.frequencies(p, ['audit', 'compliance', 'scale', 'invoice']);
    expect(f.documents).toBe(2);
    expect(Object.fromEntries(f.df)).toEqual({ audit: 2, scale: 2 });
    await stats.apply(p, [{ accountId: 'b', terms: null }, { accountId: 'zz', terms: null }]);
    f = await stats.frequencies(p, ['audit', 'scale']);
    expect(f.documents).toBe(1);
    expect(Object.fromEntries(f.df)).toEqual({ audit: 1, scale: 1 });
    const other = await stats.frequencies(q, ['audit', 'scale']);
    expect(other.documents).toBe(1);
    expect(Object.fromEntries(other.df)).toEqual({ audit: 1 });
  }, 60_000);

  it('names the profiles built when the portal was more than the drift ratio smaller or larger', async () => {
    const stats = await make();
    const p = uniqueName('portal');
    await stats.apply(p, Array.from({ length: 10 }, (_, i) => ({ accountId: `a${i}`, terms: ['t'] })));
    expect((await stats.drifted(p, DRIFT_RATIO, 100)).accountIds).toHaveLength(10); // never profiled
    await stats.markProfiled(p, ['a0', 'a1'], 4); // 4 · 1.25 < 10: drifted
    await stats.markProfiled(p, ['a2', 'a3', 'a4', 'a5', 'a6', 'a7'], 9); // within the ratio
    await stats.markProfiled(p, ['a8', 'a9'], 13); // 13 > 10 · 1.25: drifted (accounts were removed)
    const d = await stats.drifted(p, DRIFT_RATIO, 100);
    expect(d.documents).toBe(10);
    expect(d.accountIds).toEqual(['a0', 'a1', 'a8', 'a9']);
    expect((await stats.drifted(p, DRIFT_RATIO, 1)).accountIds).toEqual(['a0']);
  }, 60_000);
});

describe('account profiler over a growing portal (memory statistics)', () => {
  it('builds every profile as if the final statistics had been known, with O(n) rebuilds in total', async () => {
    const dir = tempDir('hsai-profiler-');
    const store = new SqliteVectorStore({ dataDir: dir.dir, chunkDimensions: 64, accountDimensions: 64 });
    const embedder = new OfflineHashEmbedder({ dimensions: 64 });
    try {
      await store.init();
      const companies = syntheticPortal('p-grow', 10);
      const stats = new MemoryTermStatsStore();
      const profiler = new AccountProfiler({ store, stats, embedder });
      // Indexed one account at a time (chunks stored, as the indexer does), with the event path's bounded refresh.
      let rebuilt = 0;
      for (const c of companies) {
        const texts = c.history.engagements.map((e) => e.object.properties.hs_note_body ?? '');
        const { vectors } = await embedder.embed(texts);
        const chunks = texts.map((text, i) => ({
          id: `${c.id}-${i}`, portalId: 'p-grow', accountId: c.id, sourceType: 'note' as const, sourceId: `notes:${c.id}${i}`, chunkIndex: 0,
          relatedIds: [], occurredAt: '2025-01-01T00:00:00Z', direction: null, speakers: [], text, contentHash: `h${i}`, embeddingModel: embedder.model,
        }));
        await store.upsertChunks(chunks.map((x, i) => ({ ...x, vector: vectors[i]! })));
        await profiler.update([{ history: c.history, chunks }]);
        rebuilt += await profiler.refreshDrifted('p-grow', { limit: 16 });
      }
      rebuilt += await profiler.refreshDrifted('p-grow');
      expect(rebuilt).toBeLessThan(companies.length / Math.log(1 + DRIFT_RATIO) + 1);
      // Every profile now reflects statistics within the ratio of the final ones.
      expect((await stats.drifted('p-grow', DRIFT_RATIO, 1000)).accountIds).toEqual([]);
      // Built at once with the final statistics, the vectors differ only as much as the ratio allows.
      const all = documentFrequencies(companies.map((c) => digestHistory(c.history)));
      expect(all.documents).toBe(companies.length);
      const freshDir = tempDir('hsai-profiler-b-');
      const fresh = new SqliteVectorStore({ dataDir: freshDir.dir, chunkDimensions: 64, accountDimensions: 64 });
      await fresh.init();
      await new AccountProfiler({ store: fresh, stats: new MemoryTermStatsStore(), embedder }).update(companies.map((c) => ({ history: c.history, chunks: [] })));
      const sims: number[] = [];
      for (const c of companies) {
        const a = await store.getProfile('p-grow', c.id);
        const b = await fresh.getProfile('p-grow', c.id);
        sims.push(a && b ? cosine(a.vector, b.vector) : 0);
      }
      expect(sims.reduce((x, y) => x + y, 0) / sims.length).toBeGreaterThan(0.9);
      await fresh.close();
      freshDir.cleanup();
    } finally {
      await store.close();
      dir.cleanup();
    }
  }, 60_000);
});
