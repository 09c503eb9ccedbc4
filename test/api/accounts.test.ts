import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServiceStack, type ServiceStack } from '../support/service-stack.ts';

let s: ServiceStack;
let companyId: string;

beforeAll(async () => {
  s = await startServiceStack({ companies: 20 });
  companyId = s.sandbox.groundTruth().companies[0]!.id;
}, 180_000);
afterAll(async () => s?.close());

describe('GET /v1/accounts/:id/similar', () => {
  it('returns the nearest accounts with scores and reasons', async () => {
    const r = await s.app.inject({ url: `/v1/accounts/${companyId}/similar?limit=5`, headers: s.auth('reader') });
    expect(r.statusCode).toBe(200);
    const body = r.json();
    expect(body.accountId).toBe(companyId);
    expect(body.results.length).toBeGreaterThan(0);
    expect(body.results.length).toBeLessThanOrEqual(5);
    for (const x of body.results) {
      expect(x.accountId).not.toBe(companyId);
      expect(typeof x.score).toBe('number');
      expect(x.reasons.length).toBeGreaterThan(0);
    }
    const scores = body.results.map((x: { score: number }) => x.score);
    expect([...scores].sort((a, b) => b - a)).toEqual(scores);
  });

  it('applies filters', async () => {
    const truth = s.sandbox.groundTruth();
    const me = truth.companies[0]!;
    const r = await s.app.inject({ url: `/v1/accounts/${companyId}/similar?industry=${encodeURIComponent(me.industry)}&excludeCustomers=true`, headers: s.auth('reader') });
    expect(r.statusCode).toBe(200);
    for (const x of r.json().results) {
      expect(x.isCustomer).toBe(false);
      expect(String(x.industry).toLowerCase()).toBe(me.industry.toLowerCase());
    }
  });

  it('400s on bad parameters with a clear message', async () => {
    const r = await s.app.inject({ url: `/v1/accounts/${companyId}/similar?limit=0`, headers: s.auth('reader') });
    expect(r.statusCode).toBe(400);
    expect(r.json().error.code).toBe('VALIDATION_FAILED');
    expect(r.json().error.message).toMatch(/querystring\.limit/);
    const bad = await s.app.inject({ url: `/v1/accounts/not-an-id/similar`, headers: s.auth('reader') });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.message).toMatch(/company id or contact:<id>/);
  });

  it('404s for an unknown account', async () => {
    const r = await s.app.inject({ url: '/v1/accounts/999999999/similar', headers: s.auth('reader') });
    expect(r.statusCode).toBe(404);
    expect(r.json().error.code).toBe('NOT_FOUND');
  });

  it('401s without a token', async () => {
    const r = await s.app.inject({ url: `/v1/accounts/${companyId}/similar` });
    expect(r.statusCode).toBe(401);
    expect(r.json().error.code).toBe('UNAUTHORIZED');
  });
});

describe('POST /v1/accounts/search', () => {
  it('finds accounts whose history matches a description', async () => {
    const truth = s.sandbox.groundTruth();
    const evidence = truth.evidence.find((e) => !e.accountId.startsWith('contact:'))!;
    const r = await s.app.inject({ method: 'POST', url: '/v1/accounts/search', headers: s.auth('reader'), payload: { query: evidence.query, limit: 5 } });
    expect(r.statusCode).toBe(200);
    const results = r.json().results as Array<{ accountId: string; snippets: Array<{ chunkId: string }> }>;
    expect(results.length).toBeGreaterThan(0);
    expect(results.map((x) => x.accountId)).toContain(evidence.accountId);
    expect(results[0]!.snippets[0]!.chunkId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('400s on a missing or too short query and unknown filters', async () => {
    const r = await s.app.inject({ method: 'POST', url: '/v1/accounts/search', headers: s.auth('reader'), payload: { query: 'a' } });
    expect(r.statusCode).toBe(400);
    expect(r.json().error.message).toMatch(/at least 3 characters/);
    const f = await s.app.inject({ method: 'POST', url: '/v1/accounts/search', headers: s.auth('reader'), payload: { query: 'pricing', filters: { color: 'red' } } });
    expect(f.statusCode).toBe(400);
  });
});

describe('GET /v1/accounts/:id/context', () => {
  it('returns cited chunks for the query', async () => {
    const truth = s.sandbox.groundTruth();
    const evidence = truth.evidence.find((e) => e.accountId === companyId) ?? truth.evidence[0]!;
    const r = await s.app.inject({ url: `/v1/accounts/${evidence.accountId}/context?q=${encodeURIComponent(evidence.query)}&k=8`, headers: s.auth('reader') });
    expect(r.statusCode).toBe(200);
    const chunks = r.json().chunks as Array<{ id: string; sourceId: string; text: string }>;
    expect(chunks.length).toBeGreaterThan(0);
    expect(chunks.length).toBeLessThanOrEqual(8);
    expect(chunks.map((c) => c.sourceId)).toEqual(expect.arrayContaining([expect.stringMatching(/^(notes|emails|calls|meetings|tasks|tickets|companies|contacts|deals):\d+$/)]));
  });

  it('400s without q, 404s for an unknown account', async () => {
    expect((await s.app.inject({ url: `/v1/accounts/${companyId}/context`, headers: s.auth('reader') })).statusCode).toBe(400);
    const r = await s.app.inject({ url: '/v1/accounts/999999999/context?q=pricing', headers: s.auth('reader') });
    expect(r.statusCode).toBe(404);
  });
});

describe('POST /v1/accounts/:id/generate/:agent', () => {
  it('runs an agent in dry-run and returns proposals with decisions, writing nothing', async () => {
    const before = s.sandbox.metrics().byRoute;
    const r = await s.app.inject({ method: 'POST', url: `/v1/accounts/${companyId}/generate/account_summary`, headers: s.auth('reviewer'), payload: { dryRun: true } });
    expect(r.statusCode).toBe(200);
    const body = r.json();
    expect(body.dryRun).toBe(true);
    expect(body.results.length).toBeGreaterThan(0);
    for (const x of body.results) {
      expect(['apply', 'review', 'reject']).toContain(x.decision);
      expect(x.status).toBe('dry_run');
    }
    const after = s.sandbox.metrics().byRoute;
    const writes = Object.keys(after).filter((k) => /^(POST|PATCH|PUT|DELETE) /.test(k) && !/batch\/read|search/.test(k) && (after[k] ?? 0) !== (before[k] ?? 0));
    expect(writes).toEqual([]);
  });

  it('403s for a reader, 400s for an unknown agent, 404s for an unknown account', async () => {
    const r = await s.app.inject({ method: 'POST', url: `/v1/accounts/${companyId}/generate/call_summary`, headers: s.auth('reader'), payload: {} });
    expect(r.statusCode).toBe(403);
    expect(r.json().error.code).toBe('FORBIDDEN');
    const a = await s.app.inject({ method: 'POST', url: `/v1/accounts/${companyId}/generate/poetry`, headers: s.auth('reviewer'), payload: {} });
    expect(a.statusCode).toBe(400);
    const n = await s.app.inject({ method: 'POST', url: '/v1/accounts/999999999/generate/account_summary', headers: s.auth('reviewer'), payload: { dryRun: true } });
    expect(n.statusCode).toBe(404);
  });
});
