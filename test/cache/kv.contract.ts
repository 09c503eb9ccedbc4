import { afterEach, beforeEach, expect, it } from 'vitest';
import type { KeyValueCache } from '../../src/cache/kv.ts';

/**
 * The KeyValueCache contract, run against every adapter. `expire(key)` makes a TTL'd entry's time pass: a fake
 * clock for SQLite, a real wait for Redis (polled, never timed).
 */
export interface KvHarness {
  open(): Promise<KeyValueCache>;
  /** Lets at least `seconds` pass for TTLs. */
  elapse(seconds: number): Promise<void>;
  cleanup?(): Promise<void>;
}

export function kvContract(harness: KvHarness): void {
  let kv: KeyValueCache;
  beforeEach(async () => {
    kv = await harness.open();
  });
  afterEach(async () => {
    await kv.close();
    await harness.cleanup?.();
  });

  const b = (s: string) => Buffer.from(s);

  it('gets what was set, as bytes, and null for missing keys', async () => {
    const bytes = Buffer.from(new Float32Array([1.5, -2, 3.25]).buffer);
    await kv.set('a', bytes);
    expect(Buffer.compare((await kv.get('a'))!, bytes)).toBe(0);
    expect(await kv.get('missing')).toBeNull();
    await kv.set('a', b('replaced'));
    expect((await kv.get('a'))?.toString()).toBe('replaced');
  });

  it('reads and writes many keys in order', async () => {
    await kv.setMany([
      { key: 'k1', value: b('one') },
      { key: 'k2', value: b('two') },
    ]);
    const got = await kv.getMany(['k2', 'nope', 'k1', 'k2']);
    expect(got.map((v) => v?.toString() ?? null)).toEqual(['two', null, 'one', 'two']);
    expect(await kv.getMany([])).toEqual([]);
    await kv.setMany([]);
  });

  it('sets only when absent, atomically under concurrency', async () => {
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => kv.setIfAbsent('once', b(`writer${i}`))));
    expect(results.filter(Boolean)).toHaveLength(1);
    expect(await kv.setIfAbsent('once', b('late'))).toBe(false);
  });

  it('sets many keys if absent in one call, each atomically, and reports which it set', async () => {
    await kv.set('taken', b('someone'));
    expect(await kv.setManyIfAbsent([])).toEqual([]);
    const first = await kv.setManyIfAbsent([
      { key: 'free-1', value: b('me'), ttlSeconds: 60 },
      { key: 'taken', value: b('me'), ttlSeconds: 60 },
      { key: 'free-2', value: b('me') },
      { key: 'free-1', value: b('again') },
    ]);
    expect(first).toEqual([true, false, true, false]);
    expect((await kv.getMany(['free-1', 'taken', 'free-2'])).map((v) => v?.toString())).toEqual(['me', 'someone', 'me']);
    // Two claimants racing for the same keys: every key goes to exactly one of them.
    const keys = Array.from({ length: 50 }, (_, i) => `race-${i}`);
    const [a, c] = await Promise.all(['a', 'c'].map((who) => kv.setManyIfAbsent(keys.map((key) => ({ key, value: b(who), ttlSeconds: 60 })))));
    expect(keys.every((_, i) => a![i] !== c![i])).toBe(true);
  });

  it('deletes', async () => {
    await kv.set('gone', b('x'));
    await kv.delete('gone');
    expect(await kv.get('gone')).toBeNull();
    await kv.delete('never-existed');
  });

  it('expires entries after their TTL, and an expired key can be set-if-absent again', async () => {
    await kv.set('short', b('x'), 1);
    await kv.setMany([{ key: 'short-many', value: b('y'), ttlSeconds: 1 }, { key: 'forever', value: b('z') }]);
    expect(await kv.setIfAbsent('dedupe', b('1'), 1)).toBe(true);
    expect((await kv.get('short'))?.toString()).toBe('x');
    await harness.elapse(1);
    expect(await kv.get('short')).toBeNull();
    expect(await kv.getMany(['short-many', 'forever']).then((v) => v.map((x) => x?.toString() ?? null))).toEqual([null, 'z']);
    expect(await kv.setIfAbsent('dedupe', b('2'), 60)).toBe(true);
  });

  it('answers ping', async () => {
    await expect(kv.ping()).resolves.toBeUndefined();
  });
}
