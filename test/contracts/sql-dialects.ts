import { afterAll, describe } from 'vitest';
import { createSql, type SqlHandle } from '../../src/db/sql.ts';
import { describePostgres, uniqueName } from '../support/services.ts';
import { tempDir } from '../support/tmp.ts';

/** A database of one dialect: `open()` gives a fresh handle on the same database (durability: reopen and read). */
export interface SqlDatabase {
  dialect: SqlHandle['dialect'];
  open(): Promise<SqlHandle>;
}

/**
 * Runs one suite against every SQL dialect: an SQLite file of its own, and a PostgreSQL schema of its own
 * (DATABASE_URL; skipped locally without it, a failure under CI). Each `fresh()` is a new, empty database.
 */
export function describeEachDialect(name: string, suite: (fresh: () => SqlDatabase) => void): void {
  describe(`${name} [sqlite]`, () => {
    const tmp = tempDir('hsai-sql-contract-');
    afterAll(() => tmp.cleanup());
    suite(() => {
      const dir = `${tmp.dir}/${uniqueName('db')}`;
      return { dialect: 'sqlite', open: () => createSql({ dataDir: dir }) };
    });
  });
  describePostgres(name, (url) => {
    const tmp = tempDir('hsai-sql-contract-');
    const schemas: string[] = [];
    afterAll(async () => {
      tmp.cleanup();
      if (!schemas.length) return;
      const h = await createSql({ databaseUrl: url, dataDir: tmp.dir });
      try {
        for (const s of schemas) await h.db.schema.dropSchema(s).ifExists().cascade().execute();
      } finally {
        await h.close();
      }
    });
    suite(() => {
      const schema = uniqueName('contract');
      schemas.push(schema);
      return { dialect: 'postgres', open: () => createSql({ databaseUrl: url, dataDir: tmp.dir, schema }) };
    });
  });
}

