import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VALIDATION_RECORDS } from '../../src/agents/judgment-validation.ts';
import { loadConfig } from '../../src/config/config.ts';
import { PermanentJobError, type JobContext } from '../../src/queue/queue.ts';
import { createJobHandlers } from '../../src/runtime/workers.ts';
import { portalFootprint, purgePortal } from '../../src/runtime/portal-purge.ts';
import { sql as raw } from 'kysely';
import { reviewProposal, startTenantStack, trace, type TenantStack } from './support.ts';

const A = 6601;
const B = 6602;
const ADMIN = 'tenancy-admin-all';
const REV_A = 'tenancy-reviewer-a';
const REV_B = 'tenancy-reviewer-b';

describe('API_TOKENS with portals', () => {
  it('reads token:role[:name][@portal+portal]; without @ a token sees every portal', () => {
    const c = loadConfig({ API_TOKENS: `${ADMIN}:admin:ops, ${REV_A}:reviewer:ana@${A}, ${REV_B}:reader@${A}+${B}, everyportal:reader:all@*` });
    expect(c.API_TOKENS).toEqual([
      { token: ADMIN, role: 'admin', name: 'ops' },
      { token: REV_A, role: 'reviewer', name: 'ana', portals: [String(A)] },
      { token: REV_B, role: 'reader', name: 'token3', portals: [String(A), String(B)] },
      { token: 'everyportal', role: 'reader', name: 'all' },
    ]);
    expect(() => loadConfig({ API_TOKENS: `${REV_A}:reviewer:ana@acme` })).toThrow(/after @ list portal ids/);
  });
});

/**
 * Two portals installed in one deployment: reviews, audit rows and write-back services are each portal's own,
 * and the API never shows one portal's data to a token of the other (403 for the portal, 404 for its ids).
 */
describe('tenancy: two portals in one deployment', () => {
  let s: TenantStack;
  const reviewIds: Record<string, string> = {};
  const auth = (token: string, portal?: number) => ({ authorization: `Bearer ${token}`, ...(portal ? { 'x-hubspot-portal-id': String(portal) } : {}) });

  beforeAll(async () => {
    s = await startTenantStack({
      portals: [{ portalId: A, companies: 3 }, { portalId: B, companies: 3, seed: 12 }],
      env: { API_TOKENS: `${ADMIN}:admin:ops,${REV_A}:reviewer:ana@${A},${REV_B}:reviewer:bob@${B}` },
    });
    await s.install(A);
    await s.install(B);
    for (const portal of [A, B]) {
      const company = s.sb.portal(portal).groundTruth().companies[0]!.id;
      const scope = await s.container.portal(String(portal));
      const p = reviewProposal(String(portal), company, 'salesqualifiedlead');
      const [r] = await scope.writeback.submit([p], trace(p.runId));
      expect(r!.status, r!.detail ?? r!.decision.reasons.join('; ')).toBe('pending_review');
      const [review] = await scope.writeback.listReviews({ status: 'pending' });
      reviewIds[portal] = review!.id;
    }
  });
  afterAll(async () => s?.close());

  it('each portal has its own gateway and write-back service', async () => {
    const [a, b] = await Promise.all([s.container.portal(String(A)), s.container.portal(String(B))]);
    expect(await a.gateway.portalId()).toBe(String(A));
    expect(await b.gateway.portalId()).toBe(String(B));
    expect(a.writeback).not.toBe(b.writeback);
    await expect(s.container.portal('6609')).rejects.toMatchObject({ code: 'PORTAL_NOT_SERVED' });
  });

  it("a portal's token lists its own reviews only; the admin names the portal", async () => {
    const list = async (headers: Record<string, string>) => (await s.app.inject({ method: 'GET', url: '/v1/reviews', headers })).json();
    const a = await list(auth(REV_A));
    expect(a.reviews.map((r: { id: string }) => r.id)).toEqual([reviewIds[A]]);
    const b = await list(auth(REV_B));
    expect(b.reviews.map((r: { id: string }) => r.id)).toEqual([reviewIds[B]]);
    expect((await list(auth(ADMIN, B))).reviews.map((r: { id: string }) => r.id)).toEqual([reviewIds[B]]);
    // The admin without a portal works on the deployment's default portal (HUBSPOT_PORTAL_ID).
    expect((await list(auth(ADMIN))).reviews.map((r: { id: string }) => r.id)).toEqual([reviewIds[A]]);
  });

  it("another portal's ids answer 404 and another portal by name answers 403, on every review route", async () => {
    const other = reviewIds[B]!;
    const probes = [
      { method: 'GET' as const, url: `/v1/reviews/${other}` },
      { method: 'POST' as const, url: `/v1/reviews/${other}/approve`, payload: {} },
      { method: 'POST' as const, url: `/v1/reviews/${other}/reject`, payload: { reason: 'no' } },
    ];
    for (const p of probes) {
      const res = await s.app.inject({ ...p, headers: auth(REV_A) });
      expect(res.statusCode, `${p.method} ${p.url}`).toBe(404);
    }
    const bulk = await s.app.inject({ method: 'POST', url: '/v1/reviews/bulk', headers: auth(REV_A), payload: { action: 'reject', ids: [other], reason: 'no' } });
    expect(bulk.json().results).toEqual([expect.objectContaining({ id: other, status: 'not_found' })]);
    for (const url of ['/v1/reviews', '/v1/audit', '/v1/dashboard', `/v1/reviews/${other}`]) {
      expect((await s.app.inject({ method: 'GET', url, headers: auth(REV_A, B) })).statusCode, url).toBe(403);
      expect((await s.app.inject({ method: 'GET', url: `${url}?portalId=${B}`, headers: auth(REV_A) })).statusCode, url).toBe(403);
    }
    // B's review is untouched.
    expect((await s.app.inject({ method: 'GET', url: `/v1/reviews/${other}`, headers: auth(REV_B) })).json().status).toBe('pending');
  });

  it("the audit log of one portal holds none of the other's rows", async () => {
    const rows = (await s.app.inject({ method: 'GET', url: '/v1/audit?limit=1000', headers: auth(REV_A) })).json().entries as Array<{ portalId: string }>;
    expect(rows.length).toBeGreaterThan(0);
    expect(new Set(rows.map((r) => r.portalId))).toEqual(new Set([String(A)]));
  });

  it("a proposal made for another portal is rejected by this portal's write-back", async () => {
    const a = await s.container.portal(String(A));
    const company = s.sb.portal(A).groundTruth().companies[1]!.id;
    const p = reviewProposal(String(B), company, 'lead');
    const [r] = await a.writeback.submit([p], trace(p.runId));
    expect(r!.status).toBe('rejected');
    expect(r!.decision.reasons.join(' ')).toMatch(/target_outside_portal/);
  });

  it('jobs of a portal that is not served fail at once, without retries', async () => {
    const handlers = await createJobHandlers(s.container);
    const job = (payload: unknown): JobContext<unknown> => ({ id: 'j1', type: 'ingest.account', payload, attempt: 1, maxAttempts: 8, signal: new AbortController().signal });
    await expect(handlers['ingest.account']!(job({ portalId: '6609', accountId: '1' }))).rejects.toBeInstanceOf(PermanentJobError);
    await expect(handlers['ingest.account']!(job({ accountId: '1' }))).rejects.toBeInstanceOf(PermanentJobError);
  });

  it("purging a portal empties every store of it and leaves the other portal's data as it was", async () => {
    const c = s.container;
    // Data of both portals in every store: vectors, cache keys, queued and dead jobs (SQL rows exist already).
    for (const portal of [A, B]) {
      const scope = await c.portal(String(portal));
      const companies = s.sb.portal(portal).groundTruth().companies.slice(0, 1).map((x) => x.id);
      await scope.indexer.reindexAccounts(String(portal), companies);
      const cache = await c.cache();
      await cache.set(`events:hwm:${portal}:companies:${companies[0]}:life`, Buffer.from('1'));
      await cache.set(`events:own:${portal}:companies:${companies[0]}:*`, Buffer.from('1'));
      await (await c.queue()).enqueue([
        { type: 'ingest.account', payload: { portalId: String(portal), accountId: companies[0] }, delayMs: 3_600_000 },
        { type: 'webhook.batch', payload: { source: 'webhook', receivedAt: Date.now(), events: [{ portalId: portal, objectId: 1 }] }, delayMs: 3_600_000 },
      ]);
      // A validation record measured on the portal's own data (hubspot-ai validate) is the portal's.
      const seed = VALIDATION_RECORDS[0]!;
      await (await c.validations()).save({ ...seed, measuredAt: `2099-01-0${portal - A + 1}T00:00:00.000Z`, data: `portal ${portal} live outcomes` }, { portalId: String(portal) });
    }
    const before = await portalFootprint(c, String(A));
    const b = await portalFootprint(c, String(B));
    expect(b.vectors.chunks).toBeGreaterThan(0);
    expect(b.sql.writeback_reviews).toBeGreaterThan(0);
    expect(b.sql.audit_entries).toBeGreaterThan(0);
    expect(b.sql.oauth_installations).toBe(1);
    expect(b.sql.model_validations).toBe(1);

    const report = await purgePortal(c, String(B), { actor: 'test' });
    expect(report).toMatchObject({ uninstalled: true, jobs: 2 });
    // The two marks planted above, and the embeddings cached for B's texts (keyed by B).
    expect(report.cacheKeys).toBeGreaterThan(2);
    expect(report.vectors.chunks).toBe(b.vectors.chunks);

    const after = await portalFootprint(c, String(B));
    expect(after.vectors).toEqual({ accounts: 0, chunks: 0 });
    expect(Object.values(after.sql).every((n) => n === 0), JSON.stringify(after.sql)).toBe(true);
    const cache = await c.cache();
    for (const key of [`events:hwm:${B}:`, `events:own:${B}:`]) expect(await cache.deletePrefix(key)).toBe(0);
    expect(await (await c.queue()).removePortalJobs(String(B))).toBe(0);
    // A is untouched, and its audit rows are still protected by the database.
    expect(await portalFootprint(c, String(A))).toEqual(before);
    expect(await cache.get(`events:hwm:${A}:companies:${s.sb.portal(A).groundTruth().companies[0]!.id}:life`)).not.toBeNull();
    // The deployment's own records (the committed seed) serve every portal and stay; A still sees its own.
    expect((await (await c.validations()).records(String(A))).map((r) => r.data)).toEqual([`portal ${A} live outcomes`]);
    expect((await (await c.validations()).records()).map((r) => r.data)).toEqual(VALIDATION_RECORDS.map((r) => r.data));
    await expect(raw`DELETE FROM audit_entries WHERE portal_id = ${String(A)}`.execute((await c.sql()).db)).rejects.toThrow(/append-only/);
    // B's users now find nothing: B is not served any more.
    expect((await s.app.inject({ method: 'GET', url: '/v1/reviews', headers: auth(REV_B) })).statusCode).toBe(404);
    await expect(c.portal(String(B))).rejects.toMatchObject({ code: 'PORTAL_NOT_SERVED' });
  });
});
