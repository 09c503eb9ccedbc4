import type { Kysely, Migration } from 'kysely';

/** Durable checkpoints of long ingest jobs (ingest/checkpoint-store.ts). */
export function checkpointMigrations(): Record<string, Migration> {
  return {
    '0001_ingest_checkpoints': {
      async up(db: Kysely<unknown>) {
        // IF NOT EXISTS: databases from before the migrator created this table on first use.
        await db.schema
          .createTable('ingest_checkpoints')
          .ifNotExists()
          .addColumn('id', 'varchar(255)', (c) => c.primaryKey())
          .addColumn('state', 'text', (c) => c.notNull())
          .addColumn('updated_at', 'bigint', (c) => c.notNull())
          .execute();
      },
    },
  };
}
