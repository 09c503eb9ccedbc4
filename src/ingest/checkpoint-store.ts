import { sql as rawSql } from 'kysely';
import { createSql, type SqlHandle } from '../db/sql.ts';
import { ensureSchema } from '../db/migrator.ts';

/**
 * Durable checkpoints of long ingest jobs (the backfill), one JSON document per job key in the
 * `ingest_checkpoints` table. PostgreSQL when DATABASE_URL is set, the SQLite file under DATA_DIR otherwise.
 *
 * The store is deliberately generic (key → JSON state): the backfill owns the shape of its state, so that
 * changing what it remembers never needs a migration here.
 */
export interface CheckpointStore {
  /** The saved state of a job, or null when none was saved (or it was cleared). */
  load<T>(key: string): Promise<T | null>;
  /** Replaces the state of a job atomically: a crash leaves either the old or the new state. */
  save<T>(key: string, state: T): Promise<void>;
  clear(key: string): Promise<void>;
  close(): Promise<void>;
}

interface CheckpointTable {
  ingest_checkpoints: {
    id: string;
    state: string;
    updated_at: number;
  };
}

export class SqlCheckpointStore implements CheckpointStore {
  /** `owned`: close the SQL handle with the store (false when the handle is shared with other stores). */
  constructor(
    private readonly handle: SqlHandle<CheckpointTable>,
    private readonly owned = false,
  ) {}

  /** Creates or upgrades the tables (the one migrator, db/migrator.ts). Called by every operation; idempotent. */
  init(): Promise<void> {
    return ensureSchema(this.handle);
  }

  async load<T>(key: string): Promise<T | null> {
    await this.init();
    const row = await this.handle.db
      .selectFrom('ingest_checkpoints')
      .select('state')
      .where('id', '=', key)
      .executeTakeFirst();
    return row ? (JSON.parse(row.state) as T) : null;
  }

  async save<T>(key: string, state: T): Promise<void> {
    await this.init();
    const now = Date.now();
    const json = JSON.stringify(state);
    await this.handle.db
      .insertInto('ingest_checkpoints')
      .values({ id: key, state: json, updated_at: now })
      .onConflict((oc) => oc.column('id').doUpdateSet({ state: json, updated_at: now }))
      .execute();
  }

  async clear(key: string): Promise<void> {
    await this.init();
    await this.handle.db.deleteFrom('ingest_checkpoints').where('id', '=', key).execute();
  }

  /** For tests and diagnostics: every key with its last update time. */
  async list(): Promise<Array<{ key: string; updatedAt: number }>> {
    await this.init();
    const rows = await this.handle.db
      .selectFrom('ingest_checkpoints')
      .select(['id', 'updated_at'])
      .orderBy('id')
      .execute();
    return rows.map((r) => ({ key: r.id, updatedAt: Number(r.updated_at) }));
  }

  async ping(): Promise<void> {
    await rawSql`select 1`.execute(this.handle.db);
  }

  async close(): Promise<void> {
    if (this.owned) await this.handle.close();
  }
}

/** Opens the checkpoint store on its own SQL handle (closed with the store). */
export async function createCheckpointStore(opts: {
  databaseUrl?: string;
  dataDir: string;
  schema?: string;
}): Promise<SqlCheckpointStore> {
  const handle = await createSql<CheckpointTable>(opts);
  const store = new SqlCheckpointStore(handle, true);
  try {
    await store.init();
  } catch (err) {
    await handle.close();
    throw err;
  }
  return store;
}
