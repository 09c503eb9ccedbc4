import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it, vi } from 'vitest';
import { WritePacer } from '../../src/db/write-pacer.ts';

describe('WritePacer', () => {
  it('lets a writer go at once after short transactions, and leaves the lock free after a long one for as long as it was held (bounded)', async () => {
    let now = 1_000;
    const pacer = new WritePacer({ minHoldMs: 2, maxPauseMs: 50, now: () => now });
    await pacer.turn();
    pacer.held(1);
    await pacer.turn(); // below minHoldMs: no pause

    pacer.held(30);
    let done = false;
    const turn = pacer.turn().then(() => (done = true));
    await sleep(60); // real time passes, the pacer's clock does not: still waiting
    expect(done).toBe(false);
    now += 30;
    await vi.waitFor(() => expect(done).toBe(true), { timeout: 10_000, interval: 5 });
    await turn;

    pacer.held(10_000);
    const started = now;
    const capped = pacer.turn();
    now = started + 50;
    await capped; // the pause is capped at maxPauseMs
  });

  it('wakes waiting writers one after another: each waits again for the one before it', async () => {
    let now = 0;
    const pacer = new WritePacer({ now: () => now });
    pacer.held(20);
    const order: number[] = [];
    const writer = async (id: number) => {
      await pacer.turn();
      order.push(id);
      pacer.held(20); // its own transaction, after which the next waits again
    };
    const all = Promise.all([writer(1), writer(2)]);
    now = 20;
    await vi.waitFor(() => expect(order).toEqual([1]), { timeout: 10_000, interval: 5 });
    await sleep(40);
    expect(order).toEqual([1]);
    now = 40;
    await all;
    expect(order).toEqual([1, 2]);
  });
});
