import { Client } from '@hubspot/api-client';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createHubSpotGateway } from '../../src/hubspot/create-gateway.ts';
import { startSandbox } from '../../src/sandbox/index.ts';
import { describeRedis, uniqueName } from '../support/services.ts';

describeRedis('HubSpot rate limiter shared through Redis', (url) => {
  let redis: Redis;
  const prefix = uniqueName('hsai_test_limiter');

  beforeAll(() => {
    redis = new Redis(url);
  });

  afterAll(async () => {
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length > 0) await redis.del(...keys);
    await redis.quit();
  });

  it('a naive burst over the portal limit gets 429s (the limit is real)', async () => {
    const sb = await startSandbox({ port: 0, seed: 7, companies: 16, rateLimit: 10 });
    try {
      const client = new Client({ accessToken: sb.token, basePath: sb.url });
      const ids = sb.groundTruth().companies.map((c) => c.id);
      await Promise.allSettled(ids.map((id) => client.crm.objects.batchApi.read('companies', { inputs: [{ id }], properties: [], propertiesWithHistory: [] })));
      expect(sb.metrics().http429).toBeGreaterThan(0);
    } finally {
      await sb.close();
    }
  });

  it('two gateway instances sharing Redis stay under the limit together: no 429 at all', async () => {
    const sb = await startSandbox({ port: 0, seed: 7, companies: 16, rateLimit: 10 });
    // maxRetries 0: a single 429 would fail a call, so success proves the shared budget held.
    const opts = { baseUrl: sb.url, accessToken: sb.token, rateLimitPer10s: 10, searchPerSecond: 5, timeoutMs: 10_000, maxRetries: 0, redis, redisKeyPrefix: prefix, coalesce: false };
    const a = createHubSpotGateway(opts);
    const b = createHubSpotGateway(opts);
    try {
      const ids = sb.groundTruth().companies.map((c) => c.id);
      const half = ids.length / 2;
      const results = await Promise.all(ids.map((id, i) => (i < half ? a : b).batchRead('companies', [id])));
      expect(results.map((r) => r[0]?.id)).toEqual(ids);
      expect(sb.metrics().http429).toBe(0);
      expect(a.stats().http429 + b.stats().http429).toBe(0);
      expect(a.stats().requests + b.stats().requests).toBe(ids.length);
    } finally {
      await a.close();
      await b.close();
      await sb.close();
    }
  });
});
