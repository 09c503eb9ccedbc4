import { expect, it, vi } from 'vitest';
import { createCache } from '../../src/cache/create-cache.ts';
import { createRedisKv } from '../../src/cache/redis-kv.ts';
import { describeRedis, uniqueName } from '../support/services.ts';
import { kvContract } from './kv.contract.ts';

describeRedis('RedisKv', (url) => {
  kvContract({
    open: () => createRedisKv({ url, keyPrefix: `${uniqueName('kvtest')}:` }),
    // Redis has no fake clock: wait (polling, never asserting a duration) until a probe key with the same TTL is gone.
    elapse: async (seconds) => {
      const probe = await createRedisKv({ url, keyPrefix: `${uniqueName('kvprobe')}:` });
      await probe.set('p', Buffer.from('1'), seconds);
      await vi.waitFor(async () => expect(await probe.get('p')).toBeNull(), { timeout: 10_000, interval: 100 });
      await probe.close();
    },
  });

  it('is chosen by createCache when REDIS_URL is set, with the key prefix applied', async () => {
    const prefix = `${uniqueName('kvfactory')}:`;
    const kv = await createCache({ redisUrl: url, dataDir: '/nonexistent', keyPrefix: prefix });
    expect(kv.kind).toBe('redis');
    await kv.set('k', Buffer.from('v'));
    const raw = await createRedisKv({ url, keyPrefix: '' });
    expect((await raw.get(`${prefix}k`))?.toString()).toBe('v');
    await raw.delete(`${prefix}k`);
    await raw.close();
    await kv.close();
  });

  it('fails with CACHE_UNAVAILABLE when Redis cannot be reached', async () => {
    await expect(createRedisKv({ url: 'redis://127.0.0.1:9' })).rejects.toMatchObject({ code: 'CACHE_UNAVAILABLE' });
  });
});
