import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHubSpotGateway } from '../../src/hubspot/create-gateway.ts';
import type { HubSpotGateway } from '../../src/hubspot/gateway.ts';
import { startSandbox, type GroundTruth } from '../../src/sandbox/index.ts';

/**
 * Reads that concurrent callers (the queue's ingest jobs of one webhook delivery) make at the same moment share
 * HubSpot requests: the real `@hubspot/api-client` against the sandbox over HTTP, requests counted by the sandbox.
 */
type Sandbox = Awaited<ReturnType<typeof startSandbox>>;
let sb: Sandbox;
let gw: HubSpotGateway;
let truth: GroundTruth;

const ASSOC = 'POST /crm/v4/associations/:from/:to/batch/read';
const READ = 'POST /crm/v3/objects/:type/batch/read';

async function counted<T>(fn: () => Promise<T>): Promise<{ result: T; byRoute: Record<string, number> }> {
  const before = sb.metrics().byRoute;
  const result = await fn();
  const byRoute: Record<string, number> = {};
  for (const [route, n] of Object.entries(sb.metrics().byRoute)) if (n - (before[route] ?? 0) > 0) byRoute[route] = n - (before[route] ?? 0);
  return { result, byRoute };
}

beforeAll(async () => {
  sb = await startSandbox({ port: 0, seed: 5, companies: 8, whales: 0, rateLimit: 5000, faultRate: 0, latencyMs: 0 });
  gw = createHubSpotGateway({ baseUrl: sb.url, accessToken: sb.token, rateLimitPer10s: 5000, searchPerSecond: 5, timeoutMs: 10_000, maxRetries: 2 });
  truth = sb.groundTruth();
  await gw.portalId();
});

afterAll(async () => {
  await gw?.close();
  await sb?.close();
});

describe('concurrent HubSpot reads share requests', () => {
  it('association reads of one kind from several callers are one request; each caller gets its own answer', async () => {
    const companies = truth.companies.map((c) => c.id);
    const alone = new Map<string, string[]>();
    for (const id of companies) alone.set(id, (await gw.batchAssociations('companies', 'contacts', [id])).get(id)!);
    expect([...alone.values()].some((c) => c.length > 0)).toBe(true);

    const { result, byRoute } = await counted(() => Promise.all(companies.map((id) => gw.batchAssociations('companies', 'contacts', [id]))));
    expect(byRoute).toEqual({ [ASSOC]: 1 });
    companies.forEach((id, i) => expect([...result[i]!]).toEqual([[id, alone.get(id)]]));
  });

  it('different kinds stay apart: one request per kind, not per caller', async () => {
    const [a, b] = truth.companies.map((c) => c.id);
    const { byRoute } = await counted(() =>
      Promise.all([
        gw.batchAssociations('companies', 'deals', [a!]),
        gw.batchAssociations('companies', 'deals', [b!]),
        gw.batchAssociations('companies', 'tickets', [a!]),
        gw.batchAssociations('companies', 'tickets', [b!]),
      ]),
    );
    expect(byRoute).toEqual({ [ASSOC]: 2 });
  });

  it('batch reads with the same properties share a request; other properties get their own', async () => {
    const ids = truth.companies.map((c) => c.id);
    const { result, byRoute } = await counted(() =>
      Promise.all([...ids.map((id) => gw.batchRead('companies', [id, 'missing-1'], { properties: ['name'] })), gw.batchRead('companies', [ids[0]!], { properties: ['domain'] })]),
    );
    expect(byRoute).toEqual({ [READ]: 2 });
    ids.forEach((id, i) => {
      expect(result[i]!.map((o) => o.id)).toEqual([id]);
      expect(Object.keys(result[i]![0]!.properties)).toContain('name');
    });
    expect(result.at(-1)![0]!.properties).toHaveProperty('domain');
  });

  it('a refused shared request fails every caller in it, and the next reads work', async () => {
    const ids = truth.companies.slice(0, 3).map((c) => c.id);
    sb.setFaults({ failRoute: { route: ASSOC, status: 400, times: 1 } });
    const settled = await Promise.allSettled(ids.map((id) => gw.batchAssociations('companies', 'contacts', [id])));
    expect(settled.map((s) => s.status)).toEqual(['rejected', 'rejected', 'rejected']);
    const again = await Promise.all(ids.map((id) => gw.batchAssociations('companies', 'contacts', [id])));
    expect(again.map((m) => [...m.keys()])).toEqual(ids.map((id) => [id]));
  });
});
