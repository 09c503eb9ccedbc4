import path from 'node:path';
import { Migrator, sql, type Kysely } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { createSql, type SqlHandle } from '../../src/db/sql.ts';
import { openSqlite, queuePath, releaseSqlite, sqlitePath, type SqliteDb } from '../../src/db/sqlite.ts';
import { allMigrations, migrateAll, MIGRATION_TABLE, sqliteFileMigrations } from '../../src/db/migrator.ts';
import { SqlModelRecordStore } from '../../src/db/model-records.ts';
import { SqliteKv } from '../../src/cache/sqlite-kv.ts';
import { EmbeddedQueue } from '../../src/queue/embedded-queue.ts';
import { SqliteVectorStore } from '../../src/retrieval/sqlite-vector-store.ts';
import { scopeText } from '../../src/retrieval/fts-query.ts';
import { SqliteWindowStore } from '../../src/hubspot/sqlite-window-store.ts';
import { toBlob } from '../../src/retrieval/vector-math.ts';
import { describePostgres, uniqueName } from '../support/services.ts';
import { tempDir } from '../support/tmp.ts';

/**
 * A database written by the previous release upgrades through the one migrator with its data. That release created
 * cache_kv, queue_jobs, the vector tables and the limiter's window log from each adapter with CREATE TABLE IF NOT
 * EXISTS (the DDL below is its text), and the SQL-layer tables through the migrator of groups 01-08.
 */
const PREVIOUS_ADAPTER_DDL = `
CREATE TABLE IF NOT EXISTS cache_kv (key TEXT PRIMARY KEY, value BLOB NOT NULL, expires_at INTEGER) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS cache_kv_expires ON cache_kv (expires_at) WHERE expires_at IS NOT NULL;
CREATE TABLE IF NOT EXISTS queue_jobs (
  id INTEGER PRIMARY KEY AUTOINCREMENT, queue TEXT NOT NULL, type TEXT NOT NULL, portal TEXT NOT NULL DEFAULT '',
  payload TEXT NOT NULL, key TEXT, state TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, max_attempts INTEGER NOT NULL,
  run_at INTEGER NOT NULL, lease_owner TEXT, lease_until INTEGER, last_error TEXT, created_at INTEGER NOT NULL, finished_at INTEGER
);
CREATE INDEX IF NOT EXISTS queue_jobs_ready ON queue_jobs (queue, state, run_at);
CREATE INDEX IF NOT EXISTS queue_jobs_key ON queue_jobs (queue, key, state) WHERE key IS NOT NULL;
CREATE INDEX IF NOT EXISTS queue_jobs_portal ON queue_jobs (queue, state, portal, run_at);
CREATE TABLE IF NOT EXISTS retrieval_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
INSERT INTO retrieval_meta (key, value) VALUES ('chunk_dimensions', '8'), ('account_dimensions', '16'), ('embedding_model', 'hash-v1');
CREATE TABLE IF NOT EXISTS retrieval_chunks (
  seq INTEGER PRIMARY KEY, portal_id TEXT NOT NULL, id TEXT NOT NULL, account_id TEXT NOT NULL, source_type TEXT NOT NULL,
  source_id TEXT NOT NULL, chunk_index INTEGER NOT NULL, related_ids TEXT NOT NULL, occurred_at TEXT NOT NULL,
  occurred_ms INTEGER NOT NULL, direction TEXT, speakers TEXT NOT NULL, text TEXT NOT NULL, content_hash TEXT NOT NULL,
  embedding_model TEXT NOT NULL, UNIQUE (portal_id, id)
);
CREATE INDEX IF NOT EXISTS retrieval_chunks_account_source ON retrieval_chunks (portal_id, account_id, source_id, chunk_index);
CREATE INDEX IF NOT EXISTS retrieval_chunks_source ON retrieval_chunks (portal_id, source_id);
CREATE VIRTUAL TABLE IF NOT EXISTS vec_chunks USING vec0(
  portal_id TEXT PARTITION KEY, account_id TEXT PARTITION KEY, embedding FLOAT[8] distance_metric=cosine,
  source_type TEXT, occurred_ms INTEGER, source_id TEXT, chunk_size=32
);
CREATE VIRTUAL TABLE IF NOT EXISTS fts_chunks USING fts5(text, scope, content='', contentless_delete=1, tokenize='unicode61 remove_diacritics 2');
CREATE TABLE IF NOT EXISTS retrieval_accounts (
  seq INTEGER PRIMARY KEY, portal_id TEXT NOT NULL, account_id TEXT NOT NULL, name TEXT NOT NULL, industry TEXT, size_band TEXT,
  lifecycle TEXT, is_customer INTEGER NOT NULL, topics TEXT NOT NULL, updated_at TEXT NOT NULL, content_hash TEXT NOT NULL,
  embedding_model TEXT NOT NULL, vector BLOB NOT NULL, UNIQUE (portal_id, account_id)
);
CREATE VIRTUAL TABLE IF NOT EXISTS vec_accounts USING vec0(
  portal_id TEXT PARTITION KEY, embedding BIT[16], industry TEXT, size_band TEXT, lifecycle TEXT, is_customer INTEGER
);
CREATE INDEX IF NOT EXISTS vec_chunks_chunks_partition ON vec_chunks_chunks (partition00, partition01);
CREATE INDEX IF NOT EXISTS vec_accounts_chunks_partition ON vec_accounts_chunks (partition00);`;

const PREVIOUS_LIMITER_DDL = `
CREATE TABLE IF NOT EXISTS window_log (
  limiter TEXT NOT NULL, kind TEXT NOT NULL, member TEXT NOT NULL, expires_at INTEGER NOT NULL, PRIMARY KEY (limiter, kind, member)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS window_log_expiry ON window_log (limiter, kind, expires_at);
CREATE TABLE IF NOT EXISTS window_pause (limiter TEXT NOT NULL, kind TEXT NOT NULL, until INTEGER NOT NULL, PRIMARY KEY (limiter, kind)) WITHOUT ROWID;`;

const tmp = tempDir('hsai-upgrade-');
afterAll(() => tmp.cleanup());

const FAR = 4_000_000_000_000; // an expiry far in the future (ms)

/** The previous release's migrator: the SQL-layer groups 01-08 (unchanged since), one bookkeeping table. */
async function previousSqlLayer(h: SqlHandle): Promise<void> {
  const schema = h.dialect === 'postgres' ? (await sql<{ s: string }>`SELECT current_schema() AS s`.execute(h.db)).rows[0]?.s : undefined;
  const { error } = await new Migrator({
    db: h.db,
    ...(schema ? { migrationTableSchema: schema } : {}),
    provider: { getMigrations: async () => allMigrations(h.dialect) },
    migrationTableName: MIGRATION_TABLE,
    migrationLockTableName: `${MIGRATION_TABLE}_lock`,
    allowUnorderedMigrations: true,
  }).migrateToLatest();
  expect(error).toBeUndefined();
  await new SqlModelRecordStore(h).save({ kind: 'lead_scorer', portalId: 'p1', name: 'lead_scorer', version: 'v-old', validated: true, figures: { auc: 0.8 }, validation: null, artefact: { w: [1] } });
}

async function namesOf(h: SqlHandle): Promise<string[]> {
  return ((await (h.db as Kysely<Record<string, { name: string }>>).selectFrom(MIGRATION_TABLE).select('name').orderBy('name').execute()) as Array<{ name: string }>).map((r) => r.name);
}

function vector(seed: number, dims: number): Float32Array {
  return Float32Array.from({ length: dims }, (_, i) => Math.sin(seed * 7 + i));
}

function writePreviousRelease(db: SqliteDb): void {
  db.exec(PREVIOUS_ADAPTER_DDL);
  db.prepare(`INSERT INTO cache_kv (key, value, expires_at) VALUES ('emb:1', ?, NULL), ('dedupe:2', ?, ?)`).run(Buffer.from('cached'), Buffer.from('x'), FAR);
  db.prepare(
    `INSERT INTO queue_jobs (queue, type, portal, payload, state, max_attempts, run_at, created_at) VALUES ('hsai', 'ingest.account', 'p1', ?, 'waiting', 5, 0, 0)`,
  ).run(JSON.stringify({ portalId: 'p1', accountId: 'a1' }));
  db.prepare(
    `INSERT INTO retrieval_chunks (seq, portal_id, id, account_id, source_type, source_id, chunk_index, related_ids, occurred_at, occurred_ms,
       direction, speakers, text, content_hash, embedding_model) VALUES (1, 'p1', 'c1', 'a1', 'note', 'n1', 0, '[]', '2026-01-01T00:00:00.000Z', ?, NULL, '[]', ?, 'h1', 'hash-v1')`,
  ).run(Date.parse('2026-01-01'), 'Renewal call about the forklift fleet');
  db.prepare(`INSERT INTO vec_chunks (rowid, portal_id, account_id, embedding, source_type, occurred_ms, source_id) VALUES (1, 'p1', 'a1', ?, 'note', ?, 'n1')`).run(
    toBlob(vector(1, 8)),
    BigInt(Date.parse('2026-01-01')),
  );
  db.prepare(`INSERT INTO fts_chunks (rowid, text, scope) VALUES (1, ?, ?)`).run('Renewal call about the forklift fleet', scopeText('p1', 'a1'));
}

describe('a database of the previous release upgrades through the migrator [sqlite]', () => {
  it('adopts cache_kv, queue_jobs, the vector tables and the limiter log with their rows, and records every migration', async () => {
    const dir = path.join(tmp.dir, uniqueName('up'));
    const limiterFile = path.join(dir, 'hubspot-limiter.db');
    // The previous release's file: its SQL layer, then its adapters' tables with data.
    const h0 = await createSql({ dataDir: dir });
    await previousSqlLayer(h0);
    await h0.close();
    const raw = openSqlite(sqlitePath(dir));
    writePreviousRelease(raw);
    releaseSqlite(raw);
    const lim = openSqlite(limiterFile);
    lim.exec(PREVIOUS_LIMITER_DDL);
    lim.prepare(`INSERT INTO window_log (limiter, kind, member, expires_at) VALUES ('portal-1', 'burst', 'old-request', ?)`).run(FAR);
    releaseSqlite(lim);

    // This release opens it.
    const cache = new SqliteKv({ dataDir: dir });
    const queue = new EmbeddedQueue({ dataDir: dir, defaultMaxAttempts: 3 });
    const store = new SqliteVectorStore({ dataDir: dir, chunkDimensions: 8, accountDimensions: 16, embeddingModel: 'hash-v1' });
    const limiter = new SqliteWindowStore(limiterFile, 'portal-1');
    const h = await createSql({ dataDir: dir });
    try {
      await store.init();
      await migrateAll(h);
      expect((await cache.get('emb:1'))?.toString()).toBe('cached');
      expect(await cache.setIfAbsent('dedupe:2', Buffer.from('y'), 60)).toBe(false);
      expect((await queue.stats())['ingest.account'].waiting).toBe(1);
      expect((await store.searchDense('p1', 'a1', vector(1, 8), 3)).map((c) => c.chunk.id)).toEqual(['c1']);
      expect((await store.searchKeyword('p1', 'a1', 'forklift', 3)).map((c) => c.chunk.id)).toEqual(['c1']);
      // The old request still holds the only slot of a budget of one.
      expect(await limiter.tryAcquire('burst', 'new-request', { budget: 1, windowMs: 10_000 }, 10_000)).toBeGreaterThan(0);
      expect((await new SqlModelRecordStore(h).latest('lead_scorer', 'p1'))?.version).toBe('v-old');

      const main = [...Object.keys(allMigrations('sqlite')), ...sqliteFileMigrations('main').map((m) => m.name)].sort();
      expect(await namesOf(h)).toEqual(main);
      for (const [file, kind] of [[limiterFile, 'limiter'], [queuePath(dir), 'queue']] as const) {
        const other = openSqlite(file);
        try {
          expect((other.prepare(`SELECT name FROM ${MIGRATION_TABLE}`).all() as Array<{ name: string }>).map((r) => r.name)).toEqual(sqliteFileMigrations(kind).map((m) => m.name));
        } finally {
          releaseSqlite(other);
        }
      }
      // The journal moved out of the data file into its own.
      const data = openSqlite(sqlitePath(dir));
      try {
        expect(data.prepare(`SELECT name FROM sqlite_master WHERE name = 'queue_jobs'`).all()).toEqual([]);
      } finally {
        releaseSqlite(data);
      }
    } finally {
      await cache.close();
      await queue.close();
      await store.close();
      await limiter.close();
      await h.close();
    }
  });

  it('a journal from before fair scheduling moves to the journal file, its jobs kept in portal ""', async () => {
    const dir = path.join(tmp.dir, uniqueName('up'));
    const raw = openSqlite(sqlitePath(dir));
    raw.exec(`CREATE TABLE queue_jobs (id INTEGER PRIMARY KEY AUTOINCREMENT, queue TEXT NOT NULL, type TEXT NOT NULL, payload TEXT NOT NULL, key TEXT,
      state TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, max_attempts INTEGER NOT NULL, run_at INTEGER NOT NULL, lease_owner TEXT,
      lease_until INTEGER, last_error TEXT, created_at INTEGER NOT NULL, finished_at INTEGER)`);
    raw.prepare(`INSERT INTO queue_jobs (queue, type, payload, state, max_attempts, run_at, created_at) VALUES ('hsai', 'ingest.account', '{}', 'waiting', 5, 0, 0)`).run();
    releaseSqlite(raw);
    const queue = new EmbeddedQueue({ dataDir: dir, defaultMaxAttempts: 3 });
    try {
      expect((await queue.stats())['ingest.account'].waiting).toBe(1);
      const check = openSqlite(queuePath(dir));
      try {
        expect(check.prepare(`SELECT portal FROM queue_jobs`).all()).toEqual([{ portal: '' }]);
      } finally {
        releaseSqlite(check);
      }
    } finally {
      await queue.close();
    }
  });

  it('reindexing with other dimensions drops the vector tables and runs their migration again', async () => {
    const dir = path.join(tmp.dir, uniqueName('up'));
    const a = new SqliteVectorStore({ dataDir: dir, chunkDimensions: 8, accountDimensions: 16 });
    await a.init();
    await a.close();
    const b = new SqliteVectorStore({ dataDir: dir, chunkDimensions: 12, accountDimensions: 16 });
    try {
      await expect(b.init()).rejects.toThrow(/8/);
      await b.reset();
      expect(await b.searchDense('p1', 'a1', vector(2, 12), 3)).toEqual([]);
    } finally {
      await b.close();
    }
  });
});

describePostgres('a schema of the previous release upgrades through the migrator', (url) => {
  it('keeps its rows; the SQLite-only groups (cache, queue, vectors, limiter) have no PostgreSQL tables and are not recorded', async () => {
    const schema = uniqueName('upgrade');
    const h = await createSql({ databaseUrl: url, dataDir: tmp.dir, schema });
    try {
      await previousSqlLayer(h);
      await migrateAll(h);
      expect(await namesOf(h)).toEqual(Object.keys(allMigrations('postgres')).sort());
      const r = await new SqlModelRecordStore(h).latest('lead_scorer', 'p1');
      expect(r).toMatchObject({ version: 'v-old', validated: true, artefact: { w: [1] } });
    } finally {
      await h.db.schema.dropSchema(schema).ifExists().cascade().execute();
      await h.close();
    }
  });
});
