import type { Kysely } from 'kysely';
import { ensureSchema } from './migrator.ts';
import type { SqlHandle } from './sql.ts';

/**
 * Trained models and validation records, in the SQL layer, so every API and worker process of a deployment (and
 * every container on one database) reads the same ones. One row per training or measuring run, never updated:
 * the newest row of a (kind, portal, name) is the current one, older rows are its history.
 *
 * Kinds in use: `lead_scorer` (the artefact is the trained scorer, `validation` its held-out validation), and
 * validation records of judgment models (`validation` only; `portal_id` '' when measured for the deployment).
 */
export interface ModelRecord {
  id: number;
  kind: string;
  /** The portal the model was trained or measured for; '' for the whole deployment. */
  portalId: string;
  /** Which model of its kind: `lead_scorer`, or `<provider>/<model>` for a judgment model. */
  name: string;
  version: string;
  validated: boolean;
  /** Headline figures by name (AUC, ECE, closed deals, precision…): what `/metrics` and people query. */
  figures: Record<string, number>;
  validation: unknown;
  artefact: unknown;
  createdAt: number;
}

export type NewModelRecord = Omit<ModelRecord, 'id' | 'createdAt'> & { createdAt?: number };

export interface ModelRecordStore {
  /** Saves a record as the current one of its kind, portal and name; returns its id. */
  save(record: NewModelRecord): Promise<number>;
  /** The current record (the newest), or null; `name` narrows to one model of the kind. */
  latest(kind: string, portalId: string, name?: string): Promise<ModelRecord | null>;
  /** The current record's id (cheap: for change checks). */
  latestId(kind: string, portalId: string, name?: string): Promise<number | null>;
  /** Newest first. */
  list(kind: string, portalId: string, limit?: number): Promise<ModelRecord[]>;
  get(id: number): Promise<ModelRecord | null>;
}

interface ModelRecordsTable {
  id: number;
  kind: string;
  portal_id: string;
  name: string;
  version: string;
  validated: number;
  figures: string;
  validation: string | null;
  artefact: string | null;
  created_at: number;
}

function parse(text: string | null): unknown {
  return text === null ? null : JSON.parse(text);
}

function toRecord(r: ModelRecordsTable): ModelRecord {
  return {
    id: Number(r.id),
    kind: r.kind,
    portalId: r.portal_id,
    name: r.name,
    version: r.version,
    validated: Number(r.validated) === 1,
    figures: JSON.parse(r.figures) as Record<string, number>,
    validation: parse(r.validation),
    artefact: parse(r.artefact),
    createdAt: Number(r.created_at),
  };
}

export class SqlModelRecordStore implements ModelRecordStore {
  private readonly db: Kysely<{ model_records: ModelRecordsTable }>;

  constructor(private readonly handle: SqlHandle) {
    this.db = handle.db as Kysely<{ model_records: ModelRecordsTable }>;
  }

  async save(r: NewModelRecord): Promise<number> {
    await ensureSchema(this.handle);
    const row = await this.db
      .insertInto('model_records')
      .values({
        kind: r.kind,
        portal_id: r.portalId,
        name: r.name,
        version: r.version,
        validated: r.validated ? 1 : 0,
        figures: JSON.stringify(r.figures),
        validation: r.validation === undefined || r.validation === null ? null : JSON.stringify(r.validation),
        artefact: r.artefact === undefined || r.artefact === null ? null : JSON.stringify(r.artefact),
        created_at: r.createdAt ?? Date.now(),
      } as never)
      .returning('id')
      .executeTakeFirstOrThrow();
    return Number(row.id);
  }

  private newest(kind: string, portalId: string, name?: string) {
    let q = this.db.selectFrom('model_records').where('kind', '=', kind).where('portal_id', '=', portalId);
    if (name !== undefined) q = q.where('name', '=', name);
    return q.orderBy('id', 'desc');
  }

  async latest(kind: string, portalId: string, name?: string): Promise<ModelRecord | null> {
    await ensureSchema(this.handle);
    const row = await this.newest(kind, portalId, name).selectAll().limit(1).executeTakeFirst();
    return row ? toRecord(row) : null;
  }

  async latestId(kind: string, portalId: string, name?: string): Promise<number | null> {
    await ensureSchema(this.handle);
    const row = await this.newest(kind, portalId, name).select('id').limit(1).executeTakeFirst();
    return row ? Number(row.id) : null;
  }

  async list(kind: string, portalId: string, limit = 100): Promise<ModelRecord[]> {
    await ensureSchema(this.handle);
    return (await this.newest(kind, portalId).selectAll().limit(limit).execute()).map(toRecord);
  }

  async get(id: number): Promise<ModelRecord | null> {
    await ensureSchema(this.handle);
    const row = await this.db.selectFrom('model_records').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? toRecord(row) : null;
  }
}
