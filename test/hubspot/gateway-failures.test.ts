import { describe, expect, it } from 'vitest';
import { createHubSpotGateway, type HubSpotGatewayOptions } from '../../src/hubspot/create-gateway.ts';
import {
  HubSpotAuthError,
  HubSpotDailyLimitError,
  HubSpotInvalidRequestError,
  HubSpotTransientError,
} from '../../src/hubspot/errors.ts';
import { startSandbox } from '../../src/sandbox/index.ts';
import { startHttpPeer } from './http-peer.ts';

const base = { rateLimitPer10s: 190, searchPerSecond: 5, timeoutMs: 10_000, maxRetries: 3 } satisfies Partial<HubSpotGatewayOptions>;

describe('HubSpot gateway failures', () => {
  it('turns a wrong token into HubSpotAuthError, without retrying', async () => {
    const sb = await startSandbox({ port: 0, seed: 7, companies: 3 });
    const gw = createHubSpotGateway({ ...base, baseUrl: sb.url, accessToken: 'not-the-token' });
    try {
      const err = await gw.listObjects('companies', {}).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(HubSpotAuthError);
      expect((err as HubSpotAuthError).status).toBe(401);
      expect((err as Error).message).toMatch(/HUBSPOT_ACCESS_TOKEN/);
      expect((err as Error).message).not.toContain('not-the-token');
      expect(gw.stats()).toMatchObject({ requests: 1, retries: 0, errors: 1 });
    } finally {
      await gw.close();
      await sb.close();
    }
  });

  it('turns a 400 into HubSpotInvalidRequestError with HubSpot’s message; setup calls are idempotent', async () => {
    const sb = await startSandbox({ port: 0, seed: 7, companies: 3 });
    const gw = createHubSpotGateway({ ...base, baseUrl: sb.url, accessToken: sb.token });
    try {
      const err = await gw
        .createProperty('companies', { name: 'Not A Valid Name', label: 'x', type: 'string', fieldType: 'text', groupName: 'companyinformation' })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(HubSpotInvalidRequestError);
      expect((err as HubSpotInvalidRequestError).status).toBe(400);
      expect((err as HubSpotInvalidRequestError).hubspotMessage).toMatch(/name must start with a letter/);

      await gw.createPropertyGroup('companies', { name: 'ai_test_group', label: 'AI' });
      await gw.createPropertyGroup('companies', { name: 'ai_test_group', label: 'AI' });
      const def = { name: 'ai_test_score', label: 'AI score', type: 'number', fieldType: 'number', groupName: 'ai_test_group' } as const;
      await gw.createProperty('companies', def);
      await gw.createProperty('companies', def);
      expect((await gw.listProperties('companies')).find((p) => p.name === 'ai_test_score')).toMatchObject({ groupName: 'ai_test_group', type: 'number' });
      expect(gw.stats().retries).toBe(0);
    } finally {
      await gw.close();
      await sb.close();
    }
  });

  it('retries 5xx (faultRate 0.3) and still returns exactly the data of a fault-free portal', async () => {
    const faulty = await startSandbox({ port: 0, seed: 11, companies: 12, faultRate: 0.3 });
    const clean = await startSandbox({ port: 0, seed: 11, companies: 12 });
    const opts = { ...base, maxRetries: 12, backoff: { baseMs: 20, capMs: 200 } };
    const gwFaulty = createHubSpotGateway({ ...opts, baseUrl: faulty.url, accessToken: faulty.token });
    const gwClean = createHubSpotGateway({ ...opts, baseUrl: clean.url, accessToken: clean.token });
    try {
      const t = clean.groundTruth();
      const accounts = [...t.companies.map((c) => c.id), ...t.contactsWithoutCompany.map((id) => `contact:${id}`)];
      const [got, want] = await Promise.all([gwFaulty.accountHistories(accounts), gwClean.accountHistories(accounts)]);
      expect(got).toEqual(want);
      expect(gwFaulty.stats().retries).toBeGreaterThan(0);
      expect(gwFaulty.stats().errors).toBe(0);
    } finally {
      await gwFaulty.close();
      await gwClean.close();
      await faulty.close();
      await clean.close();
    }
  });

  it('under a portal limit of 10 per 10 s, a burst of 15 calls all succeed: the limiter learns the limit and 429s are retried after Retry-After', async () => {
    const sb = await startSandbox({ port: 0, seed: 7, companies: 15, rateLimit: 10 });
    const slept: number[] = [];
    const gw = createHubSpotGateway({
      ...base,
      // A burst of 15 requests, not one shared read: the limiter is what is tested.
      coalesce: false,
      maxRetries: 6,
      baseUrl: sb.url,
      accessToken: sb.token,
      sleep: (ms) => {
        slept.push(ms);
        return new Promise((resolve) => setTimeout(resolve, ms));
      },
    });
    try {
      const ids = sb.groundTruth().companies.map((c) => c.id);
      const results = await Promise.all(ids.map((id) => gw.batchRead('companies', [id], { properties: ['name'] })));
      expect(results.map((r) => r[0]?.id)).toEqual(ids);
      const stats = gw.stats();
      expect(stats.errors).toBe(0);
      // Whatever got a 429 (the first wave, before the portal's headers were known) was retried.
      expect(stats.retries).toBe(stats.http429);
      expect(sb.metrics().http429).toBe(stats.http429);
      if (stats.http429 > 0) expect(Math.max(...slept)).toBeGreaterThanOrEqual(1000);
      // Now that the portal said its max, a second burst does not get a single 429.
      const before = sb.metrics().http429;
      await Promise.all(ids.slice(0, 8).map((id) => gw.batchRead('companies', [id])));
      expect(sb.metrics().http429).toBe(before);
    } finally {
      await gw.close();
      await sb.close();
    }
  });

  it('bounds each attempt with a timeout and reports a transient error', async () => {
    const sb = await startSandbox({ port: 0, seed: 7, companies: 3, latencyMs: 400 });
    const gw = createHubSpotGateway({ ...base, timeoutMs: 100, maxRetries: 1, backoff: { baseMs: 10, capMs: 10 }, baseUrl: sb.url, accessToken: sb.token });
    try {
      const err = await gw.listObjects('companies', {}).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(HubSpotTransientError);
      expect((err as Error).message).toMatch(/did not answer/);
      expect(gw.stats()).toMatchObject({ requests: 2, retries: 1, errors: 1 });
    } finally {
      await gw.close();
      await sb.close();
    }
  });

  it('stops on a DAILY 429 with HubSpotDailyLimitError and does not retry', async () => {
    const peer = await startHttpPeer([
      {
        status: 429,
        headers: { 'x-hubspot-ratelimit-daily': '250000', 'x-hubspot-ratelimit-daily-remaining': '0' },
        body: { status: 'error', message: 'You have reached your daily limit.', errorType: 'RATE_LIMIT', correlationId: 'c1', policyName: 'DAILY', groupName: 'publicapi:private-app' },
      },
    ]);
    const gw = createHubSpotGateway({ ...base, baseUrl: peer.url, accessToken: 'token' });
    try {
      const err = await gw.batchRead('companies', ['1']).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(HubSpotDailyLimitError);
      expect((err as HubSpotDailyLimitError).policy).toBe('DAILY');
      expect(peer.requests).toHaveLength(1);
      expect(gw.stats()).toMatchObject({ requests: 1, http429: 1, retries: 0, errors: 1 });
    } finally {
      await gw.close();
      await peer.close();
    }
  });

  it('honours Retry-After on a TEN_SECONDLY_ROLLING 429, then succeeds', async () => {
    const peer = await startHttpPeer([
      {
        status: 429,
        headers: { 'retry-after': '1' },
        body: { status: 'error', message: 'You have reached your ten_secondly_rolling limit.', errorType: 'RATE_LIMIT', policyName: 'TEN_SECONDLY_ROLLING' },
      },
      { status: 200, body: { results: [{ id: '1', properties: { name: 'Acme' }, createdAt: '2024-01-01T00:00:00Z', updatedAt: '2024-01-02T00:00:00Z', archived: false }] } },
    ]);
    const slept: number[] = [];
    const gw = createHubSpotGateway({
      ...base,
      baseUrl: peer.url,
      accessToken: 'token',
      sleep: (ms) => {
        slept.push(ms);
        return new Promise((resolve) => setTimeout(resolve, ms));
      },
    });
    try {
      const page = await gw.listObjects('companies', {});
      expect(page.results[0]?.properties.name).toBe('Acme');
      expect(slept.some((ms) => ms >= 1000)).toBe(true);
      expect(gw.stats()).toMatchObject({ requests: 2, http429: 1, retries: 1, errors: 0 });
    } finally {
      await gw.close();
      await peer.close();
    }
  });

  it('names the missing scope on a 403', async () => {
    const peer = await startHttpPeer([
      {
        status: 403,
        body: {
          status: 'error',
          message: "This app hasn't been granted all required scopes to make this call.",
          category: 'MISSING_SCOPES',
          errors: [{ message: 'One or more of the following scopes are required.', context: { requiredGranularScopes: ['crm.objects.deals.read'] } }],
        },
      },
    ]);
    const gw = createHubSpotGateway({ ...base, baseUrl: peer.url, accessToken: 'token' });
    try {
      const err = await gw.batchRead('deals', ['1']).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(HubSpotAuthError);
      expect((err as HubSpotAuthError).missingScopes).toEqual(['crm.objects.deals.read']);
      expect((err as Error).message).toMatch(/crm\.objects\.deals\.read/);
    } finally {
      await gw.close();
      await peer.close();
    }
  });
});
