import { Migrator, sql, type Kysely, type Migration } from 'kysely';
import { errorMessage } from '../errors.ts';
import type { SqlHandle } from './sql.ts';
import { writebackMigrations } from './migrations/writeback.ts';
import { oauthMigrations } from './migrations/oauth.ts';
import { scorerMigrations } from './migrations/scorer.ts';
import { checkpointMigrations } from './migrations/checkpoints.ts';
import { modelRecordMigrations } from './migrations/model-records.ts';
import { validationMigrations } from './migrations/validations.ts';
import { quotaMigrations } from './migrations/quotas.ts';
import { termStatsMigrations } from './migrations/term-stats.ts';

/**
 * The one migrator of every table in the SQL layer (the SQLite file, or PostgreSQL when DATABASE_URL is set):
 * one bookkeeping table, one lock, one order. Each module's migrations form a group; a migration's name is
 * `<nn>_<group>/<name>`, so groups run in the order below and a group's new migration runs after every older
 * one of any group. Databases from before kept one bookkeeping table per module: those rows are adopted.
 *
 * Tables outside the SQL layer belong to their embedded adapter's own SQLite connection and are created by it
 * (cache_kv, queue_jobs, the vector tables, the limiter file's window log).
 */
export const MIGRATION_TABLE = 'schema_migrations';
const LOCK_TABLE = 'schema_migrations_lock';

// A group's number is its place in this list and is part of its migrations' names: append new groups, never insert
// or reorder (that would rename migrations a database has already run).
const GROUPS: Array<{ group: string; legacy?: string; migrations: (dialect: SqlHandle['dialect']) => Record<string, Migration> }> = [
  { group: 'writeback', legacy: 'writeback_migrations', migrations: writebackMigrations },
  { group: 'oauth', legacy: 'oauth_migrations', migrations: oauthMigrations },
  { group: 'scorer', legacy: 'scorer_migrations', migrations: scorerMigrations },
  { group: 'checkpoints', migrations: checkpointMigrations },
  { group: 'models', migrations: modelRecordMigrations },
  { group: 'validations', legacy: 'model_validation_migrations', migrations: validationMigrations },
  { group: 'quotas', migrations: quotaMigrations },
  { group: 'term-stats', migrations: termStatsMigrations },
];

function qualified(index: number, group: string, name: string): string {
  return `${String(index + 1).padStart(2, '0')}_${group}/${name}`;
}

export function allMigrations(dialect: SqlHandle['dialect']): Record<string, Migration> {
  const out: Record<string, Migration> = {};
  GROUPS.forEach(({ group, migrations }, i) => {
    for (const [name, m] of Object.entries(migrations(dialect))) out[qualified(i, group, name)] = m;
  });
  return out;
}

/** Rows of the per-module bookkeeping tables of older versions become rows of the one table; those tables go. */
async function adoptLegacyBookkeeping(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable(MIGRATION_TABLE)
    .ifNotExists()
    .addColumn('name', 'varchar(255)', (c) => c.notNull().primaryKey())
    .addColumn('timestamp', 'varchar(255)', (c) => c.notNull())
    .execute();
  for (const [i, { group, legacy }] of GROUPS.entries()) {
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
 * failed run leaves nothing half-made. PostgreSQL: Kysely's advisory lock inside one transaction.
 */
export async function migrateAll(handle: SqlHandle): Promise<void> {
  if (handle.dialect !== 'sqlite') return migrateLocked(handle);
  await beginImmediate(handle.db);
  try {
    await migrateLocked(handle);
  } catch (err) {
    await sql`ROLLBACK`.execute(handle.db).catch(() => undefined);
    throw err;
  }
  await sql`COMMIT`.execute(handle.db);
}

/** How long a process waits in total for another one's migration of the same SQLite file. */
const SQLITE_LOCK_WAIT_MS = 120_000;

async function beginImmediate(db: Kysely<unknown>): Promise<void> {
  const deadline = Date.now() + SQLITE_LOCK_WAIT_MS;
  for (;;) {
    try {
      // Waits up to the connection's busy_timeout inside SQLite, then reports SQLITE_BUSY.
      await sql`BEGIN IMMEDIATE`.execute(db);
      return;
    } catch (err) {
      if ((err as { code?: unknown }).code !== 'SQLITE_BUSY' || Date.now() > deadline) throw err;
    }
  }
}

async function migrateLocked(handle: SqlHandle): Promise<void> {
  await adoptLegacyBookkeeping(handle.db);
  // PostgreSQL: the bookkeeping tables of this schema (the search_path's first), not a same-named table that
  // Kysely would otherwise accept from any other schema of the database.
  const schema =
    handle.dialect === 'postgres' ? (await sql<{ schema: string }>`SELECT current_schema() AS schema`.execute(handle.db)).rows[0]?.schema : undefined;
  const migrator = new Migrator({
    db: handle.db,
    ...(schema ? { migrationTableSchema: schema } : {}),
    provider: { getMigrations: async () => allMigrations(handle.dialect) },
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
