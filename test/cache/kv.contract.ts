import { afterEach, beforeEach, expect, it } from 'vitest';
import type { KeyValueCache } from '../../src/cache/kv.ts';
import { sweepUnscopedCacheKeys, UNSCOPED_SWEEP_MARKER } from '../../src/cache/unscoped-sweep.ts';
import { embeddingCacheKey } from '../../src/ingest/cached-embedder.ts';
import { responseCacheKey } from '../../src/agents/response-cache.ts';
import { portalCachePrefixes } from '../../src/runtime/portal-purge.ts';

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

  it('deletes keys matching a glob pattern, literal characters and classes included', async () => {
    for (const k of ['g:a1', 'g:b2', 'g:[x]', 'g:*', 'h:a1', 'ga1']) await kv.set(k, b(k));
    expect(await kv.deleteMatching(['g:[^b]*'])).toBe(3);
    expect((await kv.getMany(['g:a1', 'g:b2', 'g:[x]', 'g:*', 'h:a1', 'ga1'])).map((v) => v?.toString() ?? null)).toEqual([null, 'g:b2', null, null, 'h:a1', 'ga1']);
    expect(await kv.deleteMatching(['g:?2'])).toBe(1);
    expect(await kv.deleteMatching(['nothing:*'])).toBe(0);
    // Several patterns at once (one walk of the keyspace on Redis), classes with ranges, a wildcard made literal by a class.
    for (const k of ['m:x1', 'm:xa', 'n:y?', 'n:yz', 'q:1']) await kv.set(k, b(k));
    expect(await kv.deleteMatching(['m:x[0-9]', 'n:y[?]', 'zz*'])).toBe(2);
    expect((await kv.getMany(['m:x1', 'm:xa', 'n:y?', 'n:yz', 'q:1'])).map((v) => v?.toString() ?? null)).toEqual([null, 'm:xa', null, 'n:yz', 'q:1']);
  });

  it('sweeps the embeddings and model responses cached before portals keyed them, and only those', async () => {
    const messages = [{ role: 'user' as const, content: 'summarise the call' }];
    const legacy = [
      embeddingCacheKey('offline-hash-v1', 384, 'a note'),
      embeddingCacheKey('text-embedding-3-small', 1536, 'a note', 'passage: '),
      embeddingCacheKey('paraphrase-MiniLM-L6-v2', 384, 'a model whose name starts with p'),
      responseCacheKey({ model: 'openai:gpt-4o-mini', promptVersion: 'call-summary@3', schemaName: 'CallSummary', messages }),
    ];
    const scoped = [
      embeddingCacheKey('offline-hash-v1', 384, 'a note', '', '901'),
      embeddingCacheKey('text-embedding-3-small', 1536, 'a note', 'passage: ', '902'),
      responseCacheKey({ model: 'openai:gpt-4o-mini', promptVersion: 'call-summary@3', schemaName: 'CallSummary', messages, portalId: '901' }),
      'events:hwm:901:contact:1',
      'webhook:dedupe:abc',
      'embedding-other:1',
    ];
    expect(legacy.every((k) => k.startsWith('emb:') || k.startsWith('llm:v1:'))).toBe(true);
    for (const k of [...legacy, ...scoped]) await kv.set(k, b('v'));

    expect(await sweepUnscopedCacheKeys(kv)).toEqual({ deleted: legacy.length, swept: true });
    expect(await kv.getMany(legacy)).toEqual(legacy.map(() => null));
    expect((await kv.getMany(scoped)).every((v) => v?.toString() === 'v')).toBe(true);
    // The purge of portal 901 then finds every key of it: nothing of it is left under another name.
    let purged = 0;
    for (const prefix of portalCachePrefixes('901')) purged += await kv.deletePrefix(prefix);
    expect(purged).toBe(3);

    // Redis marks the cache swept (its sweep SCANs the whole keyspace) and skips the next start's sweep;
    // the embedded cache sweeps on every start (range deletes).
    await kv.set(legacy[0]!, b('v'));
    const again = await sweepUnscopedCacheKeys(kv);
    if (kv.kind === 'redis') {
      expect(again).toEqual({ deleted: 0, swept: false });
      expect(await kv.get(UNSCOPED_SWEEP_MARKER)).not.toBeNull();
      expect(await sweepUnscopedCacheKeys(kv, { force: true })).toEqual({ deleted: 1, swept: true });
    } else {
      expect(again).toEqual({ deleted: 1, swept: true });
    }
  });

  it('answers ping', async () => {
    await expect(kv.ping()).resolves.toBeUndefined();
  });
}
