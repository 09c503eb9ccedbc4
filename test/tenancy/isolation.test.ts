import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import type { InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACTION_KEYS } from '../../src/actions/definitions.ts';
import type { RouteEntry } from '../../src/api/route-options.ts';
import { PermanentJobError } from '../../src/queue/queue.ts';
import { signV3 } from '../../src/sandbox/index.ts';
import { PUBLIC_URL, reviewProposal, startTenantStack, trace, type TenantStack } from './support.ts';

/**
 * Issue 19's isolation goals, over every route the app serves (its route table, so a new route is probed the day
 * it is added):
 *   - the red-team probe: a token of portal A against portal B's ids (and naming B) gets 404 or 403;
 *   - a fast-check property over random tokens (one portal, several, all, none), routes, named portals and the
 *     ids of random portals: no answer carries anything of a portal its caller may not see, and none is a 500.
 * "Anything of a portal" is what only that portal holds: its chunk ids, review, proposal and run ids, and a
 * marker planted in its company names (which reach chunk texts, account profiles and search snippets).
 */

const A = 7701;
const B = 7702;
const C = 7703;
const PORTALS = [A, B, C].map(String);

interface Tok {
  token: string;
  role: 'reader' | 'reviewer' | 'admin';
  portals?: string[];
}
const TOKENS: Tok[] = [
  { token: 'iso-admin-every', role: 'admin' },
  { token: 'iso-admin-a', role: 'admin', portals: [String(A)] },
  { token: 'iso-reviewer-a', role: 'reviewer', portals: [String(A)] },
  { token: 'iso-reader-b', role: 'reader', portals: [String(B)] },
  { token: 'iso-reviewer-bc', role: 'reviewer', portals: [String(B), String(C)] },
];
const API_TOKENS = TOKENS.map((t) => `${t.token}:${t.role}:${t.token}${t.portals ? `@${t.portals.join('+')}` : ''}`).join(',');

/** An inject request as the probes build it. */
interface Req extends InjectOptions {
  method: NonNullable<InjectOptions['method']>;
  url: string;
  headers: Record<string, string>;
  payload?: string | object;
}

/** What one portal holds that no other does, and the ids a probe aims at. */
interface PortalData {
  marker: string;
  companies: string[];
  reviewId: string;
  proposalId: string;
  secrets: string[];
}

/** Routes that serve no portal's data: documentation, probes, the review page's files, sign-in and OAuth's install. */
const NOT_PORTAL_DATA = /^(\/docs|\/healthz|\/readyz|\/metrics|\/review|\/oauth\/(install|callback)$|\/v1\/session$)/;
/** HubSpot signs these (no API token): the signed portal is the caller's. */
const SIGNED = /^\/(webhooks|hubspot)\//;

describe('isolation across portals: every route, every token', () => {
  let s: TenantStack;
  const data: Record<string, PortalData> = {};
  let routes: RouteEntry[];

  beforeAll(async () => {
    s = await startTenantStack({
      portals: [{ portalId: A, companies: 6 }, { portalId: B, companies: 6, seed: 12 }, { portalId: C, companies: 6, seed: 13 }],
      env: { API_TOKENS, WORKFLOW_ACTION_WAIT_MS: '0' },
    });
    for (const [i, p] of PORTALS.entries()) {
      await s.install(Number(p));
      const marker = `Isomark${p}x${randomBytes(4).toString('hex')}`;
      // Each portal indexes other company ids, so B's ids are not in A's index even where the sandbox reuses ids.
      const companies = s.sb.portal(p).groundTruth().companies.slice(2 * i, 2 * i + 2).map((c) => c.id);
      const token = s.sb.portals.find((x) => x.portalId === p)!.token;
      for (const id of companies) {
        const res = await fetch(`${s.sb.url}/crm/v3/objects/companies/${id}`, {
          method: 'PATCH',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: JSON.stringify({ properties: { name: `${marker} ${id}` } }),
        });
        expect(res.status, await res.text()).toBe(200);
      }
      const scope = await s.container.portal(p);
      await scope.indexer.reindexAccounts(p, companies);
      const proposal = reviewProposal(p, companies[0]!, 'evangelist');
      const [r] = await scope.writeback.submit([proposal], trace(proposal.runId));
      expect(r!.status, r!.detail ?? r!.decision.reasons.join('; ')).toBe('pending_review');
      const [review] = await scope.writeback.listReviews({ status: 'pending' });
      const store = await s.container.store();
      const chunkIds = (await Promise.all(companies.map((c) => store.listChunkKeys(p, c)))).flat().map((k) => k.id);
      expect(chunkIds.length).toBeGreaterThan(0);
      data[p] = { marker, companies, reviewId: review!.id, proposalId: proposal.id, secrets: [marker, review!.id, proposal.id, proposal.runId, ...chunkIds] };
    }
    // A dead job of each portal: the dead-letter list and its retry are shared by the deployment.
    const queue = await s.container.queue();
    const deadMarks = Object.fromEntries(PORTALS.map((p) => [p, `deadjob${p}x${randomBytes(4).toString('hex')}`]));
    const jobIds = await queue.enqueue(PORTALS.map((p) => ({ type: 'generate.reply_draft' as const, payload: { portalId: p, objectType: 'companies', objectId: '1', probe: deadMarks[p] }, maxAttempts: 1 })));
    const failing = queue.work({ 'generate.reply_draft': async () => { throw new PermanentJobError('made dead for the probe'); } });
    const deadline = Date.now() + 60_000;
    while ((await queue.listDead(100)).length < PORTALS.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    await failing.close();
    expect(jobIds).toHaveLength(PORTALS.length);
    for (const p of PORTALS) data[p]!.secrets.push(deadMarks[p]!);
    routes = s.app.routeTable;
  }, 240_000);
  afterAll(async () => s?.close());

  /** A request of `route` aimed at `owner`'s ids and data, with a body the route accepts. */
  function aim(route: RouteEntry, owner: string, callerPortal: string, tok?: Tok): Req {
    const d = data[owner]!;
    const id = route.url.startsWith('/v1/accounts/') ? d.companies[0]! : d.reviewId;
    const path = route.url
      .replace(':id', encodeURIComponent(id))
      .replace(':agent', 'lead_score')
      .replace(':action', ACTION_KEYS[0])
      .replace(':file', 'review.js')
      .replace('*', '');
    const query: Record<string, string> = {};
    let payload: unknown;
    const key = `${route.method} ${route.url}`;
    if (key === 'GET /v1/accounts/:id/context') query.q = d.marker;
    if (key === 'GET /v1/audit') query.limit = '1000';
    if (key === 'GET /v1/reviews') query.limit = '100';
    if (key === 'POST /v1/accounts/search') payload = { query: `${d.marker} renewal pricing`, limit: 50 };
    if (key === 'POST /v1/accounts/:id/generate/:agent') payload = { dryRun: true };
    if (key === 'POST /v1/reviews/:id/approve') payload = {};
    if (key === 'POST /v1/reviews/:id/reject') payload = { reason: 'probe' };
    if (key === 'POST /v1/reviews/bulk') payload = { action: 'reject', ids: [d.reviewId], reason: 'probe' };
    if (key === 'POST /v1/writes/undo') payload = { proposalId: d.proposalId };
    if (key === 'POST /v1/jobs/dead/retry') payload = { all: true };
    if (key === 'POST /v1/session') payload = { token: tok?.token ?? 'none' };
    const headers: Record<string, string> = tok ? { authorization: `Bearer ${tok.token}` } : {};
    if (SIGNED.test(route.url)) {
      // HubSpot signs for the caller's portal; the ids in the request are the owner's.
      if (route.url.startsWith('/hubspot/card/')) {
        Object.assign(query, { portalId: callerPortal, userId: '42', appId: s.sb.appId });
        if (route.method === 'GET') Object.assign(query, { objectType: 'companies', objectId: d.companies[0]! });
        payload = route.url.endsWith('/reject') ? { reason: 'probe' } : route.method === 'POST' ? {} : undefined;
      }
      if (route.url === '/webhooks/hubspot') {
        payload = [{ eventId: 1, subscriptionId: 1, portalId: Number(callerPortal), appId: Number(s.sb.appId), occurredAt: Date.now(), subscriptionType: 'company.propertyChange', objectId: Number(d.companies[0]), propertyName: 'name', propertyValue: 'x', attemptNumber: 0 }];
      }
      if (route.url === '/webhooks/hubspot/workflow') payload = { objectId: Number(d.companies[0]), objectType: 'COMPANY', portalId: Number(callerPortal) };
      if (route.url === '/hubspot/actions/:action') {
        payload = { callbackId: `cb-${randomBytes(6).toString('hex')}`, origin: { portalId: Number(callerPortal) }, object: { objectId: Number(d.companies[0]), objectType: 'COMPANY' }, inputFields: {} };
      }
      const qs = new URLSearchParams(query).toString();
      const url = `${path}${qs ? `?${qs}` : ''}`;
      const body = payload === undefined ? '' : JSON.stringify(payload);
      const ts = Date.now();
      Object.assign(headers, {
        'x-hubspot-signature-v3': signV3(s.sb.clientSecret, route.method, `${PUBLIC_URL}${url}`, body, ts),
        'x-hubspot-request-timestamp': String(ts),
        ...(body ? { 'content-type': 'application/json' } : {}),
      });
      return { method: route.method, url, headers, ...(body ? { payload: body } : {}) };
    }
    const qs = new URLSearchParams(query).toString();
    return { method: route.method, url: `${path}${qs ? `?${qs}` : ''}`, headers, ...(payload === undefined ? {} : { payload: payload as object }) };
  }

  /**
   * The secrets of every portal not in `visible` found in a response body; what the request itself carried (an
   * id it asked for, a query it searched) may be echoed back, so it does not count.
   */
  function leaks(body: string, visible: string[], req?: Req): string[] {
    const sent = req ? `${req.url} ${typeof req.payload === 'string' ? req.payload : JSON.stringify(req.payload ?? '')}` : '';
    return PORTALS.filter((p) => !visible.includes(p)).flatMap((p) => data[p]!.secrets.filter((x) => body.includes(x) && !sent.includes(x)).map((x) => `${p}:${x}`));
  }

  const portalRoutes = () => routes.filter((r) => !NOT_PORTAL_DATA.test(r.url));

  it('the route table is the probe list: every route serving portal data is addressed by a token or a HubSpot signature', () => {
    expect(portalRoutes().length).toBeGreaterThanOrEqual(20);
    for (const r of portalRoutes()) expect(r.auth !== 'public' || SIGNED.test(r.url), `${r.method} ${r.url} is public`).toBe(true);
  });

  it("red team: a token of portal A against portal B's ids answers 404 or 403 on every route", async () => {
    const tok = TOKENS.find((t) => t.token === 'iso-admin-a')!;
    const victim = String(B);
    const outcomes: string[] = [];
    for (const r of portalRoutes()) {
      const req = aim(r, victim, String(A), tok);
      const label = `${r.method} ${r.url}`;
      const hasId = r.url.includes(':id') || /bulk|undo/.test(r.url);
      // 1. B's ids on A's side: not found (or refused), never B's data.
      const own = await s.app.inject(req);
      outcomes.push(`${label} -> ${own.statusCode}`);
      expect(leaks(own.body, [String(A)], req), label).toEqual([]);
      expect(own.statusCode, `${label}: ${own.body.slice(0, 300)}`).toBeLessThan(500);
      if (hasId && !SIGNED.test(r.url)) {
        if (/bulk/.test(r.url)) expect(own.json().results.map((x: { status: string }) => x.status), label).toEqual(['not_found']);
        else expect([403, 404], `${label}: ${own.body.slice(0, 300)}`).toContain(own.statusCode);
      }
      if (SIGNED.test(r.url) && r.url.includes(':id')) expect([403, 404], `${label}: ${own.body.slice(0, 300)}`).toContain(own.statusCode);
      // 2. B named outright: refused before anything is read.
      if (!SIGNED.test(r.url)) {
        const named = await s.app.inject({ ...req, headers: { ...req.headers, 'x-hubspot-portal-id': victim } });
        expect(named.statusCode, `${label} naming B: ${named.body.slice(0, 300)}`).toBe(403);
      } else {
        // A HubSpot-signed request of portal A cannot act on B's ids either (the card: B's review is not A's).
        const signedReq = aim(r, victim, String(A));
        const signedB = await s.app.inject(signedReq);
        expect(leaks(signedB.body, [String(A)], signedReq), label).toEqual([]);
      }
    }
    // A's admin lists only A's installation and A's dead job, and re-drove none of B's.
    const installs = await s.app.inject({ method: 'GET', url: '/oauth/installations', headers: { authorization: `Bearer ${tok.token}` } });
    expect(installs.json().installations.map((i: { portalId: string }) => i.portalId)).toEqual([String(A)]);
    expect((await (await s.container.queue()).listDead(100)).filter((j) => (j.payload as { portalId: string }).portalId !== String(A)).length).toBe(2);
    // B's review is still pending: nothing A did reached it.
    const wb = (await s.container.portal(victim)).writeback;
    expect((await wb.getReview(data[victim]!.reviewId))?.status).toBe('pending');
    expect(outcomes.length).toBe(portalRoutes().length);
  }, 120_000);

  it('the same probes with the owner\'s own token find the data (the probe can fail)', async () => {
    const tok = TOKENS.find((t) => t.token === 'iso-reader-b')!;
    const search = await s.app.inject(aim(routes.find((r) => r.url === '/v1/accounts/search')!, String(B), String(B), tok));
    expect(search.statusCode).toBe(200);
    expect(search.body).toContain(data[String(B)]!.marker);
    const context = await s.app.inject(aim(routes.find((r) => r.url === '/v1/accounts/:id/context')!, String(B), String(B), tok));
    expect(context.statusCode, context.body).toBe(200);
    expect(leaks(context.body, [String(A)]).length).toBeGreaterThan(0);
    const review = await s.app.inject(aim(routes.find((r) => r.url === '/v1/reviews/:id' && r.method === 'GET')!, String(B), String(B), tok));
    expect(review.statusCode).toBe(200);
    const similar = await s.app.inject(aim(routes.find((r) => r.url === '/v1/accounts/:id/similar')!, String(B), String(B), tok));
    expect(similar.statusCode).toBe(200);
    expect(similar.json().results.map((x: { name: string }) => x.name).join(' ')).toContain(data[String(B)]!.marker);
  });

  it('property: over random tokens, routes, named portals and ids, no answer carries a portal its caller may not see', async () => {
    const seen = new Map<string, Set<number>>();
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          tok: fc.option(fc.constantFrom(...TOKENS), { freq: 8 }),
          route: fc.constantFrom(...portalRoutes()),
          owner: fc.constantFrom(...PORTALS),
          caller: fc.constantFrom(...PORTALS),
          named: fc.option(fc.constantFrom(...PORTALS, '7709'), { freq: 2 }),
          namedBy: fc.constantFrom('header', 'query'),
        }),
        async ({ tok, route, owner, caller, named, namedBy }) => {
          const req = aim(route, owner, caller, tok ?? undefined);
          if (named !== null && !SIGNED.test(route.url)) {
            if (namedBy === 'header') req.headers = { ...req.headers, 'x-hubspot-portal-id': named };
            else req.url = `${req.url}${req.url.includes('?') ? '&' : '?'}portalId=${named}`;
          }
          const res = await s.app.inject(req);
          const key = `${route.method} ${route.url}`;
          if (!seen.has(key)) seen.set(key, new Set());
          seen.get(key)!.add(res.statusCode);
          // Who the answer may speak about: the HubSpot-signed portal, or the token's portals.
          const visible = SIGNED.test(route.url) ? [caller] : tok ? (tok.portals ?? PORTALS) : [];
          expect(res.statusCode, `${key}: ${res.body.slice(0, 300)}`).toBeLessThan(500);
          expect(leaks(res.body, visible, req), `${key} as ${tok?.token ?? 'nobody'} naming ${named}`).toEqual([]);
          if (!SIGNED.test(route.url) && tok?.portals && named !== null && !tok.portals.includes(named)) {
            expect(res.statusCode, `${key} as ${tok.token} naming ${named}`).toBe(403);
          }
        },
      ),
      { numRuns: 150, seed: Number(process.env.FC_SEED ?? 19) },
    );
    // The run reached most routes, and reached some with an answer that carried data.
    expect(seen.size).toBeGreaterThanOrEqual(Math.floor(portalRoutes().length * 0.8));
    expect([...seen.values()].some((codes) => codes.has(200))).toBe(true);
  }, 300_000);
});
