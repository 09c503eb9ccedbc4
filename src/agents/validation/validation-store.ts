import { Migrator, type Kysely, type Migration } from 'kysely';
import type { SqlHandle } from '../../db/sql.ts';
import { AppError, errorMessage } from '../../errors.ts';
import type { ModelValidationRecord } from './record.ts';

/**
 * Models' validation records (what each model showed on labelled held-out data, per field and value class) in
 * the shared SQL layer, so every API and worker process of a deployment caps confidence with the same figures and
 * a deployment can store a record measured on its own data without a release. The records committed with the
 * code (`src/agents/validation/*.ts`, written by `npm run calibrate`) are the seed: each is inserted once, and
 * a newer measurement of the same provider and model (a later `measured_at`) supersedes it. Rows are never
 * updated; the newest per provider and model is the one used.
 */

interface ModelValidationsTable {
  provider: string;
  model: string;
  measured_at: string;
  version: number;
  data: string;
  record: string;
  created_at: number;
}

interface ValidationDb {
  model_validations: ModelValidationsTable;
}

export interface ValidationStore {
  /** The newest record of every provider and model. */
  records(): Promise<ModelValidationRecord[]>;
  /** Stores a measurement (a repeat of one already stored, same provider, model and time, is ignored). */
  save(record: ModelValidationRecord, now?: Date): Promise<void>;
}

function migrations(dialect: SqlHandle['dialect']): Record<string, Migration> {
  return {
    '0001_model_validations': {
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable('model_validations')
          .addColumn('provider', 'text', (c) => c.notNull())
          .addColumn('model', 'text', (c) => c.notNull())
          .addColumn('measured_at', 'text', (c) => c.notNull())
          .addColumn('version', 'integer', (c) => c.notNull())
          .addColumn('data', 'text', (c) => c.notNull())
          .addColumn('record', 'text', (c) => c.notNull())
          .addColumn('created_at', dialect === 'postgres' ? 'bigint' : 'integer', (c) => c.notNull())
          .addPrimaryKeyConstraint('model_validations_pk', ['provider', 'model', 'measured_at'])
          .execute();
      },
    },
  };
}

/** How long a process keeps the records it read before asking the database again (a new record reaches it then). */
const REFRESH_MS = 60_000;

export class SqlValidationStore implements ValidationStore {
  private readonly db: Kysely<ValidationDb>;
  private ready: Promise<void> | undefined;
  private cached: { at: number; records: ModelValidationRecord[] } | undefined;

  constructor(
    private readonly handle: SqlHandle,
    private readonly seed: readonly ModelValidationRecord[],
  ) {
    this.db = handle.db as Kysely<ValidationDb>;
  }

  private init(): Promise<void> {
    this.ready ??= (async () => {
      const migrator = new Migrator({
        db: this.handle.db,
        provider: { getMigrations: async () => migrations(this.handle.dialect) },
        migrationTableName: 'model_validation_migrations',
        migrationLockTableName: 'model_validation_migrations_lock',
      });
      const { error } = await migrator.migrateToLatest();
      if (error) throw new AppError('VALIDATION_STORE', `model validation table migration failed: ${errorMessage(error)}`, { cause: error });
      for (const r of this.seed) await this.insert(r, new Date());
    })();
    this.ready.catch(() => (this.ready = undefined));
    return this.ready;
  }

  private async insert(record: ModelValidationRecord, now: Date): Promise<void> {
    await this.db
      .insertInto('model_validations')
      .values({ provider: record.provider, model: record.model, measured_at: record.measuredAt, version: record.version, data: record.data, record: JSON.stringify(record), created_at: now.getTime() })
      .onConflict((oc) => oc.columns(['provider', 'model', 'measured_at']).doNothing())
      .execute();
  }

  async save(record: ModelValidationRecord, now = new Date()): Promise<void> {
    await this.init();
    await this.insert(record, now);
    this.cached = undefined;
  }

  async records(): Promise<ModelValidationRecord[]> {
    if (this.cached && Date.now() - this.cached.at < REFRESH_MS) return this.cached.records;
    await this.init();
    const rows = await this.db.selectFrom('model_validations').select(['provider', 'model', 'measured_at', 'record']).orderBy('measured_at', 'desc').execute();
    const newest = new Map<string, ModelValidationRecord>();
    for (const r of rows) {
      const key = `${r.provider}\u0000${r.model}`;
      if (!newest.has(key)) newest.set(key, JSON.parse(r.record) as ModelValidationRecord);
    }
    this.cached = { at: Date.now(), records: [...newest.values()] };
    return this.cached.records;
  }
}
