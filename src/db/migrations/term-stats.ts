import type { Kysely, Migration } from 'kysely';
import type { SqlHandle } from '../sql.ts';

/** Portal-wide term statistics of account histories, for account profiles (ingest/term-stats.ts). */
export function termStatsMigrations(dialect: SqlHandle['dialect']): Record<string, Migration> {
  const ms = dialect === 'postgres' ? 'bigint' : 'integer';
  return {
    '0001_term_stats': {
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable('portal_term_df')
          .addColumn('portal_id', 'text', (c) => c.notNull())
          .addColumn('term', 'text', (c) => c.notNull())
          .addColumn('df', 'integer', (c) => c.notNull())
          .addPrimaryKeyConstraint('portal_term_df_pk', ['portal_id', 'term'])
          .execute();
        await db.schema
          .createTable('account_term_sets')
          .addColumn('portal_id', 'text', (c) => c.notNull())
          .addColumn('account_id', 'text', (c) => c.notNull())
          .addColumn('terms', 'text', (c) => c.notNull())
          .addColumn('profiled_documents', 'integer', (c) => c.notNull())
          .addColumn('updated_at', ms, (c) => c.notNull())
          .addPrimaryKeyConstraint('account_term_sets_pk', ['portal_id', 'account_id'])
          .execute();
        await db.schema.createIndex('account_term_sets_profiled').on('account_term_sets').columns(['portal_id', 'profiled_documents']).execute();
      },
    },
  };
}
