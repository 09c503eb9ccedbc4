import { describe, expect, it } from 'vitest';
import { MemoryWindowStore } from '../../src/hubspot/memory-window-store.ts';

// The window algorithm with a hand-driven clock: admission depends only on expiry times, never on real time.
describe('MemoryWindowStore', () => {
  const spec = { budget: 3, windowMs: 1000 };

  it('admits up to the budget, then says how long until a slot frees', async () => {
    let now = 0;
    const store = new MemoryWindowStore(() => now);
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
    const store = new MemoryWindowStore(() => now);
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
    const store = new MemoryWindowStore(() => now);
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
    const store = new MemoryWindowStore(() => now);
    await store.tryAcquire('burst', 'a', spec, 1000);
    // We used 1 of 3; HubSpot says 0 left: someone else used 2.
    await store.reconcile('burst', 0, spec);
    expect(await store.tryAcquire('burst', 'b', spec, 1000)).toBeGreaterThan(0);
  });
});
