import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/api/app.ts';
import { auditRoutes } from '../../src/api/routes/audit.ts';
import { reviewRoutes } from '../../src/api/routes/reviews.ts';
import { reviewPage } from '../../src/api/review-page/plugin.ts';
import { firstIds, humanEdit, proposal, readProps, startHarness, trace, type Harness, accountOf } from './harness.ts';

const READER = 'reader-token-123';
const REVIEWER = 'reviewer-token-456';
const ADMIN = 'admin-token-789012';

describe('review and audit routes', () => {
  let h: Harness;
  let app: FastifyInstance;
  let contacts: string[];
  const auth = (token: string) => ({ authorization: `Bearer ${token}` });

  beforeAll(async () => {
    h = await startHarness();
    app = await buildApp({
      tokens: [
        { token: READER, role: 'reader', name: 'rita' },
        { token: REVIEWER, role: 'reviewer', name: 'victor' },
        { token: ADMIN, role: 'admin', name: 'ada' },
      ],
      routes: [
        { name: 'reviews', plugin: reviewRoutes, opts: { writeback: h.writeback } },
        { name: 'audit', plugin: auditRoutes, opts: { writeback: h.writeback } },
        { name: 'review-page', plugin: reviewPage },
      ],
    });
    contacts = await firstIds(h, 'contacts', 4);
  });
  afterAll(async () => {
    await app?.close();
    await h?.close();
  });

  async function queue(contact: string, value: string, runId: string) {
    const seen = (await readProps(h, 'contacts', contact, ['lifecyclestage'])).lifecyclestage;
    const [r] = await h.writeback.submit([proposal({ accountId: await accountOf(h, 'contacts', contact), runId, agent: 'lead_score', target: { objectType: 'contacts', objectId: contact }, field: 'lifecyclestage', value: value === seen ? 'evangelist' : value, observedValue: seen })], trace(runId, 'lead_score'));
    expect(r!.status).toBe('pending_review');
    return r!.detail!;
  }

  it('lists pending reviews for readers, with current and proposed values; anonymous callers get 401', async () => {
    const id = await queue(contacts[0]!, 'customer', 'run-routes-list');
    expect((await app.inject({ method: 'GET', url: '/v1/reviews' })).statusCode).toBe(401);
    const res = await app.inject({ method: 'GET', url: '/v1/reviews?objectType=contacts&agent=lead_score', headers: auth(READER) });
    expect(res.statusCode).toBe(200);
    const review = res.json().reviews.find((r: { id: string }) => r.id === id);
    expect(review).toMatchObject({ status: 'pending', kind: 'property', field: 'lifecyclestage', agent: 'lead_score', evidence: ['chunk-1', 'chunk-2'] });
    expect(review.currentValue).toBe(review.observedValue);
    expect((await app.inject({ method: 'GET', url: '/v1/reviews?agent=call_summary', headers: auth(READER) })).json().reviews.some((r: { id: string }) => r.id === id)).toBe(false);
    expect((await app.inject({ method: 'GET', url: '/v1/reviews?objectType=widgets', headers: auth(READER) })).json().error.code).toBe('VALIDATION_FAILED');
  });

  it('approve needs the reviewer role and writes the value as that reviewer', async () => {
    const id = await queue(contacts[1]!, 'customer', 'run-routes-approve');
    const forbidden = await app.inject({ method: 'POST', url: `/v1/reviews/${id}/approve`, headers: auth(READER), payload: {} });
    expect(forbidden.statusCode).toBe(403);
    const ok = await app.inject({ method: 'POST', url: `/v1/reviews/${id}/approve`, headers: auth(REVIEWER), payload: { value: 'opportunity' } });
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toMatchObject({ status: 'approved', review: { status: 'approved', decidedBy: 'victor' } });
    expect((await readProps(h, 'contacts', contacts[1]!, ['lifecyclestage'])).lifecyclestage).toBe('opportunity');
    const again = await app.inject({ method: 'POST', url: `/v1/reviews/${id}/approve`, headers: auth(REVIEWER), payload: {} });
    expect(again.statusCode).toBe(409);
    expect(again.json().error.code).toBe('CONFLICT');
  });

  it('reject needs a reason and writes nothing', async () => {
    const id = await queue(contacts[2]!, 'customer', 'run-routes-reject');
    const before = await readProps(h, 'contacts', contacts[2]!, ['lifecyclestage']);
    const noReason = await app.inject({ method: 'POST', url: `/v1/reviews/${id}/reject`, headers: auth(REVIEWER), payload: {} });
    expect(noReason.statusCode).toBe(400);
    const res = await app.inject({ method: 'POST', url: `/v1/reviews/${id}/reject`, headers: auth(REVIEWER), payload: { reason: 'Wrong contact' } });
    expect(res.statusCode).toBe(200);
    expect(res.json().review).toMatchObject({ status: 'rejected', note: 'Wrong contact', decidedBy: 'victor' });
    expect(await readProps(h, 'contacts', contacts[2]!, ['lifecyclestage'])).toEqual(before);
  });

  it('answers 409 STALE when the field changed since the proposal, and 404 for an unknown review', async () => {
    const id = await queue(contacts[3]!, 'customer', 'run-routes-stale');
    await humanEdit(h, 'contacts', contacts[3]!, { lifecyclestage: 'marketingqualifiedlead' });
    const res = await app.inject({ method: 'POST', url: `/v1/reviews/${id}/approve`, headers: auth(REVIEWER), payload: {} });
    expect(res.statusCode).toBe(409);
    expect(res.json().error).toMatchObject({ code: 'STALE' });
    expect((await readProps(h, 'contacts', contacts[3]!, ['lifecyclestage'])).lifecyclestage).toBe('marketingqualifiedlead');
    const missing = await app.inject({ method: 'POST', url: '/v1/reviews/00000000-0000-4000-8000-000000000000/approve', headers: auth(REVIEWER), payload: {} });
    expect(missing.statusCode).toBe(404);
  });

  it('GET /v1/audit filters by object, agent, decision and time, and includes traces on request', async () => {
    const all = await app.inject({ method: 'GET', url: '/v1/audit?agent=lead_score&limit=1000', headers: auth(READER) });
    expect(all.statusCode).toBe(200);
    const entries = all.json().entries as Array<{ agent: string; event: string; decision: string | null; at: string; trace?: unknown }>;
    expect(entries.length).toBeGreaterThan(0);
    expect(entries.every((e) => e.agent === 'lead_score')).toBe(true);
    expect(entries.map((e) => e.event)).toEqual(expect.arrayContaining(['decided', 'queued', 'review_approved', 'review_rejected', 'review_stale', 'applied']));
    expect(entries[0]!.trace).toBeUndefined();

    const reviews = await app.inject({ method: 'GET', url: `/v1/audit?decision=review&objectType=contacts&objectId=${contacts[0]}`, headers: auth(READER) });
    expect(reviews.json().entries.every((e: { decision: string }) => e.decision === 'review')).toBe(true);
    expect(reviews.json().entries.length).toBeGreaterThan(0);

    const future = new Date(Date.now() + 3_600_000).toISOString();
    expect((await app.inject({ method: 'GET', url: `/v1/audit?since=${future}`, headers: auth(READER) })).json().entries).toEqual([]);
    // Prompts quote customers' text: readers and reviewers are refused, admins get them.
    for (const token of [READER, REVIEWER]) {
      const refused = await app.inject({ method: 'GET', url: '/v1/audit?event=decided&trace=true&limit=1', headers: auth(token) });
      expect(refused.statusCode).toBe(403);
      expect(refused.json().error.code).toBe('FORBIDDEN');
    }
    const withTrace = await app.inject({ method: 'GET', url: '/v1/audit?event=decided&trace=true&limit=1', headers: auth(ADMIN) });
    expect(withTrace.json().entries[0].trace).toMatchObject({ provider: 'offline', inputs: { chunkIds: ['chunk-1', 'chunk-2'] } });
    expect(withTrace.json().next).toEqual(expect.any(Number));
    expect((await app.inject({ method: 'GET', url: '/v1/audit?since=yesterday', headers: auth(READER) })).statusCode).toBe(400);
  });

  it('GET /v1/audit flags a rejection whose only cause is that HubSpot already had the value as unchanged, as the write-back decides it', async () => {
    const contact = contacts[3]!;
    const accountId = await accountOf(h, 'contacts', contact);
    const submit = async (id: string, field: string, value: string) =>
      (await h.writeback.submit([proposal({ id, accountId, runId: 'run-routes-unchanged', target: { objectType: 'contacts', objectId: contact }, field, value, confidence: 1 })], trace('run-routes-unchanged')))[0]!;
    expect((await submit('unchanged-1', 'ai_last_run', '2026-11-30T23:40:00.000Z')).status).toBe('applied');
    // HubSpot holds ...:00Z: the same instant again is no change; a value outside the portal's options is refused.
    expect((await submit('unchanged-2', 'ai_last_run', '2026-11-30T23:40:00.000Z')).status).toBe('rejected');
    expect((await submit('unchanged-3', 'ai_churn_risk', 'extreme')).status).toBe('rejected');
    const res = await app.inject({ method: 'GET', url: '/v1/audit?runId=run-routes-unchanged&limit=100', headers: auth(READER) });
    expect(res.statusCode).toBe(200);
    const flags = (res.json().entries as Array<{ proposalId: string; event: string; unchanged: boolean }>).map((e) => [e.proposalId, e.event, e.unchanged]);
    expect(flags).toEqual([
      ['unchanged-1', 'decided', false],
      ['unchanged-1', 'applied', false],
      ['unchanged-2', 'decided', true],
      ['unchanged-2', 'rejected', true],
      ['unchanged-3', 'decided', false],
      ['unchanged-3', 'rejected', false],
    ]);
  });

  it('serves the review page and its assets without inline scripts', async () => {
    const page = await app.inject({ method: 'GET', url: '/review' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/text\/html/);
    expect(page.headers['referrer-policy']).toBe('no-referrer');
    expect(page.body).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect((await app.inject({ method: 'GET', url: '/review/assets/review.js' })).headers['content-type']).toMatch(/javascript/);
    expect((await app.inject({ method: 'GET', url: '/review/assets/../../etc/passwd' })).statusCode).toBe(404);
  });
});
