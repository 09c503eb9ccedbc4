import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { createSql, type SqlHandle } from '../../src/db/sql.ts';
import { allMigrations, MIGRATION_TABLE, migrateAll, sqliteFileMigrations } from '../../src/db/migrator.ts';
import { tempDir } from '../support/tmp.ts';
import { describePostgres, uniqueName } from '../support/services.ts';

/**
 * Two processes (`serve` and its worker, or a backfill started beside them) open a fresh SQLite file and migrate it
 * at the same moment: one takes the write lock and migrates, the other waits, then finds every migration applied.
 */
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const CHILD = path.join(root, 'test/fixtures/migrate-child.ts');
const tmp = tempDir('hsai-migrate-race-');
afterAll(() => tmp.cleanup());

type Outcome = { code: number | null; last: Record<string, unknown> | string };

function child(dataDir: string, fileFirst: boolean) {
  const c = spawn(process.execPath, ['--import', 'tsx', CHILD], { cwd: root, env: { ...process.env, DATA_DIR: dataDir, ...(fileFirst ? { FILE_FIRST: '1' } : {}) }, stdio: ['pipe', 'pipe', 'inherit'] });
  let out = '';
  const ready = new Promise<void>((resolve, reject) => {
    c.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.startsWith('ready\n')) resolve();
    });
    c.on('exit', (code) => reject(new Error(`migrate child exited with ${code} before it was ready: ${out}`)));
  });
  const done = new Promise<Outcome>((resolve) =>
    c.on('exit', (code) => {
      const last = out.trim().split('\n').pop() ?? '';
      resolve({ code, last: last.startsWith('{') ? (JSON.parse(last) as Record<string, unknown>) : out });
    }),
  );
  return { c, ready, done };
}

describe('two processes migrating one fresh SQLite file at the same moment', () => {
  it('both succeed and every migration (SQL layer and the embedded adapters\' tables) is recorded once', async () => {
    const expected = Object.keys(allMigrations('sqlite')).length + sqliteFileMigrations('main').length;
    // Three rounds on fresh files, both processes released together: the embedded adapters' groups first in neither, in one, in both.
    for (let round = 0; round < 3; round++) {
      const dir = path.join(tmp.dir, uniqueName('race'));
      const children = [child(dir, round % 2 === 1), child(dir, round === 2)];
      await Promise.all(children.map((x) => x.ready));
      for (const x of children) x.c.stdin.end('go\n');
      const outcomes = await Promise.all(children.map((x) => x.done));
      expect(outcomes).toEqual([
        { code: 0, last: { migrations: expected } },
        { code: 0, last: { migrations: expected } },
      ]);
    }
  }, 120_000);
});

describePostgres('several processes migrating one fresh PostgreSQL schema at the same moment', (url) => {
  it('all succeed and every migration is recorded once', async () => {
    const expected = Object.keys(allMigrations('postgres')).sort();
    // Several rounds, three migrators each (separate pools, so separate sessions, as separate processes have).
    // Round 0 also creates the schema from three processes at once; the others start from an empty schema that
    // exists (created by the first open), all three released together into its bookkeeping and migrations.
    for (let round = 0; round < 3; round++) {
      const schema = uniqueName('pgrace');
      const handles: SqlHandle[] = [];
      try {
        const open = () => createSql({ databaseUrl: url, dataDir: tmp.dir, schema }).then((h) => (handles.push(h), h));
        const outcomes =
          round === 0
            ? await Promise.allSettled([0, 1, 2].map(async () => migrateAll(await open())))
            : await Promise.all([0, 1, 2].map(open)).then((hs) => Promise.allSettled(hs.map((h) => migrateAll(h))));
        expect(outcomes.filter((o) => o.status === 'rejected').map((o) => String(o.reason))).toEqual([]);
        const rows = await sql<{ name: string }>`SELECT name FROM ${sql.table(`${schema}.${MIGRATION_TABLE}`)} ORDER BY name`.execute(handles[0]!.db);
        expect(rows.rows.map((r) => r.name)).toEqual(expected);
      } finally {
        await handles[0]?.db.schema.dropSchema(schema).ifExists().cascade().execute();
        await Promise.all(handles.map((h) => h.close()));
      }
    }
  }, 120_000);
});
