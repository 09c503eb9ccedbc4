import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.ts';
import { allMigrations, ensureSchema, MIGRATION_TABLE, migrateAll } from '../../src/db/migrator.ts';
import { createSql } from '../../src/db/sql.ts';
import { openSqlite, sqlitePath } from '../../src/db/sqlite.ts';
import { silentLogger } from '../../src/logging.ts';
import { createContainer } from '../../src/runtime/container.ts';
import { tempDir } from '../support/tmp.ts';

/**
 * The SQL layer's migration of the embedded SQLite file is one transaction that spans awaits, on the connection the
 * container's stores share. Another writer on that connection must never run inside it (a failed migration would
 * roll back writes that were acknowledged), and a process killed mid-migration leaves a file the next start migrates.
 */

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const tmp = tempDir('hsai-migrate-shared-');
afterAll(() => tmp.cleanup());

const SQL_LAYER = Object.keys(allMigrations('sqlite')).sort();
const config = (dir: string) => loadConfig({ DATA_DIR: dir, HUBSPOT_ACCESS_TOKEN: 'unused', REDIS_URL: '', DATABASE_URL: '', QDRANT_URL: '' });

/** Tables and bookkeeping of the file, read on a connection of its own. */
function inspect(dir: string): { tables: string[]; recorded: string[]; cacheKeys: string[] } {
  const db = openSqlite(sqlitePath(dir));
  try {
    const tables = (db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`).all() as Array<{ name: string }>).map((r) => r.name);
    const recorded = tables.includes(MIGRATION_TABLE) ? (db.prepare(`SELECT name FROM ${MIGRATION_TABLE} ORDER BY name`).all() as Array<{ name: string }>).map((r) => r.name) : [];
    const cacheKeys = tables.includes('cache_kv') ? (db.prepare(`SELECT key FROM cache_kv ORDER BY key`).all() as Array<{ key: string }>).map((r) => r.key) : [];
    return { tables, recorded, cacheKeys };
  } finally {
    db.close();
  }
}

describe('the SQL layer\'s migration on the shared SQLite connection', () => {
  it('a writer that starts during a migration that fails loses no acknowledged write, and nothing is half-applied', async () => {
    const dir = path.join(tmp.dir, 'fails');
    // The last SQL-layer migration creates portal_leases: a table of that name already there makes it fail, after
    // every other migration has run inside the transaction.
    const planted = openSqlite(sqlitePath(dir));
    planted.exec('CREATE TABLE portal_leases (x INTEGER)');
    planted.close();

    const c = createContainer(config(dir), silentLogger);
    const acknowledged: string[] = [];
    let outcome: PromiseSettledResult<unknown>[] = [];
    const started = async () => {
      // As serve starts: the cache is up, the SQL store opens, and its first query migrates while cache writes go on.
      const kv = await c.cache();
      const handle = await c.sql();
      const writer = async () => {
        for (let i = 0; i < 200; i++) {
          const key = `during-migration:${i}`;
          await kv.set(key, Buffer.from('v'));
          acknowledged.push(key);
        }
      };
      outcome = await Promise.allSettled([ensureSchema(handle), writer()]);
      const failed = outcome.find((o) => o.status === 'rejected');
      if (failed) throw failed.reason;
    };
    try {
      await expect(started()).rejects.toThrow(/database migrations failed at \d+_portal-leases\/0001_portal_leases: .*already exists/);
    } finally {
      await c.close();
    }
    const after = inspect(dir);
    // Every write the writer was told had succeeded is in the file.
    expect(after.cacheKeys).toEqual(expect.arrayContaining(acknowledged));
    // None of the failed migration's work is: no SQL-layer table, no SQL-layer bookkeeping row.
    expect(after.tables.filter((t) => ['audit_entries', 'writeback_reviews', 'model_records', 'oauth_installations', 'ingest_checkpoints'].includes(t))).toEqual([]);
    expect(after.recorded.filter((n) => SQL_LAYER.includes(n))).toEqual([]);

    // Without the obstacle, the next start migrates everything, once.
    const fix = openSqlite(sqlitePath(dir));
    fix.exec('DROP TABLE portal_leases');
    fix.close();
    const again = createContainer(config(dir), silentLogger);
    try {
      const kv = await again.cache();
      await kv.set('after', Buffer.from('v'));
      await ensureSchema(await again.sql());
    } finally {
      await again.close();
    }
    const done = inspect(dir);
    expect(done.recorded.filter((n) => SQL_LAYER.includes(n))).toEqual(SQL_LAYER);
    expect(done.cacheKeys).toEqual(expect.arrayContaining([...acknowledged, 'after']));
  }, 60_000);

  it('a writer during a migration that succeeds waits for it: its writes follow the migration\'s commit, all kept', async () => {
    const dir = path.join(tmp.dir, 'succeeds');
    const c = createContainer(config(dir), silentLogger);
    const inside: boolean[] = [];
    try {
      const [kv, handle] = await Promise.all([c.cache(), c.sql()]);
      await Promise.all([
        ensureSchema(handle),
        (async () => {
          for (let i = 0; i < 50; i++) {
            inside.push(handle.sqlite!.inTransaction);
            await kv.set(`k${i}`, Buffer.from('v'));
          }
        })(),
      ]);
    } finally {
      await c.close();
    }
    expect(inside.filter(Boolean)).toEqual([]); // no write ran while a transaction was open on the connection
    const after = inspect(dir);
    expect(after.cacheKeys).toHaveLength(50);
    expect(after.recorded.filter((n) => SQL_LAYER.includes(n))).toEqual(SQL_LAYER);
  }, 60_000);

  it('a process killed in the middle of migrating leaves a file the next start migrates cleanly', async () => {
    const dir = path.join(tmp.dir, 'killed');
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'test/fixtures/migrate-killed-child.ts')], { cwd: root, env: { ...process.env, DATA_DIR: dir }, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('mid\n')) resolve();
      });
      void exited.then(() => reject(new Error(`the migrating child ended before the middle: ${out}`)));
    });
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');

    // Nothing of the interrupted run is in the file.
    const interrupted = inspect(dir);
    expect(interrupted.recorded.filter((n) => SQL_LAYER.includes(n))).toEqual([]);
    expect(interrupted.tables).not.toContain('audit_entries');

    const handle = await createSql({ dataDir: dir });
    try {
      await migrateAll(handle);
      await migrateAll(handle); // and again: nothing left to do
      expect(handle.sqlite!.inTransaction).toBe(false);
    } finally {
      await handle.close();
    }
    const done = inspect(dir);
    expect(done.recorded.filter((n) => SQL_LAYER.includes(n))).toEqual(SQL_LAYER);
    expect(done.tables).toEqual(expect.arrayContaining(['audit_entries', 'writeback_reviews', 'model_records', 'portal_leases']));
    const check = openSqlite(sqlitePath(dir));
    try {
      expect(check.pragma('integrity_check', { simple: true })).toBe('ok');
    } finally {
      check.close();
    }
  }, 60_000);
});
