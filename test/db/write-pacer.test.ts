import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { openSqlite, writeLockHeldElsewhere, writeTransaction } from '../../src/db/sqlite.ts';
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
    pacer.sawOtherWriter(); // another process writes the file
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
    pacer.sawOtherWriter();
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

  it('paces only while it has seen another writer: alone on the file, long transactions and no pause', async () => {
    const t = manualTime();
    const pacer = new WritePacer({ now: t.now, sleep: t.sleep, contendedForMs: 10_000, slices: { short: 32, long: 256 } });
    pacer.held(900); // alone: a long transaction, and nobody to pause for
    expect(pacer.contended()).toBe(false);
    expect(pacer.sliceSize()).toBe(256);
    await pacer.turn(); // no pause for nobody
    expect(t.sleeping).toHaveLength(0);

    pacer.sawOtherWriter(); // another process held the lock when this writer was about to begin
    pacer.held(30);
    expect(pacer.sliceSize()).toBe(32);
    const turn = pacer.turn();
    await vi.waitFor(() => expect(t.sleeping.map((s) => s.ms)).toEqual([30]), { timeout: 10_000, interval: 5 });
    await t.advance(30);
    await turn;

    await t.advance(10_000); // no wait seen for the whole window: alone again
    expect(pacer.contended()).toBe(false);
    expect(pacer.sliceSize()).toBe(256);
  });
});

describe('writeLockHeldElsewhere', () => {
  it("sees another connection's write transaction on the file, never its own, and leaves no transaction or timeout changed", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pacer-'));
    const a = openSqlite(path.join(dir, 'x.db'));
    const b = openSqlite(path.join(dir, 'x.db'));
    try {
      a.exec('CREATE TABLE t (v INTEGER)');
      const timeout = a.pragma('busy_timeout', { simple: true });
      expect(writeLockHeldElsewhere(a)).toBe(false);
      b.exec('BEGIN IMMEDIATE');
      b.exec('INSERT INTO t VALUES (1)');
      expect(writeLockHeldElsewhere(a)).toBe(true);
      expect(a.inTransaction).toBe(false);
      expect(a.pragma('busy_timeout', { simple: true })).toBe(timeout);
      b.exec('COMMIT');
      expect(writeLockHeldElsewhere(a)).toBe(false);
      writeTransaction(a, () => a.exec('INSERT INTO t VALUES (2)'));
      expect(a.prepare('SELECT count(*) AS n FROM t').get()).toEqual({ n: 2 });
    } finally {
      a.close();
      b.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
