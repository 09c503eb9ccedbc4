import { Kysely, SqliteDialect, type Dialect, type SqliteStatement } from 'kysely';
import { ownConnection, retryWhileLocked, sqlitePath, type SqliteConnections, type SqliteDb } from './sqlite.ts';

/**
 * One SQL layer for the audit log, review queue and checkpoints: PostgreSQL when DATABASE_URL is set, the
 * SQLite file otherwise. Write portable Kysely queries; where dialects differ, branch on `dialect`.
 * `pg` is imported lazily so the embedded default never loads it.
 */
/**
 * The name of the PostgreSQL advisory lock (`hashtextextended(name, 0)`) that serialises creating and migrating one
 * schema across processes: held while the schema is created and for a whole `migrateAll`.
 */
export function pgSchemaLockName(schema: string): string {
  return `hubspot-ai:schema:${schema}`;
}

// Stores declare their own table types; callers that only run raw or schema queries need none.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export interface SqlHandle<DB = any> {
  db: Kysely<DB>;
  dialect: 'sqlite' | 'postgres';
  /**
   * SQLite: the connection under `db`, shared with the process's other embedded stores. A transaction that must not
   * absorb their writes runs on it synchronously with `writeTransaction` (sqlite.ts), not as a Kysely transaction.
   */
  sqlite?: SqliteDb;
  /** Set by db/migrator.ts `ensureSchema`: the migration of this database, run once per handle. */
  schema?: Promise<void> | undefined;
  close(): Promise<void>;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function createSql<DB = any>(opts: { databaseUrl?: string; dataDir: string; schema?: string; sqlite?: SqliteConnections }): Promise<SqlHandle<DB>> {
  if (opts.databaseUrl) {
    const [{ default: pg }, { PostgresDialect }] = await Promise.all([import('pg'), import('kysely')]);
    // BIGINT as numbers: our counters and ms timestamps stay far below 2^53.
    // Set on this pool only (not pg's process-wide parsers), so another pg user in the process sees pg's defaults.
    const types = { getTypeParser: ((oid: number, format?: 'text' | 'binary') => (oid === 20 && format !== 'binary' ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format))) as typeof pg.types.getTypeParser };
    // A connection that cannot be made in 10 s fails the query instead of waiting forever (a blackholed host).
    const pool = new pg.Pool({ connectionString: opts.databaseUrl, max: 10, connectionTimeoutMillis: 10_000, types });
    pool.on('error', () => undefined); // an idle client's lost connection: the pool replaces it, the next query reports
    if (opts.schema) {
      const schema = opts.schema;
      pool.on('connect', (client) => {
        client.query(`SET search_path TO "${schema}"`).catch(() => undefined);
      });
      const c = await pool.connect();
      try {
        // Two processes creating one fresh schema at once: IF NOT EXISTS alone can still fail one of them on the
        // catalogue's unique index, so the creation waits for the schema's lock (the one migrateAll takes).
        await c.query('BEGIN');
        await c.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [pgSchemaLockName(schema)]);
        await c.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
        await c.query('COMMIT');
        await c.query(`SET search_path TO "${schema}"`);
      } catch (err) {
        await c.query('ROLLBACK').catch(() => undefined);
        throw err;
      } finally {
        c.release();
      }
    }
    const dialect: Dialect = new PostgresDialect({ pool });
    const db = new Kysely<DB>({ dialect });
    return { db, dialect: 'postgres', close: () => db.destroy() };
  }
  const connections = opts.sqlite ?? ownConnection;
  const sqlite = connections.open(sqlitePath(opts.dataDir));
  // Kysely must not close the shared connection itself. Its transactions start with a plain (deferred) `begin`:
  // made IMMEDIATE, so a transaction that reads before it writes waits for another process's write lock instead
  // of failing with SQLITE_BUSY, and is retried past busy_timeout like every write transaction (see
  // writeTransaction in sqlite.ts).
  const db = new Kysely<DB>({
    dialect: new SqliteDialect({ database: { close: () => undefined, prepare: (s: string) => (s === 'begin' ? beginImmediate(sqlite) : sqlite.prepare(s)) } }),
  });
  return {
    db,
    dialect: 'sqlite',
    sqlite,
    close: async () => {
      await db.destroy();
      connections.release(sqlite);
    },
  };
}

/** Kysely's `begin` as BEGIN IMMEDIATE, retried while another process holds the write lock (nothing ran yet). */
function beginImmediate(sqlite: SqliteDb): SqliteStatement {
  const stmt = sqlite.prepare('BEGIN IMMEDIATE');
  return {
    reader: false,
    all: () => [],
    iterate: () => [][Symbol.iterator](),
    run: () => retryWhileLocked(() => stmt.run()),
  };
}
