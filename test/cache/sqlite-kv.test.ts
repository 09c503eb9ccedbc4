import { describe, expect, it } from 'vitest';
import { createCache } from '../../src/cache/create-cache.ts';
import { SqliteKv } from '../../src/cache/sqlite-kv.ts';
import { openSqlite, releaseSqlite, sqlitePath } from '../../src/db/sqlite.ts';
import { tempDir } from '../support/tmp.ts';
import { kvContract } from './kv.contract.ts';

describe('SqliteKv', () => {
  let clock = Date.UTC(2025, 5, 1);
  let tmp: ReturnType<typeof tempDir> | undefined;
  kvContract({
    open: async () => {
      tmp = tempDir('hsai-kv-');
      return new SqliteKv({ dataDir: tmp.dir, now: () => clock });
    },
    elapse: async (seconds) => {
      clock += seconds * 1000 + 1;
    },
    cleanup: async () => tmp?.cleanup(),
  });

  it('lives in the shared SQLite file as cache_kv and purges expired rows', async () => {
    const { dir, cleanup } = tempDir('hsai-kv-');
    let now = 1_000_000;
    const kv = await createCache({ dataDir: dir });
    expect(kv.kind).toBe('sqlite');
    await kv.close();
    const timed = new SqliteKv({ dataDir: dir, now: () => now });
    await timed.set('old', Buffer.from('x'), 10);
    await timed.set('keep', Buffer.from('y'));
    const db = openSqlite(sqlitePath(dir));
    expect(db.prepare('SELECT key, expires_at FROM cache_kv ORDER BY key').all()).toEqual([
      { key: 'keep', expires_at: null },
      { key: 'old', expires_at: 1_010_000 },
    ]);
    now += 10_000;
    expect(timed.purgeExpired()).toBe(1);
    releaseSqlite(db);
    await timed.close();
    await expect(timed.get('keep')).rejects.toMatchObject({ code: 'CACHE_UNAVAILABLE' });
    cleanup();
  });
});
