import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { portalFootprint, purgePortal } from '../../src/runtime/portal-purge.ts';
import { waitFor } from '../queue/queue.contract.ts';
import { reviewProposal, startTenantStack, trace, type TenantStack } from './support.ts';

const A = 6701;
const B = 6702;
const ADMIN = 'purge-race-admin';

/**
 * An API request working on a portal holds it (PortalScopes lease) until it has answered, so a purge of that
 * portal started meanwhile waits for it: the request's writes (here an approved review's audit rows) land before
 * the purge removes the portal's rows, never after it. HubSpot is the sandbox over HTTP, made slow for portal B
 * with its own fault injection, so the request is still in HubSpot's hands when the purge starts.
 */
describe('a purge and a request on the same portal do not interleave', () => {
  let s: TenantStack;
  let reviewId: string;

  beforeAll(async () => {
    s = await startTenantStack({
      portals: [{ portalId: A, companies: 2 }, { portalId: B, companies: 2, seed: 12 }],
      env: { API_TOKENS: `${ADMIN}:admin:ops` },
    });
    await s.install(A);
    await s.install(B);
    const scope = await s.container.portal(String(B));
    const company = s.sb.portal(B).groundTruth().companies[0]!.id;
    const p = reviewProposal(String(B), company, 'salesqualifiedlead');
    const [r] = await scope.writeback.submit([p], trace(p.runId));
    expect(r!.status).toBe('pending_review');
    reviewId = (await scope.writeback.listReviews({ status: 'pending' }))[0]!.id;
  }, 60_000);
  afterAll(async () => s?.close());

  it('the purge waits for the approval in flight, then leaves nothing of the portal', async () => {
    const events: string[] = [];
    const sandboxB = s.sb.portal(B);
    const before = sandboxB.metrics().requests;
    const auditBefore = (await portalFootprint(s.container, String(B))).sql.audit_entries!;
    sandboxB.setFaults({ latencyMs: 1_500 });
    const approve = s.app.inject({ method: 'POST', url: `/v1/reviews/${reviewId}/approve`, headers: { authorization: `Bearer ${ADMIN}`, 'x-hubspot-portal-id': String(B) }, payload: {} });
    // The approval is at HubSpot now (it holds portal B since it resolved B's write-back service).
    await waitFor(() => sandboxB.metrics().requests > before, 20_000, 'the approval to call HubSpot');
    const purge = purgePortal(s.container, String(B), { actor: 'test', onStep: (step) => events.push(step) });
    const [res, report] = await Promise.all([approve, purge]);
    sandboxB.setFaults({ latencyMs: 0 });

    // The portal's tokens were erased while the approval ran: its HubSpot write may fail (the review is pending
    // again), but the request ran to its end on an open gateway, not into one closed under it.
    expect(res.body).not.toMatch(/gateway is closed/);
    expect(events).toEqual(expect.arrayContaining(['stopping its work', 'waiting for its running jobs and requests', 'removing its rows']));
    // The purge waited for the request: the audit rows the approval wrote (approved, then the failed write) were
    // there when it removed the portal's rows, and went with them.
    expect(report.sql.audit_entries).toBeGreaterThan(auditBefore);
    // So nothing the request wrote outlived the purge.
    const after = await portalFootprint(s.container, String(B));
    expect(after.vectors).toEqual({ accounts: 0, chunks: 0 });
    expect(Object.values(after.sql).every((n) => n === 0), JSON.stringify(after.sql)).toBe(true);
    // A request after the purge finds the portal not served.
    const later = await s.app.inject({ method: 'GET', url: '/v1/reviews', headers: { authorization: `Bearer ${ADMIN}`, 'x-hubspot-portal-id': String(B) } });
    expect(later.statusCode).toBe(404);
  }, 60_000);
});
