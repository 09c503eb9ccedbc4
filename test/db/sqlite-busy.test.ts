import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqliteKv } from '../../src/cache/sqlite-kv.ts';
import { createSql, type SqlHandle } from '../../src/db/sql.ts';
import { openSqlite, releaseSqlite, SqliteFiles, sqlitePath, writeTransaction } from '../../src/db/sqlite.ts';
import { SqliteVectorStore } from '../../src/retrieval/sqlite-vector-store.ts';
import { writerChunks, WRITER_DIMS } from '../fixtures/sqlite-writer-chunks.ts';
import { tempDir } from '../support/tmp.ts';

/**
 * The embedded mode with two processes on one SQLite file (`serve` and a `hubspot-ai backfill`): a write of one
 * must wait for the other's write lock, never fail with SQLITE_BUSY. Deferred transactions that read before they
 * write failed at once (SQLite cannot wait for a reader to upgrade), which failed a webhook's ingest job whenever
 * a backfill was writing. The other process is real (test/fixtures/sqlite-writer-child.ts).
 */
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const CHILD = path.join(root, 'test/fixtures/sqlite-writer-child.ts');
const tmp = tempDir('hsai-busy-');
const files = new SqliteFiles();
let child: ChildProcessByStdio<Writable, Readable, null>;
let lines: AsyncIterator<string>;
let store: SqliteVectorStore;
let kv: SqliteKv;
let handle: SqlHandle;

async function next(prefix: string): Promise<string> {
  for (;;) {
    const { value, done } = await lines.next();
    if (done) throw new Error(`the writer process ended before printing "${prefix}"`);
    if (value.startsWith(prefix)) return value;
  }
}

beforeAll(async () => {
  store = new SqliteVectorStore({ dataDir: tmp.dir, sqlite: files, ...WRITER_DIMS });
  await store.init();
  kv = new SqliteKv({ dataDir: tmp.dir, sqlite: files });
  handle = await createSql({ dataDir: tmp.dir, sqlite: files });
  await sql`CREATE TABLE IF NOT EXISTS busy_kysely (k TEXT PRIMARY KEY, n INTEGER NOT NULL)`.execute(handle.db);
  child = spawn(process.execPath, ['--import', 'tsx', CHILD], { cwd: root, env: { ...process.env, DATA_DIR: tmp.dir }, stdio: ['pipe', 'pipe', 'inherit'] });
  lines = readline.createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  await next('ready');
}, 60_000);

afterAll(async () => {
  if (child && child.exitCode === null) {
    const exited = new Promise((r) => child.once('exit', r));
    child.stdin.end('exit\n');
    await exited;
  }
  await store?.close();
  await kv?.close();
  await handle?.close();
  await files.close();
  tmp.cleanup();
});

/** Runs `op` while the other process holds the write lock; the op must wait for it and succeed. */
async function whileOtherHoldsLock<T>(op: () => Promise<T>): Promise<T> {
  child.stdin.write('hold 300\n');
  const locked = await next('locked ');
  const n = Number(locked.split(' ')[1]);
  const result = await op();
  // The op wrote, so it held the write lock after the other process committed: the other's row is there.
  const db = files.open(sqlitePath(tmp.dir));
  try {
    expect(db.prepare('SELECT n FROM holder WHERE n = ?').get(n)).toEqual({ n });
  } finally {
    files.release(db);
  }
  await next(`committed ${n}`);
  return result;
}

describe('two processes writing one SQLite file', () => {
  it('vector upserts (which read before they write) wait for the other process instead of failing', async () => {
    await store.upsertChunks(writerChunks('p1', 20, 0));
    await whileOtherHoldsLock(() => store.upsertChunks(writerChunks('p1', 20, 1)));
    const [first] = await store.getChunks('p1', ['p1-chunk-0']);
    expect(first?.text).toBe('round 1 note 0 from portal p1');
    await whileOtherHoldsLock(() => store.deleteSources('p1', ['notes:1']));
    await whileOtherHoldsLock(() => store.deleteChunks('p1', ['p1-chunk-2']));
    expect((await store.listChunkKeys('p1', 'acct-1')).map((k) => k.id)).not.toEqual(expect.arrayContaining(['p1-chunk-1', 'p1-chunk-2']));
    await whileOtherHoldsLock(() => store.deleteAccount('p1', 'acct-1'));
    expect(await store.listChunkKeys('p1', 'acct-1')).toEqual([]);
  }, 60_000);

  it('cache batches and the SQL layer’s transactions wait too', async () => {
    await whileOtherHoldsLock(() => kv.setMany([{ key: 'busy:a', value: Buffer.from('a') }]));
    expect(await whileOtherHoldsLock(() => kv.setManyIfAbsent([{ key: 'busy:a', value: Buffer.from('x') }, { key: 'busy:b', value: Buffer.from('b') }]))).toEqual([false, true]);
    // A Kysely transaction that reads, then writes (as the term statistics and migrations do).
    await whileOtherHoldsLock(() =>
      handle.db.transaction().execute(async (tx) => {
        const { rows } = await sql<{ n: number }>`SELECT count(*) AS n FROM busy_kysely`.execute(tx);
        await sql`INSERT INTO busy_kysely (k, n) VALUES ('first', ${rows[0]!.n})`.execute(tx);
      }),
    );
    const { rows } = await sql<{ k: string; n: number }>`SELECT k, n FROM busy_kysely`.execute(handle.db);
    expect(rows).toEqual([{ k: 'first', n: 0 }]);
  }, 60_000);

  it('a writer kept waiting longer than its busy_timeout retries the BEGIN instead of failing, and runs once', async () => {
    // SQLite's busy handler polls rather than queueing, so a writer can lose every poll for longer than one
    // busy_timeout to a process that keeps committing and beginning again. Here the wait is simply longer than a
    // 20 ms busy_timeout: the BEGIN fails with SQLITE_BUSY several times and is retried; the body runs once.
    const db = openSqlite(sqlitePath(tmp.dir));
    try {
      db.pragma('busy_timeout = 20');
      db.exec('CREATE TABLE IF NOT EXISTS busy_retry (n INTEGER NOT NULL)');
      let runs = 0;
      await whileOtherHoldsLock(async () =>
        writeTransaction(db, () => {
          runs += 1;
          db.prepare('INSERT INTO busy_retry (n) VALUES (?)').run(runs);
        }),
      );
      expect(runs).toBe(1);
      expect(db.prepare('SELECT n FROM busy_retry').all()).toEqual([{ n: 1 }]);
      // The SQL layer's transactions (Kysely's `begin`) retry the same way.
      const shared = files.open(sqlitePath(tmp.dir));
      try {
        shared.pragma('busy_timeout = 20');
        await whileOtherHoldsLock(() => handle.db.transaction().execute(async (tx) => sql`INSERT INTO busy_kysely (k, n) VALUES ('retried', 1)`.execute(tx)));
      } finally {
        shared.pragma('busy_timeout = 5000');
        files.release(shared);
      }
      const { rows } = await sql<{ n: number }>`SELECT n FROM busy_kysely WHERE k = 'retried'`.execute(handle.db);
      expect(rows).toEqual([{ n: 1 }]);
      // A failure inside the body is not a lock wait: it is thrown at once and the body is not run again.
      let failing = 0;
      expect(() =>
        writeTransaction(db, () => {
          failing += 1;
          throw Object.assign(new Error('busy inside'), { code: 'SQLITE_BUSY' });
        }),
      ).toThrow('busy inside');
      expect(failing).toBe(1);
    } finally {
      releaseSqlite(db);
    }
  }, 60_000);

  it('both processes upsert chunks at once and every write of both lands', async () => {
    const SIZE = 64;
    child.stdin.write(`upsert p2 30 ${SIZE}\n`);
    const otherDone = next('upserted ');
    let finished = false;
    void otherDone.then(() => (finished = true), () => (finished = true));
    // This process keeps writing for as long as the other one does (and at least 10 batches).
    let rounds = 0;
    while (!finished || rounds < 10) {
      await store.upsertChunks(writerChunks('p3', SIZE, rounds));
      await kv.setMany([{ key: `writer:p3:${rounds}`, value: Buffer.from([rounds % 256]) }]);
      rounds += 1;
      await new Promise((r) => setImmediate(r));
    }
    expect(await otherDone).toBe(`upserted ${30 * SIZE}`);
    expect((await store.stats('p2')).chunks).toBe(SIZE);
    expect((await store.stats('p3')).chunks).toBe(SIZE);
    const last = await store.getChunks('p2', ['p2-chunk-0']);
    expect(last[0]?.text).toBe('round 29 note 0 from portal p2');
    expect(await kv.get('writer:p2:29')).not.toBeNull();
    expect(await kv.get(`writer:p3:${rounds - 1}`)).not.toBeNull();
  }, 120_000);
});
