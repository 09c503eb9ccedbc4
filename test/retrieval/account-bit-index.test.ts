import Database from 'better-sqlite3';
import * as sqliteVec from 'sqlite-vec';
import { afterEach, describe, expect, it } from 'vitest';
import { releaseSqlite, sqlitePath, openSqlite } from '../../src/db/sqlite.ts';
import { AccountBitIndex } from '../../src/retrieval/account-bit-index.ts';
import { filterKey } from '../../src/retrieval/firmographics.ts';
import { SqliteVectorStore } from '../../src/retrieval/sqlite-vector-store.ts';
import { cosine } from '../../src/retrieval/vector-math.ts';
import type { AccountFilter, AccountProfile } from '../../src/retrieval/vector-store.ts';
import { syntheticProfiles } from '../../bench/lib/similar-data.ts';
import { tempDir } from '../support/tmp.ts';
import { axisVector, profile } from './vector-store.contract.ts';

const cleanups: Array<() => void> = [];
afterEach(() => {
  while (cleanups.length) cleanups.shift()!(); // connections first (unshifted), then directories
});

function exactTop(profiles: AccountProfile[], q: Float32Array, k: number, f: AccountFilter = {}): string[] {
  const excluded = new Set(f.excludeAccountIds ?? []);
  return profiles
    .filter(
      (p) =>
        !excluded.has(p.accountId) &&
        (!f.industry || filterKey(p.industry) === filterKey(f.industry)) &&
        (!f.sizeBand || filterKey(p.sizeBand) === filterKey(f.sizeBand)) &&
        (!f.lifecycle || filterKey(p.lifecycle) === filterKey(f.lifecycle)) &&
        !(f.excludeCustomers && p.isCustomer),
    )
    .map((p) => ({ id: p.accountId, s: cosine(p.vector, q) }))
    .sort((a, b) => b.s - a.s || a.id.localeCompare(b.id))
    .slice(0, k)
    .map((x) => x.id);
}

function indexOf(profiles: AccountProfile[], dims: number): AccountBitIndex {
  const idx = new AccountBitIndex(dims);
  profiles.forEach((p, seq) => idx.upsert({ ...p, seq }));
  return idx;
}

describe('AccountBitIndex (in memory)', () => {
  const dims = 200; // not a multiple of 32: the last word is partial
  const profiles = syntheticProfiles({ portalId: 'p', count: 4000, dims, clusters: 40 });

  it('finds the exact top-10 neighbours with filters applied during the scan (recall@10 ≥ 0.95)', () => {
    const idx = indexOf(profiles, dims);
    let found = 0;
    let wanted = 0;
    for (let i = 0; i < 60; i++) {
      const self = profiles[i * 61]!;
      const filter: AccountFilter = { excludeAccountIds: [self.accountId], ...(i % 3 === 0 ? { industry: self.industry!.toUpperCase(), excludeCustomers: true } : {}) };
      const truth = exactTop(profiles, self.vector, 10, filter);
      const got = idx.search(self.vector, filter, 200, 10).map((c) => c.accountId);
      expect(got).not.toContain(self.accountId);
      if (filter.industry) {
        for (const id of got) {
          const p = profiles[Number(id) - 100_000]!;
          expect([filterKey(p.industry), p.isCustomer]).toEqual([filterKey(self.industry), false]);
        }
      }
      found += got.filter((id) => truth.includes(id)).length;
      wanted += truth.length;
    }
    expect(found / wanted).toBeGreaterThanOrEqual(0.95);
  });

  it('keeps recall@10 ≥ 0.95 through the coarse first pass on wide vectors and many rows, filters included', () => {
    const wide = 1024;
    const many = syntheticProfiles({ portalId: 'p', count: 24_000, dims: wide, clusters: 120 });
    const idx = indexOf(many, wide);
    let found = 0;
    let wanted = 0;
    for (let i = 0; i < 20; i++) {
      const self = many[i * 1193]!;
      const filter: AccountFilter = { excludeAccountIds: [self.accountId], ...(i % 3 === 0 ? { industry: self.industry!, excludeCustomers: true } : {}) };
      const truth = exactTop(many, self.vector, 10, filter);
      const got = idx.search(self.vector, filter, 400, 10).map((c) => c.accountId);
      expect(got).not.toContain(self.accountId);
      found += got.filter((id) => truth.includes(id)).length;
      wanted += truth.length;
    }
    expect(found / wanted).toBeGreaterThanOrEqual(0.95);
  });

  it('keeps the exact top-10 when the filter leaves fewer rows than candidates, and matches nothing for unknown values', () => {
    const idx = indexOf(profiles, dims);
    const q = profiles[5]!.vector;
    const filter: AccountFilter = { industry: profiles[5]!.industry!, sizeBand: profiles[5]!.sizeBand!, lifecycle: 'lead' };
    // Every matching row is re-ranked by the int8 copy; the store's final stage orders the kept rows exactly.
    const kept = idx.search(q, filter, 5000, 20).map((c) => c.accountId);
    expect(kept).toEqual(expect.arrayContaining(exactTop(profiles, q, 10, filter)));
    expect(idx.search(q, { industry: 'no such industry' }, 400, 10)).toEqual([]);
  });

  it('replaces and deletes rows in place, reusing freed slots', () => {
    const idx = indexOf(profiles.slice(0, 100), dims);
    const far = profiles[50]!;
    const target = profiles[0]!.vector;
    idx.upsert({ ...far, seq: 50, vector: target });
    expect(idx.search(target, { excludeAccountIds: [profiles[0]!.accountId] }, 50, 1)[0]).toMatchObject({ seq: 50, accountId: far.accountId });
    idx.delete(far.accountId);
    expect(idx.size).toBe(99);
    expect(idx.search(target, {}, 100, 100).map((c) => c.accountId)).not.toContain(far.accountId);
    const before = idx.residentBytes();
    idx.upsert({ ...profiles[101]!, seq: 101 });
    expect(idx.size).toBe(100);
    expect(idx.residentBytes()).toBeGreaterThanOrEqual(before);
    expect(idx.search(profiles[101]!.vector, {}, 10, 1)[0]!.approx).toBeCloseTo(1, 2);
  });
});

describe('SqliteVectorStore similar accounts: the in-memory index stays current', () => {
  const A = 16;
  const open = async () => {
    const { dir, cleanup } = tempDir('hsai-bitidx-');
    cleanups.push(cleanup);
    const store = new SqliteVectorStore({ dataDir: dir, chunkDimensions: 4, accountDimensions: A });
    await store.init();
    cleanups.unshift(() => void store.close());
    return { dir, store };
  };
  const ids = async (store: SqliteVectorStore, axis: number, k = 3) =>
    (await store.nearestAccounts('p', axisVector(A, axis), k)).map((h) => h.profile.accountId);

  it('follows this process’s upserts, deletes, failed batches and reset', async () => {
    const { store } = await open();
    await store.upsertProfiles([profile({ portalId: 'p', accountId: 'a', vector: axisVector(A, 1) })]);
    expect(await ids(store, 1)).toEqual(['a']); // loads the index
    await store.upsertProfiles([profile({ portalId: 'p', accountId: 'b', vector: axisVector(A, 2) })]);
    expect(await ids(store, 2)).toEqual(['b', 'a']);
    await store.upsertProfiles([profile({ portalId: 'p', accountId: 'a', vector: axisVector(A, 2, 1, 0.9) })]);
    const hits = await store.nearestAccounts('p', axisVector(A, 2), 2);
    expect(hits.map((h) => h.profile.accountId)).toEqual(['b', 'a']);
    expect(hits[0]!.score).toBeCloseTo(1, 6); // exact cosine from the float vectors
    await expect(
      store.upsertProfiles([
        profile({ portalId: 'p', accountId: 'c', vector: axisVector(A, 3) }),
        profile({ portalId: 'p', accountId: 'bad', vector: new Float32Array(3) }),
      ]),
    ).rejects.toThrow(/3 dimensions/);
    expect(await ids(store, 3)).not.toContain('c');
    await store.deleteAccount('p', 'b');
    expect(await ids(store, 2)).toEqual(['a']);
    expect(store.accountIndexBytes()).toBeGreaterThan(0);
    await store.reset();
    expect(await ids(store, 2)).toEqual([]);
    await store.upsertProfiles([profile({ portalId: 'p', accountId: 'd', vector: axisVector(A, 4) })]);
    expect(await ids(store, 4)).toEqual(['d']);
  });

  it('sees writes made through another connection to the same file', async () => {
    const { dir, store } = await open();
    await store.upsertProfiles([profile({ portalId: 'p', accountId: 'a', vector: axisVector(A, 1) })]);
    expect(await ids(store, 5)).toEqual(['a']);
    // A second connection stands for another process: openSqlite would share this process's connection.
    const other = new Database(sqlitePath(dir));
    sqliteVec.load(other);
    cleanups.unshift(() => other.close());
    const writer = new SqliteVectorStore({ db: other, chunkDimensions: 4, accountDimensions: A });
    await writer.init();
    await writer.upsertProfiles([profile({ portalId: 'p', accountId: 'x', vector: axisVector(A, 5) })]);
    expect(await ids(store, 5)).toEqual(['x', 'a']);
    await writer.deleteAccount('p', 'x');
    expect(await ids(store, 5)).toEqual(['a']);
    await writer.reset();
    await writer.upsertProfiles([profile({ portalId: 'p', accountId: 'y', vector: axisVector(A, 6) })]);
    expect(await ids(store, 6)).toEqual(['y']);
    await writer.close();
  });

  it('answers the same with the sqlite-vec coarse stage (inMemory: false)', async () => {
    const { dir } = await open();
    const db = openSqlite(sqlitePath(dir));
    cleanups.unshift(() => releaseSqlite(db));
    const store = new SqliteVectorStore({ db, chunkDimensions: 4, accountDimensions: A, accountIndex: { inMemory: false } });
    await store.init();
    await store.upsertProfiles([1, 2, 3].map((i) => profile({ portalId: 'p', accountId: `a${i}`, vector: axisVector(A, i, 0, 0.3 * i) })));
    expect(await ids(store, 2)).toEqual(['a2', 'a1', 'a3']);
    expect(store.accountIndexBytes()).toBe(0);
  });
});
