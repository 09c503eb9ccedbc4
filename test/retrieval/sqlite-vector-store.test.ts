import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openSqlite, releaseSqlite, sqlitePath } from '../../src/db/sqlite.ts';
import { SqliteVectorStore } from '../../src/retrieval/sqlite-vector-store.ts';
import { EmbeddingModelChangedError } from '../../src/retrieval/retrieval-errors.ts';
import { tempDir } from '../support/tmp.ts';
import { CONTRACT_DIMS, axisVector, chunk, profile, vectorStoreContract } from './vector-store.contract.ts';

const dirs: Array<() => void> = [];
afterEach(() => {
  while (dirs.length) dirs.pop()!();
});

function freshDir(): string {
  const { dir, cleanup } = tempDir('hsai-vec-');
  dirs.push(cleanup);
  return dir;
}

const storeDirs = new WeakMap<object, string>();

async function make(): Promise<SqliteVectorStore> {
  const dataDir = freshDir();
  const store = new SqliteVectorStore({ dataDir, ...CONTRACT_DIMS });
  storeDirs.set(store, dataDir);
  await store.init();
  return store;
}

vectorStoreContract('sqlite', make, {
  reopen: async (old) => {
    const dataDir = storeDirs.get(old)!;
    await old.close();
    const store = new SqliteVectorStore({ dataDir, ...CONTRACT_DIMS });
    await store.init();
    return store;
  },
});

describe('SqliteVectorStore', () => {
  it('refuses a file built with other dimensions and explains how to reindex', async () => {
    const dataDir = freshDir();
    const first = new SqliteVectorStore({ dataDir, ...CONTRACT_DIMS });
    await first.init();
    await first.close();
    const changed = new SqliteVectorStore({ dataDir, chunkDimensions: 32, accountDimensions: CONTRACT_DIMS.accountDimensions });
    const err = await changed.init().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EmbeddingModelChangedError);
    expect((err as Error).message).toMatch(/16-dimensional chunk vectors.*produces 32.*embedding model.*changed.*[Rr]eindex/s);
    await changed.reset();
    await changed.upsertChunks([chunk({ portalId: 'p', accountId: 'a', id: 'c', vector: new Float32Array(32).fill(1) })]);
    expect((await changed.stats('p')).chunks).toBe(1);
    await changed.close();
  });

  it('shares a given connection without closing it, and pads account vectors that are not a multiple of 8', async () => {
    const db = openSqlite(sqlitePath(freshDir()));
    const store = new SqliteVectorStore({ db, chunkDimensions: 4, accountDimensions: 12 });
    await store.init();
    await store.upsertProfiles([
      profile({ portalId: 'p', accountId: 'x', vector: axisVector(12, 3) }),
      profile({ portalId: 'p', accountId: 'y', vector: axisVector(12, 11) }),
    ]);
    const hits = await store.nearestAccounts('p', axisVector(12, 11), 1);
    expect(hits.map((h) => h.profile.accountId)).toEqual(['y']);
    await store.close();
    expect(db.open).toBe(true);
    releaseSqlite(db);
  });

  it("finds an account's vec0 storage chunks through an index, kept through deletes and a reset", async () => {
    const db = openSqlite(sqlitePath(freshDir()));
    const store = new SqliteVectorStore({ db, ...CONTRACT_DIMS });
    await store.init();
    // The statement vec0 runs on every KNN and insert to find a partition's chunks (sqlite-vec 0.1.9).
    const plan = () =>
      (db.prepare(`EXPLAIN QUERY PLAN SELECT chunk_id, validity, rowids FROM vec_chunks_chunks WHERE partition00 = ? AND partition01 = ?`)
        .all('p', 'a') as Array<{ detail: string }>).map((r) => r.detail).join('; ');
    const accountsPlan = () =>
      (db.prepare(`EXPLAIN QUERY PLAN SELECT chunk_id, validity, rowids FROM vec_accounts_chunks WHERE partition00 = ?`)
        .all('p') as Array<{ detail: string }>).map((r) => r.detail).join('; ');
    expect(plan()).toMatch(/USING INDEX vec_chunks_chunks_partition \(partition00=\? AND partition01=\?\)/);
    expect(accountsPlan()).toMatch(/USING INDEX vec_accounts_chunks_partition \(partition00=\?\)/);
    const chunks = ['a', 'b', 'c'].flatMap((accountId, a) =>
      Array.from({ length: 40 }, (_, i) => chunk({ portalId: 'p', accountId, id: `${accountId}-${i}`, vector: axisVector(CONTRACT_DIMS.chunkDimensions, (a + i) % 16) })),
    );
    await store.upsertChunks(chunks);
    await store.deleteAccount('p', 'b');
    await store.deleteChunks('p', ['a-0', 'a-1']);
    const hits = await store.searchDense('p', 'a', axisVector(CONTRACT_DIMS.chunkDimensions, 2), 3);
    expect(hits.map((h) => h.chunk.id)).toEqual(['a-18', 'a-2', 'a-34']);
    expect(await store.searchDense('p', 'b', axisVector(CONTRACT_DIMS.chunkDimensions, 2), 3)).toEqual([]);
    expect((db.prepare(`PRAGMA integrity_check`).get() as { integrity_check: string }).integrity_check).toBe('ok');
    await store.reset();
    expect(plan()).toMatch(/USING INDEX vec_chunks_chunks_partition/);
    await store.close();
    releaseSqlite(db);
  });

  it('rolls back a batch when one chunk is invalid', async () => {
    const store = await make();
    const good = chunk({ portalId: 'p', accountId: 'a', id: 'ok' });
    const bad = chunk({ portalId: 'p', accountId: 'a', id: 'bad', occurredAt: 'not a date' });
    await expect(store.upsertChunks([good, bad])).rejects.toThrow(/ISO timestamp/);
    expect((await store.stats('p')).chunks).toBe(0);
    await expect(store.upsertChunks([chunk({ portalId: 'p', accountId: 'a', id: 'short', vector: new Float32Array(3) })])).rejects.toThrow(
      /3 dimensions/,
    );
    await store.close();
  });
  it('ranks an account\'s keyword hits with that account\'s statistics only: other accounts\' chunks change nothing', async () => {
    const store = await make();
    const own = [
      chunk({ portalId: 'p', accountId: 'a1', id: 'renewal', text: 'Renewal call: pricing for next year.' }),
      chunk({ portalId: 'p', accountId: 'a1', id: 'pricing-1', text: 'Pricing sheet sent, pricing approved.' }),
      chunk({ portalId: 'p', accountId: 'a1', id: 'pricing-2', text: 'Pricing questions from procurement.' }),
      chunk({ portalId: 'p', accountId: 'a1', id: 'other', text: 'Weekly check-in about onboarding.' }),
    ];
    await store.upsertChunks(own);
    const before = await store.searchKeyword('p', 'a1', 'renewal pricing', 10);
    // In a1, "renewal" is the rare term and lifts its chunk first.
    expect(before.map((h) => h.chunk.id)).toEqual(['renewal', 'pricing-1', 'pricing-2']);
    // Another account of the same portal talks about renewals all the time: with file-wide statistics (FTS5's
    // bm25()) "renewal" would turn common and the ranking of a1 would move.
    await store.upsertChunks(
      Array.from({ length: 40 }, (_, i) => chunk({ portalId: 'p', accountId: 'a2', id: `a2-${i}`, text: `Renewal renewal follow-up ${i}.` })),
    );
    const after = await store.searchKeyword('p', 'a1', 'renewal pricing', 10);
    expect(after.map((h) => [h.chunk.id, h.score])).toEqual(before.map((h) => [h.chunk.id, h.score]));
    await store.close();
  });
  it('still ranks an account with more keyword matches than it scans itself (FTS5 ranks them)', async () => {
    const store = await make();
    const many = Array.from({ length: 1_001 }, (_, i) => chunk({ portalId: 'p', accountId: 'big', id: `n-${String(i).padStart(4, '0')}`, text: `pricing note ${i}` }));
    many.push(chunk({ portalId: 'p', accountId: 'big', id: 'best', text: 'Pricing and SSO: pricing, SSO.' }));
    await store.upsertChunks(many);
    const hits = await store.searchKeyword('p', 'big', 'sso pricing', 3);
    expect(hits).toHaveLength(3);
    expect(hits[0]!.chunk.id).toBe('best');
    expect(hits.every((h) => h.chunk.accountId === 'big')).toBe(true);
    await store.close();
  });
});

describe('SqliteVectorStore warm-up at start', () => {
  it('compiles the query statements and reads the whole file; the store answers as before', async () => {
    const store = await make();
    const dataDir = storeDirs.get(store)!;
    const v = axisVector(CONTRACT_DIMS.chunkDimensions, 0);
    await store.upsertChunks([chunk({ portalId: 'p1', id: 'c1', accountId: 'a1', text: 'renewal pricing call', vector: v })]);
    const report = await store.warm();
    expect(report.file?.file).toBe(sqlitePath(dataDir));
    expect(report.file?.bytesRead).toBe(report.file?.fileBytes);
    expect(report.file?.bytesRead).toBeGreaterThan(0);
    expect(report.file?.stopped).toBeUndefined();
    expect((await store.searchDense('p1', 'a1', v, 8)).map((h) => h.chunk.id)).toEqual(['c1']);
    expect((await store.searchKeyword('p1', 'a1', 'renewal', 8)).map((h) => h.chunk.id)).toEqual(['c1']);
    await store.close();
  });

  it('reads at most its byte budget, and stops when aborted', async () => {
    const { prewarmFile } = await import('../../src/db/prewarm-file.ts');
    const file = path.join(freshDir(), 'index.db');
    fs.writeFileSync(file, Buffer.alloc(64 * 1024, 1));
    expect(await prewarmFile(file, { chunkBytes: 4096 })).toMatchObject({ fileBytes: 65536, bytesRead: 65536 });
    const bounded = await prewarmFile(file, { maxBytes: 8192, chunkBytes: 4096 });
    expect(bounded).toMatchObject({ bytesRead: 8192, stopped: 'memory' });
    const controller = new AbortController();
    controller.abort();
    const aborted = await prewarmFile(file, { signal: controller.signal });
    expect(aborted).toMatchObject({ bytesRead: 0, stopped: 'aborted' });
  });
});
