import type { Kysely, Migration } from 'kysely';

/**
 * Which processes work on which portal, and which purge a portal: the leases every process sharing the database
 * sees (runtime/shared-portal-leases.ts).
 */
export function portalLeaseMigrations(): Record<string, Migration> {
  return {
    '0001_portal_leases': {
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable('portal_leases')
          .addColumn('portal_id', 'varchar(32)', (c) => c.notNull())
          .addColumn('holder', 'varchar(128)', (c) => c.notNull())
          .addColumn('kind', 'varchar(8)', (c) => c.notNull())
          .addColumn('expires_at', 'bigint', (c) => c.notNull())
          .addPrimaryKeyConstraint('portal_leases_pk', ['portal_id', 'kind', 'holder'])
          .execute();
        await db.schema.createIndex('portal_leases_holder').on('portal_leases').column('holder').execute();
      },
    },
  };
}
