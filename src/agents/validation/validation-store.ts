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
 *
 * A record measured on one portal's data (`hubspot-ai validate`, `POST /v1/admin/validations`) is that portal's:
 * it caps the confidence of that portal's judgments only, and goes when the portal is purged. The records of the
 * whole deployment (the committed seed, or one stored without a portal) serve every portal.
 */

interface ModelValidationsTable {
  /** '' for the whole deployment. */
  portal_id: string;
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

export interface StoredValidation {
  /** '' when it serves every portal. */
  portalId: string;
  record: ModelValidationRecord;
  createdAt: number;
}

export interface ValidationStore {
  /**
   * The newest record of every provider and model that serves `portalId` (its own and the deployment's; a
   * portal's own record wins over an older or newer deployment-wide one); without a portal, the deployment's.
   */
  records(portalId?: string): Promise<ModelValidationRecord[]>;
  /**
   * Stores a measurement, for one portal or ('' / absent) the whole deployment. A repeat of one already stored
   * (same portal, provider, model and time) is ignored.
   */
  save(record: ModelValidationRecord, opts?: { portalId?: string; now?: Date }): Promise<void>;
  /** Every stored record visible to `portalId` (its own and the deployment's), newest first: the history. */
  list(portalId?: string, limit?: number): Promise<StoredValidation[]>;
}

/** How long a process keeps the records it read before asking the database again (a new record reaches it then). */
const REFRESH_MS = 60_000;

export class SqlValidationStore implements ValidationStore {
  private readonly db: Kysely<ValidationDb>;
  private ready: Promise<void> | undefined;
  private readonly cached = new Map<string, { at: number; records: ModelValidationRecord[] }>();

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
      for (const r of this.seed) await this.insert(r, '', new Date());
    })();
    this.ready.catch(() => (this.ready = undefined));
    return this.ready;
  }

  private async insert(record: ModelValidationRecord, portalId: string, now: Date): Promise<void> {
    await this.db
      .insertInto('model_validations')
      .values({ portal_id: portalId, provider: record.provider, model: record.model, measured_at: record.measuredAt, version: record.version, data: record.data, record: JSON.stringify(record), created_at: now.getTime() })
      .onConflict((oc) => oc.columns(['portal_id', 'provider', 'model', 'measured_at']).doNothing())
      .execute();
  }

  async save(record: ModelValidationRecord, opts: { portalId?: string; now?: Date } = {}): Promise<void> {
    await this.init();
    await this.insert(record, opts.portalId ?? '', opts.now ?? new Date());
    this.cached.clear();
  }

  async list(portalId = '', limit = 100): Promise<StoredValidation[]> {
    await this.init();
    const portals = portalId ? ['', portalId] : [''];
    const rows = await this.db
      .selectFrom('model_validations')
      .select(['portal_id', 'record', 'created_at'])
      .where('portal_id', 'in', portals)
      .orderBy('measured_at', 'desc')
      .orderBy('created_at', 'desc')
      .limit(limit)
      .execute();
    return rows.map((r) => ({ portalId: r.portal_id, record: JSON.parse(r.record) as ModelValidationRecord, createdAt: Number(r.created_at) }));
  }

  async records(portalId = ''): Promise<ModelValidationRecord[]> {
    const hit = this.cached.get(portalId);
    if (hit && Date.now() - hit.at < REFRESH_MS) return hit.records;
    await this.init();
    const portals = portalId ? ['', portalId] : [''];
    const rows = await this.db.selectFrom('model_validations').select(['portal_id', 'provider', 'model', 'measured_at', 'record']).where('portal_id', 'in', portals).orderBy('measured_at', 'desc').execute();
    // The portal's own measurement first: it was made on the data it will judge.
    rows.sort((a, b) => Number(b.portal_id !== '') - Number(a.portal_id !== ''));
    const newest = new Map<string, ModelValidationRecord>();
    for (const r of rows) {
      const key = `${r.provider}\u0000${r.model}`;
      if (!newest.has(key)) newest.set(key, JSON.parse(r.record) as ModelValidationRecord);
    }
    const records = [...newest.values()];
    this.cached.set(portalId, { at: Date.now(), records });
    return records;
  }
}
