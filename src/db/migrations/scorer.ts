import type { Kysely, Migration } from 'kysely';
import type { SqlHandle } from '../sql.ts';

/** The lead scorer's tables (0001's lead_scorers is superseded by model_records: migrations/model-records.ts). */
export function scorerMigrations(dialect: SqlHandle['dialect']): Record<string, Migration> {
  const real = dialect === 'postgres' ? 'double precision' : 'real';
  return {
    '0001_lead_scorers': {
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable('lead_scorers')
          .addColumn('id', dialect === 'postgres' ? 'serial' : 'integer', (c) => (dialect === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement()))
          .addColumn('portal_id', 'text', (c) => c.notNull())
          .addColumn('version', 'text', (c) => c.notNull())
          .addColumn('trained_at', 'text', (c) => c.notNull())
          .addColumn('validated', 'integer', (c) => c.notNull())
          .addColumn('auc', real, (c) => c.notNull())
          .addColumn('auc_low', real, (c) => c.notNull())
          .addColumn('auc_high', real, (c) => c.notNull())
          .addColumn('ece', real, (c) => c.notNull())
          .addColumn('closed_deals', 'integer', (c) => c.notNull())
          .addColumn('confidence_bound', real, (c) => c.notNull())
          .addColumn('model', 'text', (c) => c.notNull())
          .addColumn('created_at', dialect === 'postgres' ? 'bigint' : 'integer', (c) => c.notNull())
          .execute();
        await db.schema.createIndex('lead_scorers_portal').on('lead_scorers').columns(['portal_id', 'id']).execute();
      },
    },
    '0002_lead_scorer_reports': {
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable('lead_scorer_reports')
          .addColumn('id', dialect === 'postgres' ? 'serial' : 'integer', (c) => (dialect === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement()))
          .addColumn('portal_id', 'text', (c) => c.notNull())
          .addColumn('scorer_id', 'integer')
          .addColumn('at', dialect === 'postgres' ? 'bigint' : 'integer', (c) => c.notNull())
          .addColumn('live_outcomes', 'integer', (c) => c.notNull())
          .addColumn('live_auc', real)
          .addColumn('live_ece', real)
          .addColumn('auc_drift', real)
          .addColumn('retrain', 'integer', (c) => c.notNull())
          .addColumn('report', 'text', (c) => c.notNull())
          .execute();
        await db.schema.createIndex('lead_scorer_reports_portal').on('lead_scorer_reports').columns(['portal_id', 'id']).execute();
      },
    },
  };
}
