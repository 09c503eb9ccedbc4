import type { Kysely, Migration } from 'kysely';
import type { SqlHandle } from '../sql.ts';

/** OAuth installations (oauth/installation-store.ts). */
export function oauthMigrations(dialect: SqlHandle['dialect']): Record<string, Migration> {
  const ms = dialect === 'postgres' ? 'bigint' : 'integer';
  return {
    '0001_oauth_installations': {
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable('oauth_installations')
          .addColumn('portal_id', 'text', (c) => c.primaryKey())
          .addColumn('status', 'text', (c) => c.notNull())
          .addColumn('access_token', 'text', (c) => c.notNull())
          .addColumn('refresh_token', 'text', (c) => c.notNull())
          .addColumn('expires_at', ms, (c) => c.notNull())
          .addColumn('scopes', 'text', (c) => c.notNull())
          .addColumn('installed_at', ms, (c) => c.notNull())
          .addColumn('updated_at', ms, (c) => c.notNull())
          .addColumn('uninstalled_at', ms)
          .addColumn('uninstall_reason', 'text')
          .execute();
      },
    },
  };
}
