import { Migrator, sql, type Kysely, type Migration } from 'kysely';
import { errorMessage } from '../errors.ts';
import { createSql, pgSchemaLockName, type SqlHandle } from './sql.ts';
import { retryWhileLocked, writeTransaction, type SqliteConnections, type SqliteDb } from './sqlite.ts';
import { writebackMigrations } from './migrations/writeback.ts';
import { oauthMigrations } from './migrations/oauth.ts';
import { scorerMigrations } from './migrations/scorer.ts';
import { checkpointMigrations } from './migrations/checkpoints.ts';
import { modelRecordMigrations } from './migrations/model-records.ts';
import { validationMigrations } from './migrations/validations.ts';
import { quotaMigrations } from './migrations/quotas.ts';
import { termStatsMigrations } from './migrations/term-stats.ts';
import { cacheKvMigrations } from './migrations/cache-kv.ts';
import { queueJobMigrations } from './migrations/queue-jobs.ts';
import { vectorTableMigrations } from './migrations/vector-tables.ts';
import { windowLogMigrations } from './migrations/window-log.ts';
import { portalLeaseMigrations } from './migrations/portal-leases.ts';
import type { SqliteFileContext, SqliteFileMigration } from './migrations/sqlite-file.ts';

export type { SqliteFileContext } from './migrations/sqlite-file.ts';

/**
 * The one migrator of every table: one bookkeeping table per database, one lock, one order. Each module's
 * migrations form a group; a migration's name is `<nn>_<group>/<name>`, so groups run in the order below and a
 * group's new migration runs after every older one of any group. Databases from before kept one bookkeeping table
 * per module: those rows are adopted.
 *
 * Two kinds of group share that list, that bookkeeping and that lock:
 * - SQL-layer groups (Kysely, both dialects): the SQLite file, or PostgreSQL when DATABASE_URL is set. `migrateAll`
 *   runs them before a store's first query.
 * - SQLite-file groups (plain SQLite DDL): tables only the embedded adapters have (cache_kv and the vector tables in
 *   the main file; queue_jobs in the queue journal's file; the limiter's window log in its own file). `migrateSqliteFile` runs them synchronously
 *   on the adapter's connection when it opens the file, under the file's write lock. Their first migrations adopt
 *   the tables older versions created with CREATE TABLE IF NOT EXISTS.
 */
export const MIGRATION_TABLE = 'schema_migrations';
const LOCK_TABLE = 'schema_migrations_lock';

/** Which SQLite file a SQLite-file group belongs to: the main one under DATA_DIR, the queue journal's, or the limiter's. */
export type SqliteFileKind = 'main' | 'queue' | 'limiter';
const FILE_KINDS: SqliteFileKind[] = ['main', 'queue', 'limiter'];

type Group =
  | { group: string; legacy?: string; migrations: (dialect: SqlHandle['dialect']) => Record<string, Migration> }
  | { group: string; file: SqliteFileKind; fileMigrations: () => Record<string, SqliteFileMigration> };

// A group's number is its place in this list and is part of its migrations' names: append new groups, never insert
// or reorder (that would rename migrations a database has already run).
const GROUPS: Group[] = [
  { group: 'writeback', legacy: 'writeback_migrations', migrations: writebackMigrations },
  { group: 'oauth', legacy: 'oauth_migrations', migrations: oauthMigrations },
  { group: 'scorer', legacy: 'scorer_migrations', migrations: scorerMigrations },
  { group: 'checkpoints', migrations: checkpointMigrations },
  { group: 'models', migrations: modelRecordMigrations },
  { group: 'validations', legacy: 'model_validation_migrations', migrations: validationMigrations },
  { group: 'quotas', migrations: quotaMigrations },
  { group: 'term-stats', migrations: termStatsMigrations },
  { group: 'cache', file: 'main', fileMigrations: cacheKvMigrations },
  // In the data file until the journal got its own (db/sqlite.ts QUEUE_FILE): data files keep that group's row.
  { group: 'queue', file: 'queue', fileMigrations: queueJobMigrations },
  { group: 'vectors', file: 'main', fileMigrations: vectorTableMigrations },
  { group: 'limiter', file: 'limiter', fileMigrations: windowLogMigrations },
  { group: 'portal-leases', migrations: portalLeaseMigrations },
];

function qualified(index: number, group: string, name: string): string {
  return `${String(index + 1).padStart(2, '0')}_${group}/${name}`;
}

/** The SQL-layer migrations (what `migrateAll` runs), by qualified name. */
export function allMigrations(dialect: SqlHandle['dialect']): Record<string, Migration> {
  const out: Record<string, Migration> = {};
  GROUPS.forEach((g, i) => {
    if (!('migrations' in g)) return;
    for (const [name, m] of Object.entries(g.migrations(dialect))) out[qualified(i, g.group, name)] = m;
  });
  return out;
}

/** The SQLite-file migrations of one file (what `migrateSqliteFile` runs), in order. */
export function sqliteFileMigrations(file: SqliteFileKind): Array<{ name: string; group: string; migration: SqliteFileMigration }> {
  return GROUPS.flatMap((g, i) =>
    'file' in g && g.file === file ? Object.entries(g.fileMigrations()).map(([name, migration]) => ({ name: qualified(i, g.group, name), group: g.group, migration })) : [],
  );
}

/** Rows of the per-module bookkeeping tables of older versions become rows of the one table; those tables go. */
async function adoptLegacyBookkeeping(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable(MIGRATION_TABLE)
    .ifNotExists()
    .addColumn('name', 'varchar(255)', (c) => c.notNull().primaryKey())
    .addColumn('timestamp', 'varchar(255)', (c) => c.notNull())
    .execute();
  for (const [i, g] of GROUPS.entries()) {
    const legacy = 'legacy' in g ? g.legacy : undefined;
    const group = g.group;
    if (!legacy) continue;
    const rows = await sql<{ name: string; timestamp: string }>`SELECT name, timestamp FROM ${sql.table(legacy)}`
      .execute(db)
      .then((r) => r.rows)
      .catch(() => null); // no such table: a database created after the migrator was unified, or never used
    if (!rows) continue;
    for (const r of rows) {
      await sql`INSERT INTO ${sql.table(MIGRATION_TABLE)} (name, timestamp) VALUES (${qualified(i, group, r.name)}, ${r.timestamp}) ON CONFLICT (name) DO NOTHING`.execute(db);
    }
    await db.schema.dropTable(legacy).ifExists().execute();
    await db.schema.dropTable(`${legacy}_lock`).ifExists().execute();
  }
}

/**
 * Brings every table up to date; fails with the migration that failed.
 *
 * SQLite: Kysely takes no lock there (its adapter relies on one connection per process), so two processes opening a
 * fresh file at once both saw nothing applied and the second failed with "table ... already exists". The whole run
 * is one IMMEDIATE transaction instead: the file's write lock is taken before the applied migrations are read, a
 * second process waits for it (busy_timeout) and then finds them all applied. SQLite's DDL is transactional, so a
 * failed run, or a process killed in the middle of one, leaves nothing half-made. PostgreSQL: the schema's advisory
 * lock around the whole run (migratePostgres).
 *
 * That transaction spans awaits (Kysely's migrator is asynchronous), and on SQLite it is the connection's: whatever
 * else runs on the same connection meanwhile (a cache write, another store's statement) runs inside it, and is
 * rolled back with it when a migration fails. So a connection shared by the embedded stores is migrated before it is
 * handed to any of them (`migrateSqliteData`, which the container awaits before it gives out its SQLite files), and
 * a database with nothing to migrate is recognised by one synchronous read, without opening a transaction at all.
 */
export async function migrateAll(handle: SqlHandle): Promise<void> {
  if (handle.dialect !== 'sqlite') return migratePostgres(handle);
  if (sqliteUpToDate(handle)) return;
  beginImmediate(handle);
  try {
    await migrateLocked(handle);
  } catch (err) {
    await sql`ROLLBACK`.execute(handle.db).catch(() => undefined);
    throw err;
  }
  await sql`COMMIT`.execute(handle.db);
}

/**
 * The embedded SQL layer's migration on the main SQLite file under `dataDir`, on the connection `connections` shares
 * (a container's SqliteFiles): run it, and await it, before the registry is handed to any adapter, so no other
 * statement can run on that connection inside the migration's transaction.
 */
export async function migrateSqliteData(connections: SqliteConnections, dataDir: string): Promise<void> {
  const handle = await createSql({ dataDir, sqlite: connections });
  try {
    await migrateAll(handle);
  } finally {
    await handle.close();
  }
}

/**
 * Whether every SQL-layer migration is recorded and no older bookkeeping waits for adoption: a synchronous read on
 * the connection (outside any transaction; a stale answer only sends the caller to the locked path, which reads
 * again under the write lock).
 */
function sqliteUpToDate(handle: SqlHandle): boolean {
  const db = handle.sqlite;
  if (!db) return false;
  const applied = appliedNames(db);
  if (Object.keys(allMigrations('sqlite')).some((name) => !applied.has(name))) return false;
  const legacy = GROUPS.flatMap((g) => ('legacy' in g && g.legacy ? [g.legacy] : []));
  const found = db.prepare(`SELECT count(*) AS n FROM sqlite_master WHERE type = 'table' AND name IN (SELECT value FROM json_each(?))`).get(JSON.stringify(legacy)) as { n: number };
  return found.n === 0;
}

/**
 * PostgreSQL: Kysely takes its advisory lock only around the migrations themselves; its bookkeeping tables, the
 * lock row and our adoption of older bookkeeping come before it, so two processes migrating a fresh schema at once
 * could both try to create them and one failed (a unique violation in the catalogue). The whole run holds the
 * schema's own advisory lock first, on one connection that every step uses: the second process waits, then finds
 * everything applied. Kysely's lock is taken inside ours, on the same session (another key, so no self-deadlock).
 */
async function migratePostgres(handle: SqlHandle): Promise<void> {
  await handle.db.connection().execute(async (db) => {
    const schema = (await sql<{ schema: string }>`SELECT current_schema() AS schema`.execute(db)).rows[0]?.schema ?? 'public';
    const lock = pgSchemaLockName(schema);
    await sql`SELECT pg_advisory_lock(hashtextextended(${lock}, 0))`.execute(db);
    try {
      await migrateLocked({ ...handle, db });
    } finally {
      await sql`SELECT pg_advisory_unlock(hashtextextended(${lock}, 0))`.execute(db);
    }
  });
}

const SQLITE_FILE_LOCK_WAIT_MS = 20_000;

/**
 * BEGIN IMMEDIATE on the file's connection, retried while another process holds the write lock (its migration, or
 * a long write), as every write transaction of the embedded stores is (`retryWhileLocked`, up to WRITE_LOCK_WAIT_MS).
 */
function beginImmediate(handle: SqlHandle): void {
  const sqlite = handle.sqlite;
  if (!sqlite) throw new Error('an SQLite handle without its connection (open it with createSql)');
  const begin = sqlite.prepare('BEGIN IMMEDIATE');
  retryWhileLocked(() => begin.run());
}

async function migrateLocked(handle: SqlHandle): Promise<void> {
  await adoptLegacyBookkeeping(handle.db);
  // PostgreSQL: the bookkeeping tables of this schema (the search_path's first), not a same-named table that
  // Kysely would otherwise accept from any other schema of the database.
  const schema =
    handle.dialect === 'postgres' ? (await sql<{ schema: string }>`SELECT current_schema() AS schema`.execute(handle.db)).rows[0]?.schema : undefined;
  // Read before Kysely holds the connection (inside our write lock on SQLite, so nothing changes meanwhile).
  const fileMigrationsRun = await sqliteFileMigrationsRun(handle);
  const migrator = new Migrator({
    db: handle.db,
    ...(schema ? { migrationTableSchema: schema } : {}),
    provider: { getMigrations: async () => ({ ...allMigrations(handle.dialect), ...fileMigrationsRun }) },
    migrationTableName: MIGRATION_TABLE,
    migrationLockTableName: LOCK_TABLE,
    allowUnorderedMigrations: true,
  });
  let { error, results } = await migrator.migrateToLatest();
  // Kysely looks for its bookkeeping tables by listing the tables of every schema the role can use; a schema that
  // another client drops during that listing fails it with invalid_schema_name (3F000) or undefined_table (42P01,
  // naming the other schema's table). That schema is not ours: list again.
  for (let attempt = 1; error && attempt < 5 && droppedOtherSchema(error, schema); attempt++) {
    ({ error, results } = await migrator.migrateToLatest());
  }
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName;
    throw new Error(`database migrations failed${failed ? ` at ${failed}` : ''}: ${errorMessage(error)}`, { cause: error });
  }
}

/**
 * The SQLite-file migrations this file has run (by its adapters), as entries Kysely accepts as executed: it refuses
 * a bookkeeping row it has no migration for. Pending ones are left to their adapters (the vector tables need the
 * store's dimensions), so these are never run from here.
 */
async function sqliteFileMigrationsRun(handle: SqlHandle): Promise<Record<string, Migration>> {
  if (handle.dialect !== 'sqlite') return {};
  const run = new Set((await sql<{ name: string }>`SELECT name FROM ${sql.table(MIGRATION_TABLE)}`.execute(handle.db)).rows.map((r) => r.name));
  const out: Record<string, Migration> = {};
  // Every kind: a data file of an earlier release recorded the queue group, whose table lived there then.
  for (const { name } of FILE_KINDS.flatMap((kind) => sqliteFileMigrations(kind))) {
    if (run.has(name)) out[name] = { up: async () => Promise.reject(new Error(`${name} runs when its adapter opens the file`)) };
  }
  return out;
}

/**
 * Runs the pending SQLite-file migrations of `file` on an adapter's connection, synchronously (adapters open their
 * file in a constructor). Those that need context the caller does not have (`ctx`) wait for an adapter that has it.
 * Under the file's write lock (an IMMEDIATE transaction, or the caller's transaction when one is open): a second
 * process waits, then re-reads what is applied and finds nothing left to do.
 */
export function migrateSqliteFile(db: SqliteDb, file: SqliteFileKind, ctx: SqliteFileContext = {}): void {
  const wanted = sqliteFileMigrations(file).filter((m) => !m.migration.needs || ctx[m.migration.needs] !== undefined);
  const pending = (): typeof wanted => {
    const run = appliedNames(db);
    return wanted.filter((m) => !run.has(m.name));
  };
  if (pending().length === 0) return; // the common case: one read, no write lock
  const migrate = (): void => {
    db.exec(`CREATE TABLE IF NOT EXISTS ${MIGRATION_TABLE} (name varchar(255) NOT NULL PRIMARY KEY, timestamp varchar(255) NOT NULL)`);
    const record = db.prepare(`INSERT INTO ${MIGRATION_TABLE} (name, timestamp) VALUES (?, ?)`);
    for (const m of pending()) {
      m.migration.up(db, ctx);
      record.run(m.name, new Date().toISOString());
    }
  };
  // A savepoint when the connection is already in a transaction, whose upgrade to a writer can find the lock taken
  // after BEGIN: retried as a whole too. Waiting here blocks the event loop, so not for long: a lock still held after
  // this is another connection of this very process migrating asynchronously (share one connection per file, as the
  // container's SqliteFiles does).
  retryWhileLocked(() => writeTransaction(db, migrate), () => true, SQLITE_FILE_LOCK_WAIT_MS);
}

function appliedNames(db: SqliteDb): Set<string> {
  try {
    return new Set((db.prepare(`SELECT name FROM ${MIGRATION_TABLE}`).all() as Array<{ name: string }>).map((r) => r.name));
  } catch {
    return new Set(); // no bookkeeping table yet: a fresh file
  }
}

/**
 * Forgets that a SQLite-file group ran, in the caller's transaction: after its tables were dropped (the vector
 * index rebuilt with other dimensions), the next open runs the group again.
 */
export function forgetSqliteFileGroup(db: SqliteDb, group: string): void {
  const names = FILE_KINDS.flatMap((kind) => sqliteFileMigrations(kind)).filter((m) => m.group === group).map((m) => m.name);
  if (names.length === 0) throw new RangeError(`no SQLite-file group ${group}`);
  try {
    db.prepare(`DELETE FROM ${MIGRATION_TABLE} WHERE name IN (SELECT value FROM json_each(?))`).run(JSON.stringify(names));
  } catch (err) {
    if (!/no such table/.test(errorMessage(err))) throw err;
  }
}

function droppedOtherSchema(error: unknown, ours: string | undefined): boolean {
  const e = error as { code?: unknown; message?: unknown };
  // 3F000: schema "x" does not exist; 42P01: relation "x.table" does not exist (dropped between listing and reading).
  if (e?.code !== '3F000' && e?.code !== '42P01') return false;
  return !(ours && typeof e.message === 'string' && (e.message.includes(`"${ours}"`) || e.message.includes(`"${ours}.`)));
}

/** Migrates once per handle (every store calls it before its first query; a failure is retried next time). */
export function ensureSchema(handle: SqlHandle): Promise<void> {
  handle.schema ??= migrateAll(handle);
  handle.schema.catch(() => (handle.schema = undefined));
  return handle.schema;
}
