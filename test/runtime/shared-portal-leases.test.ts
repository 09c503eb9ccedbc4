import { spawn } from 'node:child_process';
import path from 'node:path';
import { sql, type Kysely } from 'kysely';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { createSql, type SqlHandle } from '../../src/db/sql.ts';
import { loadConfig } from '../../src/config/config.ts';
import { silentLogger } from '../../src/logging.ts';
import { createContainer } from '../../src/runtime/container.ts';
import { PortalScopes, type PortalScope } from '../../src/runtime/portal-scopes.ts';
import { SqlPortalLeases } from '../../src/runtime/shared-portal-leases.ts';
import { tempDir } from '../support/tmp.ts';
import { describePostgres, uniqueName } from '../support/services.ts';

const tmp = tempDir('hsai-shared-leases-');
afterAll(() => tmp.cleanup());

type Rows = Kysely<{ portal_leases: { portal_id: string; holder: string; kind: string; expires_at: number }; portal_purges: { portal_id: string } }>;
const rows = (h: SqlHandle, kind: string, portal: string) =>
  (h.db as Rows).selectFrom('portal_leases').select('holder').where('kind', '=', kind).where('portal_id', '=', portal).execute();

/** One "process": its own SQL connection to the shared file, its own leases and scopes. */
async function processOn(dir: string, opts: { ttlMs?: number; lingerMs?: number; databaseUrl?: string; schema?: string } = {}) {
  const handle = await createSql({ dataDir: dir, ...(opts.databaseUrl ? { databaseUrl: opts.databaseUrl, schema: opts.schema! } : {}) });
  const leases = new SqlPortalLeases(handle, { pollMs: 20, lingerMs: 50, ...opts });
  const scopes = new PortalScopes({
    build: async (portalId) => ({ portalId }) as unknown as PortalScope,
    close: async () => undefined,
    shared: async () => leases,
    sharedPollMs: 20,
  });
  return { handle, leases, scopes, close: async () => (await leases.close(), await handle.close()) };
}

describePostgres('portal leases shared on PostgreSQL', (databaseUrl) => {
  it('a purge waits for another process\'s request, and that process\'s next request waits for the purge', async () => {
    const schema = uniqueName('leases');
    const api = await processOn(tmp.dir, { databaseUrl, schema });
    const cli = await processOn(tmp.dir, { databaseUrl, schema });
    try {
      const request = await api.scopes.lease('42');
      const order: string[] = [];
      let endPurge!: () => void;
      const purgeMayEnd = new Promise<void>((r) => (endPurge = r));
      const purge = cli.scopes.exclusive('42', async () => {
        order.push('purge ran');
        await purgeMayEnd;
      });
      await vi.waitFor(async () => expect(await rows(cli.handle, 'purge', '42')).toHaveLength(1), { timeout: 10_000, interval: 20 });
      expect(order).toEqual([]);
      request.release();
      await vi.waitFor(() => expect(order).toEqual(['purge ran']), { timeout: 10_000, interval: 20 });
      const next = api.scopes.lease('42').then((l) => (order.push('next request'), l));
      endPurge();
      await purge;
      (await next).release();
      expect(order).toEqual(['purge ran', 'next request']);
    } finally {
      await api.close();
      await cli.close();
    }
  });
});

describe('portal leases shared by the processes on one database', () => {
  it('a purge in one process waits for another process\'s request on the portal, and that process\'s next request waits for the purge', async () => {
    const dir = path.join(tmp.dir, 'two');
    const api = await processOn(dir);
    const cli = await processOn(dir);
    try {
      const request = await api.scopes.lease('42');
      const order: string[] = [];
      let endPurge!: () => void;
      const purgeMayEnd = new Promise<void>((r) => (endPurge = r));
      const purge = cli.scopes.exclusive('42', async () => {
        order.push('purge ran');
        await purgeMayEnd;
      });
      // The purge has announced itself and is waiting: it has not run while the other process's request holds the portal.
      await vi.waitFor(async () => expect(await rows(cli.handle, 'purge', '42')).toHaveLength(1), { timeout: 10_000, interval: 20 });
      expect(order).toEqual([]);
      // Another portal of that process is not held up.
      (await api.scopes.lease('43')).release();

      request.release();
      await vi.waitFor(() => expect(order).toEqual(['purge ran']), { timeout: 10_000, interval: 20 });
      // While the purge runs, the first process's next request on the portal waits for it.
      const next = api.scopes.lease('42').then((l) => (order.push('next request'), l));
      await vi.waitFor(async () => expect(await api.leases.otherHolders('42')).toBe(0), { timeout: 10_000, interval: 20 });
      expect(order).toEqual(['purge ran']);
      endPurge();
      await purge;
      (await next).release();
      expect(order).toEqual(['purge ran', 'next request']);
      await vi.waitFor(async () => expect(await rows(api.handle, 'purge', '42')).toEqual([]), { timeout: 10_000, interval: 20 });
    } finally {
      await api.close();
      await cli.close();
    }
  });

  it('answers PORTAL_BUSY, purging nothing, when the other process does not finish within the wait', async () => {
    const dir = path.join(tmp.dir, 'busy');
    const api = await processOn(dir);
    const cli = await processOn(dir);
    try {
      const request = await api.scopes.lease('42');
      const work = vi.fn(async () => undefined);
      await expect(cli.scopes.exclusive('42', work, { waitMs: 200 })).rejects.toMatchObject({ code: 'PORTAL_BUSY', message: expect.stringContaining('1 other process') });
      expect(work).not.toHaveBeenCalled();
      expect(await rows(cli.handle, 'purge', '42')).toEqual([]);
      request.release();
      await cli.scopes.exclusive('42', work);
      expect(work).toHaveBeenCalledOnce();
    } finally {
      await api.close();
      await cli.close();
    }
  });

  it('a released lease lingers: the next job on the portal writes nothing, and the row goes once the portal is left alone', async () => {
    const dir = path.join(tmp.dir, 'linger');
    const api = await processOn(dir, { lingerMs: 300 });
    const changes = async () => Number((await sql<{ n: number }>`SELECT total_changes() AS n`.execute(api.handle.db)).rows[0]!.n);
    try {
      (await api.scopes.lease('42')).release();
      const before = await changes();
      for (let i = 0; i < 5; i++) (await api.scopes.lease('42')).release();
      expect(await changes()).toBe(before);
      expect(await rows(api.handle, 'work', '42')).toHaveLength(1);
      await vi.waitFor(async () => expect(await rows(api.handle, 'work', '42')).toEqual([]), { timeout: 10_000, interval: 20 });
    } finally {
      await api.close();
    }
  });

  it('a purge elsewhere still waits for work that started while the portal\'s lease lingered', async () => {
    const dir = path.join(tmp.dir, 'linger-purge');
    const api = await processOn(dir, { lingerMs: 200 });
    const cli = await processOn(dir);
    try {
      (await api.scopes.lease('42')).release();
      // Work starts again while the released row lingers (the hold reuses the row, writing nothing).
      const job = await api.scopes.lease('42');
      const order: string[] = [];
      const purge = cli.scopes.exclusive('42', async () => void order.push('purge ran'), { waitMs: 30_000 });
      await vi.waitFor(async () => expect(await rows(cli.handle, 'purge', '42')).toHaveLength(1), { timeout: 10_000, interval: 20 });
      // Far past the linger, the job still runs and the purge still waits for it.
      await vi.waitFor(async () => expect(await rows(api.handle, 'work', '42')).toHaveLength(1), { timeout: 10_000, interval: 20 });
      const lingerOver = Date.now() + 600;
      await vi.waitFor(() => expect(Date.now()).toBeGreaterThan(lingerOver), { timeout: 10_000, interval: 50 });
      expect(order).toEqual([]);
      expect(await cli.leases.otherHolders('42')).toBe(1);
      order.push('job done');
      job.release();
      await purge;
      expect(order).toEqual(['job done', 'purge ran']);
      // The next job on the portal waited for the purge and then wrote its row anew.
      (await api.scopes.lease('42')).release();
    } finally {
      await api.close();
      await cli.close();
    }
  });

  it('a killed process\'s lease stops counting once it expires', async () => {
    const dir = path.join(tmp.dir, 'killed');
    const setup = await createSql({ dataDir: dir });
    const dead = new SqlPortalLeases(setup, { ttlMs: 300 });
    await dead.hold('42');
    // Killed: its timer never runs again and its row is never deleted.
    clearInterval((dead as unknown as { timer?: NodeJS.Timeout }).timer);
    const cli = await processOn(dir);
    try {
      await cli.scopes.exclusive('42', async () => undefined, { waitMs: 30_000 });
      expect(await rows(cli.handle, 'work', '42')).toHaveLength(1); // the dead row, expired, ignored
    } finally {
      await cli.close();
      await setup.close();
    }
  });
});

describe('`hubspot-ai portals purge`, a real second process', () => {
  it('waits for the serving process\'s request on the portal before removing anything', async () => {
    const dir = path.join(tmp.dir, 'cli');
    const env = { DATA_DIR: dir, HUBSPOT_ACCESS_TOKEN: 'unused', REDIS_URL: '', DATABASE_URL: '', QDRANT_URL: '' };
    // The serving process's request on portal 4242, as its PortalScopes records it in the shared store.
    const serving = createContainer(loadConfig(env), silentLogger);
    const sql = await serving.sql();
    const servingLeases = new SqlPortalLeases(sql);
    try {
      await servingLeases.hold('4242');
      const request = { release: () => void servingLeases.release('4242') };
      const child = spawn(process.execPath, [path.resolve('bin/hubspot-ai.js'), 'portals', 'purge', '4242', '--yes', '--json'], {
        env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', LOG_LEVEL: 'silent', ...env },
      });
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (out += d.toString()));
      const exited = new Promise<number | null>((r) => child.on('close', r));
      // The CLI's purge is waiting: its lease is announced, and nothing of the purge has happened yet.
      await vi.waitFor(async () => expect(await rows(sql, 'purge', '4242')).toHaveLength(1), { timeout: 60_000, interval: 50 });
      expect(await (sql.db as Rows).selectFrom('portal_purges').select('portal_id').execute().catch(() => [])).toEqual([]);
      expect(child.exitCode).toBeNull();

      request.release();
      expect(await exited, out).toBe(0);
      expect(await (sql.db as Rows).selectFrom('portal_purges').select('portal_id').execute()).toEqual([{ portal_id: '4242' }]);
    } finally {
      await servingLeases.close();
      await serving.close();
    }
  }, 120_000);
});
