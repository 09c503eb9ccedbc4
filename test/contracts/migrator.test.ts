import { Migrator, sql, type Kysely } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { createSql, type SqlHandle } from '../../src/db/sql.ts';
import { allMigrations, migrateAll, MIGRATION_TABLE } from '../../src/db/migrator.ts';
import { writebackMigrations } from '../../src/db/migrations/writeback.ts';
import { scorerMigrations } from '../../src/db/migrations/scorer.ts';
import { oauthMigrations } from '../../src/db/migrations/oauth.ts';
import { SqlModelRecordStore } from '../../src/db/model-records.ts';
import { databaseUrl, uniqueName } from '../support/services.ts';
import { tempDir } from '../support/tmp.ts';

const tmp = tempDir('hsai-migrator-');
afterAll(() => tmp.cleanup());

/** A fresh database of each dialect: an SQLite file, or a PostgreSQL schema of its own. */
const dialects: Array<[string, () => Promise<SqlHandle & { drop: () => Promise<void> }>]> = [
  ['sqlite', async () => Object.assign(await createSql({ dataDir: `${tmp.dir}/${uniqueName('m')}` }), { drop: async () => undefined })],
];
if (databaseUrl()) {
  dialects.push([
    'postgres',
    async () => {
      const schema = uniqueName('migrator');
      const h = await createSql({ databaseUrl: databaseUrl()!, dataDir: tmp.dir, schema });
      return Object.assign(h, { drop: async () => void (await h.db.schema.dropSchema(schema).ifExists().cascade().execute()) });
    },
  ]);
}

/**
 * Tables of this database. PostgreSQL: its own schema's, read from pg_tables by name; Kysely's introspection lists
 * every schema's tables and fails (3F000) when another test drops its schema during that listing.
 */
async function tablesOf(h: SqlHandle): Promise<string[]> {
  if (h.dialect !== 'postgres') return (await h.db.introspection.getTables()).map((t) => t.name);
  const rows = await sql<{ name: string }>`SELECT tablename AS name FROM pg_catalog.pg_tables WHERE schemaname = current_schema()`.execute(h.db);
  return rows.rows.map((r) => r.name);
}

async function names(db: Kysely<unknown>): Promise<string[]> {
  return ((await (db as Kysely<Record<string, { name: string }>>).selectFrom(MIGRATION_TABLE).select('name').orderBy('name').execute()) as Array<{ name: string }>).map((r) => r.name);
}

describe.each(dialects)('one migrator for every table (%s)', (_d, open) => {
  it('creates every table from nothing, records each migration once, and is a no-op the second time', async () => {
    const h = await open();
    try {
      await migrateAll(h);
      const expected = Object.keys(allMigrations(h.dialect)).sort();
      expect(await names(h.db)).toEqual(expected);
      await migrateAll(h);
      expect(await names(h.db)).toEqual(expected);
      const tables = await tablesOf(h);
      for (const t of ['audit_entries', 'writeback_reviews', 'oauth_installations', 'lead_scorer_reports', 'ingest_checkpoints', 'model_records']) expect(tables).toContain(t);
      expect(tables).not.toContain('lead_scorers');
    } finally {
      await h.drop();
      await h.close();
    }
  });

  it('adopts a database migrated by the per-module migrators of older versions, scorers and their ids included', async () => {
    const h = await open();
    try {
      // In this database's own schema: Kysely would otherwise take a same-named table of any schema (another run's) for ours.
      const schema = h.dialect === 'postgres' ? (await sql<{ s: string }>`SELECT current_schema() AS s`.execute(h.db)).rows[0]?.s : undefined;
      const old = async (table: string, migrations: ReturnType<typeof writebackMigrations>) => {
        const migrator = new Migrator({
          db: h.db,
          provider: { getMigrations: async () => migrations },
          migrationTableName: table,
          migrationLockTableName: `${table}_lock`,
          ...(schema ? { migrationTableSchema: schema } : {}),
        });
        let { error } = await migrator.migrateToLatest();
        // Kysely lists the tables of every schema: one that another test drops meanwhile (3F000, 42P01) is not ours.
        const otherSchemaGone = (e: unknown) => ['3F000', '42P01'].includes(String((e as { code?: unknown }).code)) && !(schema && String((e as Error).message).includes(schema));
        for (let attempt = 1; error && attempt < 5 && otherSchemaGone(error); attempt++) ({ error } = await migrator.migrateToLatest());
        expect(error).toBeUndefined();
      };
      await old('writeback_migrations', writebackMigrations(h.dialect));
      await old('oauth_migrations', oauthMigrations(h.dialect));
      await old('scorer_migrations', scorerMigrations(h.dialect));
      const model = { version: 'scorer-v3', validation: { auc: 0.8 }, weights: [1, 2] };
      await (h.db as Kysely<Record<string, Record<string, unknown>>>)
        .insertInto('lead_scorers')
        .values({ id: 7, portal_id: 'p1', version: 'scorer-v3', trained_at: '2026-01-01', validated: 1, auc: 0.8, auc_low: 0.7, auc_high: 0.9, ece: 0.03, closed_deals: 120, confidence_bound: 0.75, model: JSON.stringify(model), created_at: 5 })
        .execute();

      await migrateAll(h);
      expect(await names(h.db)).toEqual(Object.keys(allMigrations(h.dialect)).sort());
      const tables = await tablesOf(h);
      for (const t of ['writeback_migrations', 'oauth_migrations', 'scorer_migrations', 'lead_scorers']) expect(tables).not.toContain(t);
      const records = new SqlModelRecordStore(h);
      const r = await records.latest('lead_scorer', 'p1');
      expect(r).toMatchObject({ id: 7, portalId: 'p1', version: 'scorer-v3', validated: true, createdAt: 5, validation: { auc: 0.8 }, artefact: model });
      expect(r?.figures).toEqual({ auc: 0.8, auc_low: 0.7, auc_high: 0.9, ece: 0.03, closed_deals: 120, confidence_bound: 0.75 });
      // New records continue after the adopted ids.
      expect(await records.save({ kind: 'lead_scorer', portalId: 'p1', name: 'lead_scorer', version: 'v', validated: false, figures: {}, validation: null, artefact: null })).toBeGreaterThan(7);
    } finally {
      await h.drop();
      await h.close();
    }
  });
});
