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
});
