import { describe, expect, it, vi } from 'vitest';
import { WritePacer } from '../../src/db/write-pacer.ts';

/** A clock and a sleep the test moves by hand: a pause ends only when the test says so. */
function manualTime() {
  let now = 0;
  const sleeping: Array<{ ms: number; wake: () => void }> = [];
  return {
    now: () => now,
    sleep: (ms: number) => new Promise<void>((wake) => sleeping.push({ ms, wake })),
    sleeping,
    /**
     * Moves the clock and wakes the sleepers one at a time, each after the previous one's continuation ran (as Node
     * runs timer callbacks: the microtasks of one drain before the next fires).
     */
    async advance(ms: number) {
      now += ms;
      for (const s of sleeping.splice(0)) {
        s.wake();
        await new Promise((r) => setImmediate(r));
      }
    },
  };
}

describe('WritePacer', () => {
  it('lets a writer go at once after short transactions, and leaves the lock free after a long one for as long as it was held (bounded)', async () => {
    const t = manualTime();
    const pacer = new WritePacer({ minHoldMs: 2, maxPauseMs: 50, now: t.now, sleep: t.sleep });
    await pacer.turn();
    pacer.held(1);
    await pacer.turn(); // below minHoldMs: no pause
    expect(t.sleeping).toHaveLength(0);

    pacer.held(30);
    let done = false;
    const turn = pacer.turn().then(() => (done = true));
    await vi.waitFor(() => expect(t.sleeping.map((s) => s.ms)).toEqual([30]), { timeout: 10_000, interval: 5 });
    await t.advance(10); // woken early: it looks at the clock and sleeps for the rest
    await vi.waitFor(() => expect(t.sleeping.map((s) => s.ms)).toEqual([20]), { timeout: 10_000, interval: 5 });
    expect(done).toBe(false);
    await t.advance(20);
    await turn;
    expect(done).toBe(true);

    pacer.held(10_000);
    const capped = pacer.turn();
    await vi.waitFor(() => expect(t.sleeping.map((s) => s.ms)).toEqual([50]), { timeout: 10_000, interval: 5 }); // capped at maxPauseMs
    await t.advance(50);
    await capped;
  });

  it('wakes waiting writers one after another: each waits again for the one before it', async () => {
    const t = manualTime();
    const pacer = new WritePacer({ now: t.now, sleep: t.sleep });
    pacer.held(20);
    const order: number[] = [];
    const writer = async (id: number) => {
      await pacer.turn();
      order.push(id);
      pacer.held(20); // its own transaction, after which the next waits again
    };
    const all = Promise.all([writer(1), writer(2)]);
    await vi.waitFor(() => expect(t.sleeping).toHaveLength(2), { timeout: 10_000, interval: 5 });
    await t.advance(20);
    // Writer 1 went; writer 2 woke, saw writer 1's new pause and sleeps again for it.
    await vi.waitFor(() => expect(order).toEqual([1]), { timeout: 10_000, interval: 5 });
    await vi.waitFor(() => expect(t.sleeping.map((s) => s.ms)).toEqual([20]), { timeout: 10_000, interval: 5 });
    await t.advance(20);
    await all;
    expect(order).toEqual([1, 2]);
  });
});
