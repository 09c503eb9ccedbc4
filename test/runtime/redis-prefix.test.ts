import { Redis } from 'ioredis';
import { expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.ts';
import { silentLogger } from '../../src/logging.ts';
import { createContainer } from '../../src/runtime/container.ts';
import { describeRedis, uniqueName } from '../support/services.ts';
import { tempDir } from '../support/tmp.ts';

describeRedis('REDIS_PREFIX', (url) => {
  it('puts every queue and cache key of the container under its prefix', async () => {
    const tmp = tempDir('hsai-prefix-');
    const prefix = uniqueName('deploy');
    const c = createContainer(loadConfig({ DATA_DIR: tmp.dir, REDIS_URL: url, REDIS_PREFIX: prefix }), silentLogger);
    await (await c.queue()).enqueue([{ type: 'ingest.record', payload: { objectId: '1' } }]);
    await (await c.cache()).set('k', Buffer.from('v'));
    const redis = new Redis(url);
    const keys = await redis.keys(`${prefix}:*`);
    expect(keys).toContain(`${prefix}:k`);
    expect(keys.some((k) => k.startsWith(`${prefix}:ingest.record:`))).toBe(true);
    await redis.del(...keys);
    redis.disconnect();
    await c.close();
    tmp.cleanup();
  });
});
