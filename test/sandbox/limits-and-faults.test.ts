import { describe, expect, it } from 'vitest';
import { apiError, sandboxWithClient } from './helpers.ts';

describe('sandbox rate limits and faults', () => {
  it('answers a burst past --rate-limit 10 with 429s in HubSpot’s shape and headers', async () => {
    const { sb, client } = await sandboxWithClient({ companies: 5, rateLimit: 10 });
    try {
      const ok = await client.crm.companies.basicApi.getPageWithHttpInfo(1);
      expect(ok.headers['x-hubspot-ratelimit-max']).toBe('10');
      expect(ok.headers['x-hubspot-ratelimit-remaining']).toBe('9');
      expect(ok.headers['x-hubspot-ratelimit-interval-milliseconds']).toBe('10000');
      const results = await Promise.allSettled(Array.from({ length: 14 }, () => client.crm.companies.basicApi.getPage(1)));
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(9);
      const err = await apiError(client.crm.contacts.basicApi.getPage(1));
      expect(err.code).toBe(429);
      expect(err.body).toMatchObject({ status: 'error', errorType: 'RATE_LIMIT', policyName: 'TEN_SECONDLY_ROLLING', message: 'You have reached your ten_secondly_rolling limit.' });
      expect(err.headers['x-hubspot-ratelimit-remaining']).toBe('0');
      expect(err.headers['x-hubspot-ratelimit-max']).toBe('10');
      expect(sb.metrics().http429).toBe(6);
      const metrics = (await (await fetch(`${sb.url}/_sandbox/metrics`)).json()) as { http429: number };
      expect(metrics.http429).toBe(6);
    } finally {
      await sb.close();
    }
  });

  it('limits search per second without rate-limit headers', async () => {
    const { sb, client } = await sandboxWithClient({ companies: 5, rateLimit: 0, searchRate: 2 });
    try {
      const res = await client.crm.companies.searchApi.doSearchWithHttpInfo({ limit: 1 });
      expect(res.headers['x-hubspot-ratelimit-max']).toBeUndefined();
      const all = await Promise.allSettled(Array.from({ length: 4 }, () => client.crm.companies.searchApi.doSearch({ limit: 1 })));
      const rejected = all.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      expect(rejected.length).toBeGreaterThanOrEqual(3);
      expect((rejected[0]!.reason as { code: number }).code).toBe(429);
    } finally {
      await sb.close();
    }
  });

  it('injects the same faults for the same seed', async () => {
    const run = async () => {
      const { sb, client } = await sandboxWithClient({ companies: 5, rateLimit: 0, faultRate: 0.3, seed: 11 });
      const codes: number[] = [];
      for (let i = 0; i < 30; i++) {
        try {
          await client.crm.companies.basicApi.getPage(1);
          codes.push(200);
        } catch (err) {
          codes.push((err as { code: number }).code);
        }
      }
      await sb.close();
      return codes;
    };
    const a = await run();
    expect(a.filter((c) => c !== 200).length).toBeGreaterThan(2);
    expect(a.every((c) => [200, 500, 502, 504].includes(c))).toBe(true);
    expect(await run()).toEqual(a);
  });
});
