import type { Kysely, Migration } from 'kysely';
import type { SqlHandle } from '../sql.ts';

/** Models' validation records (agents/validation/validation-store.ts): one row per provider, model and measurement. */
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
  };
}
