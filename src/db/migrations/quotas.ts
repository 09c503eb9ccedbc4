import type { Kysely, Migration } from 'kysely';

/** What each portal spent on models per quota period, reserved before each call (writeback/quota-counter.ts). */
export function quotaMigrations(): Record<string, Migration> {
  return {
    '0001_model_quota_spend': {
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable('model_quota_spend')
          .addColumn('portal_id', 'varchar(32)', (c) => c.notNull())
          .addColumn('period_start', 'bigint', (c) => c.notNull())
          .addColumn('tokens', 'bigint', (c) => c.notNull())
          .addColumn('cost_usd', 'double precision', (c) => c.notNull())
          .addColumn('updated_at', 'bigint', (c) => c.notNull())
          .addPrimaryKeyConstraint('model_quota_spend_pk', ['portal_id', 'period_start'])
          .execute();
      },
    },
  };
}
