import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MemoryWindowStore } from '../../src/hubspot/memory-window-store.ts';
import { SqliteWindowStore } from '../../src/hubspot/sqlite-window-store.ts';
import type { WindowStore } from '../../src/hubspot/window-store.ts';
import { tempDir } from '../support/tmp.ts';

const tmp = tempDir('hsai-window-');
afterAll(() => tmp.cleanup());
let files = 0;

/** One algorithm, every store with a clock of its caller's (the Redis store reads Redis' clock: shared-limiter.test.ts). */
const stores: Array<[string, (now: () => number) => WindowStore]> = [
  ['MemoryWindowStore', (now) => new MemoryWindowStore(now)],
  ['SqliteWindowStore', (now) => new SqliteWindowStore(path.join(tmp.dir, `limiter-${++files}.db`), 'key', now)],
];

// The window algorithm with a hand-driven clock: admission depends only on expiry times, never on real time.
describe.each(stores)('%s', (_name, make) => {
  const spec = { budget: 3, windowMs: 1000 };

  it('admits up to the budget, then says how long until a slot frees', async () => {
    let now = 0;
    const store = make(() => now);
    for (const m of ['a', 'b', 'c']) expect(await store.tryAcquire('burst', m, spec, 5000)).toBe(0);
    // In flight: counted for the whole hold.
    expect(await store.tryAcquire('burst', 'd', spec, 5000)).toBe(5000);
    now = 100;
    await store.release('burst', 'a', spec.windowMs); // completes at 100 → counts until 1100
    expect(await store.tryAcquire('burst', 'd', spec, 5000)).toBe(1000);
    now = 1100;
    expect(await store.tryAcquire('burst', 'd', spec, 5000)).toBe(0);
  });

  it('counts a request until a full window after it completed, whatever its latency', async () => {
    let now = 0;
    const store = make(() => now);
    const one = { budget: 1, windowMs: 1000 };
    expect(await store.tryAcquire('burst', 'slow', one, 10_000)).toBe(0);
    now = 4000; // answered after 4 s: HubSpot may have counted it at any instant up to now
    await store.release('burst', 'slow', one.windowMs);
    now = 4999;
    expect(await store.tryAcquire('burst', 'next', one, 10_000)).toBe(1);
    now = 5000;
    expect(await store.tryAcquire('burst', 'next', one, 10_000)).toBe(0);
  });

  it('honours a lowered budget and a pause, and keeps kinds apart', async () => {
    let now = 0;
    const store = make(() => now);
    for (const m of ['a', 'b', 'c']) await store.tryAcquire('burst', m, spec, 1000);
    expect(await store.tryAcquire('burst', 'd', { budget: 2, windowMs: 1000 }, 1000)).toBe(1000);
    expect(await store.tryAcquire('search', 's', spec, 1000)).toBe(0);
    await store.pause('search', 700);
    expect(await store.tryAcquire('search', 't', spec, 1000)).toBe(700);
    now = 700;
    expect(await store.tryAcquire('search', 't', spec, 1000)).toBe(0);
  });

  it('reconciles with what HubSpot reports: other users of the token take slots', async () => {
    const now = 0;
    const store = make(() => now);
    await store.tryAcquire('burst', 'a', spec, 1000);
    // We used 1 of 3; HubSpot says 0 left: someone else used 2.
    await store.reconcile('burst', 0, spec);
    expect(await store.tryAcquire('burst', 'b', spec, 1000)).toBeGreaterThan(0);
  });
});

describe('SqliteWindowStore across connections', () => {
  const spec = { budget: 2, windowMs: 1000 };

  it('two connections to one file spend one budget; another limiter key has its own; a pause reaches both', async () => {
    const now = 0;
    const file = path.join(tmp.dir, 'shared.db');
    const a = new SqliteWindowStore(file, 'portal-1', () => now);
    const b = new SqliteWindowStore(file, 'portal-1', () => now);
    const other = new SqliteWindowStore(file, 'portal-2', () => now);
    try {
      expect(await a.tryAcquire('burst', 'a1', spec, 5000)).toBe(0);
      expect(await b.tryAcquire('burst', 'b1', spec, 5000)).toBe(0);
      expect(await a.tryAcquire('burst', 'a2', spec, 5000)).toBe(5000);
      expect(await b.tryAcquire('burst', 'b2', spec, 5000)).toBe(5000);
      expect(await other.tryAcquire('burst', 'o1', spec, 5000)).toBe(0);
      await b.release('burst', 'a1', spec.windowMs); // any process may complete any entry: the log is one
      expect(await a.tryAcquire('burst', 'a2', spec, 5000)).toBe(1000);
      await a.pause('search', 300);
      expect(await b.tryAcquire('search', 's', spec, 5000)).toBe(300);
      expect(await other.tryAcquire('search', 's', spec, 5000)).toBe(0);
    } finally {
      await Promise.all([a.close(), b.close(), other.close()]);
    }
  });

  it('after close, a finishing request records nothing and a new one is refused clearly', async () => {
    const store = new SqliteWindowStore(path.join(tmp.dir, 'closed.db'), 'key');
    await store.close();
    await expect(store.release('burst', 'x', 1000)).resolves.toBeUndefined();
    await expect(store.tryAcquire('burst', 'y', spec, 1000)).rejects.toMatchObject({ code: 'HUBSPOT_GATEWAY_CLOSED' });
  });
});
