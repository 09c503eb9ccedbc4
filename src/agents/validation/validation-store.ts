import type { Kysely } from 'kysely';
import { ensureSchema } from '../../db/migrator.ts';
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
      try {
        await ensureSchema(this.handle); // the one migrator of every SQL table creates model_validations
      } catch (error) {
        throw new AppError('VALIDATION_STORE', `model validation table migration failed: ${errorMessage(error)}`, { cause: error });
      }
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
