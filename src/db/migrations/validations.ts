import { sql, type Kysely, type Migration } from 'kysely';
import type { SqlHandle } from '../sql.ts';

/**
 * Models' validation records (agents/validation/validation-store.ts): one row per provider, model and measurement;
 * from 0002 also per portal (`portal_id` '' for the records shipped with the code, a portal's id for a record
 * measured on that portal's data, which goes when the portal is purged).
 */
export function validationMigrations(dialect: SqlHandle['dialect']): Record<string, Migration> {
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
    '0002_portal': {
      async up(db: Kysely<unknown>) {
        // A primary key cannot be altered in SQLite: the table is rebuilt with the portal in its key.
        await db.schema
          .createTable('model_validations_next')
          .addColumn('portal_id', 'text', (c) => c.notNull())
          .addColumn('provider', 'text', (c) => c.notNull())
          .addColumn('model', 'text', (c) => c.notNull())
          .addColumn('measured_at', 'text', (c) => c.notNull())
          .addColumn('version', 'integer', (c) => c.notNull())
          .addColumn('data', 'text', (c) => c.notNull())
          .addColumn('record', 'text', (c) => c.notNull())
          .addColumn('created_at', dialect === 'postgres' ? 'bigint' : 'integer', (c) => c.notNull())
          .execute();
        await sql`INSERT INTO model_validations_next (portal_id, provider, model, measured_at, version, data, record, created_at)
          SELECT '', provider, model, measured_at, version, data, record, created_at FROM model_validations`.execute(db);
        await db.schema.dropTable('model_validations').execute();
        await db.schema.alterTable('model_validations_next').renameTo('model_validations').execute();
        await db.schema.createIndex('model_validations_key').on('model_validations').columns(['portal_id', 'provider', 'model', 'measured_at']).unique().execute();
      },
    },
  };
}
