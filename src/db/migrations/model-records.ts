import { sql, type Kysely, type Migration } from 'kysely';
import type { SqlHandle } from '../sql.ts';

interface LegacyScorerRow {
  id: number;
  portal_id: string;
  version: string;
  validated: number;
  auc: number;
  auc_low: number;
  auc_high: number;
  ece: number;
  closed_deals: number;
  confidence_bound: number;
  model: string;
  created_at: number;
}

/** Trained models and validation records of every kind (db/model-records.ts). */
export function modelRecordMigrations(dialect: SqlHandle['dialect']): Record<string, Migration> {
  const ms = dialect === 'postgres' ? 'bigint' : 'integer';
  return {
    '0001_model_records': {
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable('model_records')
          .addColumn('id', dialect === 'postgres' ? 'serial' : 'integer', (c) => (dialect === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement()))
          .addColumn('kind', 'text', (c) => c.notNull())
          .addColumn('portal_id', 'text', (c) => c.notNull())
          .addColumn('name', 'text', (c) => c.notNull())
          .addColumn('version', 'text', (c) => c.notNull())
          .addColumn('validated', 'integer', (c) => c.notNull())
          .addColumn('figures', 'text', (c) => c.notNull())
          .addColumn('validation', 'text')
          .addColumn('artefact', 'text')
          .addColumn('created_at', ms, (c) => c.notNull())
          .execute();
        await db.schema.createIndex('model_records_latest').on('model_records').columns(['kind', 'portal_id', 'name', 'id']).execute();
        // Lead scorers trained before this table keep their ids (live reports refer to them), then their table goes.
        const old = await (db as Kysely<{ lead_scorers: LegacyScorerRow }>).selectFrom('lead_scorers').selectAll().orderBy('id').execute();
        for (const r of old) {
          const model = JSON.parse(r.model) as { validation?: unknown };
          const figures = { auc: r.auc, auc_low: r.auc_low, auc_high: r.auc_high, ece: r.ece, closed_deals: r.closed_deals, confidence_bound: r.confidence_bound };
          await sql`INSERT INTO model_records (id, kind, portal_id, name, version, validated, figures, validation, artefact, created_at)
            VALUES (${r.id}, 'lead_scorer', ${r.portal_id}, 'lead_scorer', ${r.version}, ${r.validated}, ${JSON.stringify(figures)},
              ${model.validation === undefined ? null : JSON.stringify(model.validation)}, ${r.model}, ${r.created_at})`.execute(db);
        }
        if (dialect === 'postgres' && old.length > 0) {
          await sql`SELECT setval(pg_get_serial_sequence('model_records', 'id'), (SELECT MAX(id) FROM model_records))`.execute(db);
        }
        await db.schema.dropTable('lead_scorers').execute();
      },
    },
  };
}
