import path from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryWindowStores } from '../../src/hubspot/memory-window-store.ts';
import { RedisWindowStore } from '../../src/hubspot/redis-window-store.ts';
import { SqliteWindowStore } from '../../src/hubspot/sqlite-window-store.ts';
import type { WindowStore } from '../../src/hubspot/window-store.ts';
import { describeRedis, uniqueName } from '../support/services.ts';
import { tempDir } from '../support/tmp.ts';

/**
 * One contract for the rate limiter's window stores (in process, the SQLite limiter file, Redis), on each store's
 * own clock (Redis reads its `TIME`). The precise arithmetic with a hand-driven clock is in
 * test/hubspot/window-store.test.ts; here every bound has orders of magnitude of margin (an hour-long hold
 * against a one-second window), so the suite holds on a loaded machine.
 *
 * `limiter(key)` gives a store for a limiter key (a portal token); two calls with the same key are two users of
 * one budget (for SQLite and Redis, two connections, as two processes would hold).
 */
type Limiters = { limiter: (key: string) => WindowStore; close: () => Promise<void> };

const HOUR = 3_600_000;
const spec = { budget: 3, windowMs: 1000 };

function contract(name: string, make: () => Promise<Limiters>): void {
  describe(name, () => {
    let ls: Limiters;
    let n = 0;
    const fresh = () => ls.limiter(`key-${++n}-${Math.random().toString(36).slice(2)}`);
    beforeAll(async () => {
      ls = await make();
    });
    afterAll(async () => ls.close());

    it('admits up to the budget, then says how long until a slot frees, and records nothing for a refusal', async () => {
      const s = fresh();
      for (const m of ['a', 'b', 'c']) expect(await s.tryAcquire('burst', m, spec, HOUR)).toBe(0);
      const wait = await s.tryAcquire('burst', 'd', spec, HOUR);
      expect(wait).toBeGreaterThan(HOUR - 60_000);
      expect(wait).toBeLessThanOrEqual(HOUR);
      // A completed request counts for one window more, not for its hold.
      await s.release('burst', 'a', spec.windowMs);
      const after = await s.tryAcquire('burst', 'd', spec, HOUR);
      expect(after).toBeGreaterThan(0);
      expect(after).toBeLessThanOrEqual(spec.windowMs);
      // The refused 'd' took no slot: once 'a' expires exactly one more is admitted.
      await waitUntilAdmitted(s, 'd');
      expect(await s.tryAcquire('burst', 'e', spec, HOUR)).toBeGreaterThan(HOUR - 60_000);
    });

    it('a lowered budget applies at once; kinds keep their own logs', async () => {
      const s = fresh();
      for (const m of ['a', 'b']) expect(await s.tryAcquire('burst', m, spec, HOUR)).toBe(0);
      expect(await s.tryAcquire('burst', 'c', { budget: 2, windowMs: 1000 }, HOUR)).toBeGreaterThan(0);
      expect(await s.tryAcquire('search', 's', { budget: 1, windowMs: 1000 }, HOUR)).toBe(0);
      expect(await s.tryAcquire('search', 't', { budget: 1, windowMs: 1000 }, HOUR)).toBeGreaterThan(0);
      expect(await s.tryAcquire('burst', 'c', spec, HOUR)).toBe(0);
    });

    it('a pause stops one kind for its length, and a shorter pause never shortens it', async () => {
      const s = fresh();
      await s.pause('search', HOUR);
      await s.pause('search', 10);
      const wait = await s.tryAcquire('search', 's', spec, HOUR);
      expect(wait).toBeGreaterThan(HOUR - 60_000);
      expect(wait).toBeLessThanOrEqual(HOUR);
      expect(await s.tryAcquire('burst', 'b', spec, HOUR)).toBe(0);
    });

    it('a release of a request it never admitted revives nothing', async () => {
      const s = fresh();
      await s.release('burst', 'ghost', HOUR);
      for (const m of ['a', 'b', 'c']) expect(await s.tryAcquire('burst', m, spec, HOUR)).toBe(0);
    });

    it("reconciles with HubSpot's count: others' requests take slots, a higher count frees none", async () => {
      const s = fresh();
      expect(await s.tryAcquire('burst', 'a', spec, HOUR)).toBe(0);
      await s.reconcile('burst', 3, spec); // HubSpot sees more room than we do: nothing changes
      expect(await s.tryAcquire('burst', 'b', spec, HOUR)).toBe(0);
      await s.reconcile('burst', 0, spec); // we used 2 of 3, HubSpot says 0 left: one slot is someone else's
      const wait = await s.tryAcquire('burst', 'c', spec, HOUR);
      expect(wait).toBeGreaterThan(0);
      expect(wait).toBeLessThanOrEqual(spec.windowMs); // the placeholder lives one window, not a hold
    });

    it('users of one limiter key spend one budget, even all at once; another key has its own', async () => {
      const [a, b] = [`shared-${++n}`, `shared-${n}`].map((k) => ls.limiter(k)) as [WindowStore, WindowStore];
      const budget = { budget: 5, windowMs: 1000 };
      const results = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).tryAcquire('burst', `m${i}`, budget, HOUR)));
      expect(results.filter((w) => w === 0)).toHaveLength(5);
      await a.pause('search', HOUR);
      expect(await b.tryAcquire('search', 's', budget, HOUR)).toBeGreaterThan(0);
      await b.release('burst', `m${results.indexOf(0)}`, 1); // either user may complete any request of the key
      await waitUntilAdmitted(a, 'late', budget);
      expect(await b.tryAcquire('burst', 'later', budget, HOUR)).toBeGreaterThan(HOUR - 60_000);
      const other = fresh();
      expect(await other.tryAcquire('burst', 'o', budget, HOUR)).toBe(0);
      expect(await other.tryAcquire('search', 's', budget, HOUR)).toBe(0);
    });
  });
}

/** Polls with the wait each refusal names, up to a deadline: the window frees on the store's own clock. */
async function waitUntilAdmitted(s: WindowStore, member: string, limit = spec): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const wait = await s.tryAcquire('burst', member, limit, HOUR);
    if (wait === 0) return;
    if (Date.now() > deadline) throw new Error(`still refused after 30 s (wait ${wait} ms)`);
    await new Promise((r) => setTimeout(r, Math.min(wait, 1000)));
  }
}

const tmp = tempDir('hsai-window-contract-');
afterAll(() => tmp.cleanup());

contract('MemoryWindowStore', async () => {
  const stores = new MemoryWindowStores();
  return { limiter: (key) => stores.for(key), close: async () => undefined };
});

contract('SqliteWindowStore', async () => {
  const file = path.join(tmp.dir, `${uniqueName('limiter')}.db`);
  const opened: SqliteWindowStore[] = [];
  return {
    limiter: (key) => {
      const s = new SqliteWindowStore(file, key);
      opened.push(s);
      return s;
    },
    close: async () => void (await Promise.all(opened.map((s) => s.close()))),
  };
});

describeRedis('window store contract', (url) => {
  const prefix = uniqueName('hsai-window');
  const clients: Redis[] = [];
  afterAll(async () => {
    const c = new Redis(url);
    const keys = await c.keys(`${prefix}:*`);
    if (keys.length) await c.del(...keys);
    await c.quit();
  });
  contract('RedisWindowStore', async () => ({
    limiter: (key) => {
      const client = new Redis(url);
      clients.push(client);
      return new RedisWindowStore(client, prefix, key);
    },
    close: async () => void (await Promise.all(clients.splice(0).map((c) => c.quit()))),
  }));
});
