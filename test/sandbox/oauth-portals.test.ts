import http from 'node:http';
import { Client } from '@hubspot/api-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APP_UNINSTALL_EVENT_TYPE_ID, startSandboxPortals, type PortalsHandle } from '../../src/sandbox/portals.ts';
import { apiError, post } from './helpers.ts';

const CLIENT_ID = 'sandbox-client-id';
const CLIENT_SECRET = 'sandbox-client-secret';
const REDIRECT = 'http://127.0.0.1:9/oauth/callback';

/** The authorize redirect as a browser would follow it: the code and state from the Location header. */
async function authorize(sb: PortalsHandle, query: Record<string, string>): Promise<{ status: number; code?: string; state?: string; location?: string; body?: unknown }> {
  const res = await fetch(`${sb.authorizeUrl}?${new URLSearchParams(query)}`, { redirect: 'manual' });
  const location = res.headers.get('location') ?? undefined;
  if (!location) return { status: res.status, body: await res.json() };
  const u = new URL(location);
  return { status: res.status, location, code: u.searchParams.get('code') ?? undefined, state: u.searchParams.get('state') ?? undefined };
}

async function install(sb: PortalsHandle, portalId: number) {
  const { code } = await authorize(sb, { client_id: CLIENT_ID, redirect_uri: REDIRECT, scope: 'crm.objects.companies.read oauth', portal_id: String(portalId) });
  const tokens = await new Client({ basePath: sb.url }).oauth.tokensApi.create('authorization_code', code, REDIRECT, CLIENT_ID, CLIENT_SECRET);
  return tokens;
}

/** Several portals and HubSpot's OAuth endpoints, through the real @hubspot/api-client. */
describe('sandbox: several portals and OAuth', () => {
  let sb: PortalsHandle;
  const received: unknown[][] = [];
  let hook: http.Server;

  beforeAll(async () => {
    hook = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        received.push(JSON.parse(body) as unknown[]);
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
    const port = (hook.address() as { port: number }).port;
    sb = await startSandboxPortals({
      portals: [{ portalId: 4401, companies: 4 }, { portalId: 4402, companies: 7, seed: 11 }],
      oauth: { clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, redirectUris: [REDIRECT], scopes: ['crm.objects.companies.read', 'oauth'] },
      rateLimit: 0,
      webhookTarget: `http://127.0.0.1:${port}/webhooks`,
      webhookBatchMs: 10,
    });
  });
  afterAll(async () => {
    await sb?.close();
    await new Promise<void>((r) => hook.close(() => r()));
  });

  it('redirects the install to the redirect URI with a code and the state, and refuses a bad request', async () => {
    const ok = await authorize(sb, { client_id: CLIENT_ID, redirect_uri: REDIRECT, scope: 'oauth', state: 'xyz' });
    expect(ok.status).toBe(302);
    expect(ok.location!.startsWith(`${REDIRECT}?`)).toBe(true);
    expect(ok).toMatchObject({ code: expect.any(String), state: 'xyz' });
    expect((await authorize(sb, { client_id: 'other', redirect_uri: REDIRECT, scope: 'oauth' })).body).toMatchObject({ status: 'BAD_CLIENT_ID' });
    expect((await authorize(sb, { client_id: CLIENT_ID, redirect_uri: 'http://evil.example/cb', scope: 'oauth' })).body).toMatchObject({ status: 'BAD_REDIRECT_URI' });
    expect((await authorize(sb, { client_id: CLIENT_ID, redirect_uri: REDIRECT, scope: 'crm.objects.deals.write' })).body).toMatchObject({ status: 'BAD_SCOPES' });
  });

  it('exchanges a code once, introspects both tokens, and routes each token to its own portal', async () => {
    const a = await install(sb, 4401);
    const b = await install(sb, 4402);
    expect(a).toMatchObject({ tokenType: 'bearer', expiresIn: 1800, refreshToken: expect.any(String), accessToken: expect.any(String) });
    const oauth = new Client({ basePath: sb.url }).oauth;
    const info = await oauth.accessTokensApi.get(a.accessToken);
    expect(info).toMatchObject({ hubId: 4401, appId: Number(sb.appId), scopes: ['crm.objects.companies.read', 'oauth'], tokenType: 'access' });
    expect(info.expiresIn).toBeGreaterThan(1700);
    expect(await oauth.refreshTokensApi.get(b.refreshToken)).toMatchObject({ hubId: 4402, clientId: CLIENT_ID, tokenType: 'refresh' });

    const pageA = await new Client({ accessToken: a.accessToken, basePath: sb.url }).crm.companies.basicApi.getPage(100);
    const pageB = await new Client({ accessToken: b.accessToken, basePath: sb.url }).crm.companies.basicApi.getPage(100);
    expect(pageA.results.map((c) => c.id).sort()).toEqual(sb.portal(4401).groundTruth().companies.map((c) => c.id).sort());
    expect(pageB.results).toHaveLength(7);
    expect(pageA.results).toHaveLength(4);
    // A private-app token of one portal still reaches only that portal.
    const privateB = await new Client({ accessToken: sb.portals[1]!.token, basePath: sb.url }).crm.companies.basicApi.getPage(100);
    expect(privateB.results).toHaveLength(7);
    // The scheme in any case, for OAuth and private-app tokens alike, as HubSpot takes it.
    const lower = await fetch(`${sb.url}/crm/v3/objects/companies?limit=100`, { headers: { authorization: `bearer ${a.accessToken}` } });
    expect(((await lower.json()) as { results: unknown[] }).results).toHaveLength(4);
    const upper = await fetch(`${sb.url}/crm/v3/objects/companies?limit=100`, { headers: { authorization: `BEARER ${sb.portals[1]!.token}` } });
    expect(((await upper.json()) as { results: unknown[] }).results).toHaveLength(7);
  });

  it('refuses a replayed code, a wrong secret and a mismatched redirect URI with HubSpot\'s statuses', async () => {
    const { code } = await authorize(sb, { client_id: CLIENT_ID, redirect_uri: REDIRECT, scope: 'oauth' });
    const tokens = new Client({ basePath: sb.url }).oauth.tokensApi;
    expect((await apiError(tokens.create('authorization_code', code, REDIRECT, CLIENT_ID, 'wrong'))).body).toMatchObject({ status: 'BAD_CLIENT_SECRET' });
    // The failed exchange did not consume the code (the secret is checked first); a wrong redirect does.
    expect((await apiError(tokens.create('authorization_code', code, 'http://127.0.0.1:9/other', CLIENT_ID, CLIENT_SECRET))).body).toMatchObject({ status: 'BAD_REDIRECT_URI' });
    const replay = await apiError(tokens.create('authorization_code', code, REDIRECT, CLIENT_ID, CLIENT_SECRET));
    expect(replay.code).toBe(400);
    expect(replay.body).toMatchObject({ status: 'BAD_AUTH_CODE' });
    expect((await apiError(tokens.create('refresh_token', undefined, undefined, CLIENT_ID, CLIENT_SECRET, 'not-a-token'))).body).toMatchObject({ status: 'BAD_REFRESH_TOKEN' });
  });

  it('expires access tokens (401 EXPIRED_AUTHENTICATION) and refreshes them with the same refresh token', async () => {
    const a = await install(sb, 4401);
    const api = new Client({ accessToken: a.accessToken, basePath: sb.url });
    expect((await post(`${sb.url}/_sandbox/oauth/expire`, { portalId: 4401 })).json.expired).toBeGreaterThan(0);
    const expired = await apiError(api.crm.companies.basicApi.getPage(1));
    expect(expired.code).toBe(401);
    expect(expired.body).toMatchObject({ status: 'error', category: 'EXPIRED_AUTHENTICATION', message: expect.stringMatching(/expired \d+ minute\(s\) ago/) });
    expect((await apiError(new Client({ basePath: sb.url }).oauth.accessTokensApi.get(a.accessToken))).code).toBe(404);
    const again = await new Client({ basePath: sb.url }).oauth.tokensApi.create('refresh_token', undefined, undefined, CLIENT_ID, CLIENT_SECRET, a.refreshToken);
    expect(again.refreshToken).toBe(a.refreshToken);
    expect(again.accessToken).not.toBe(a.accessToken);
    expect((await new Client({ accessToken: again.accessToken, basePath: sb.url }).crm.companies.basicApi.getPage(2)).results).toHaveLength(2);
  });

  it('uninstall revokes every token of that portal only and delivers the signed app-uninstall event', async () => {
    const a = await install(sb, 4401);
    const b = await install(sb, 4402);
    await sb.uninstall(4402);
    await sb.flushWebhooks();
    const gone = await apiError(new Client({ accessToken: b.accessToken, basePath: sb.url }).crm.companies.basicApi.getPage(1));
    expect(gone.code).toBe(401);
    expect(gone.body.category).toBe('INVALID_AUTHENTICATION');
    expect((await apiError(new Client({ basePath: sb.url }).oauth.tokensApi.create('refresh_token', undefined, undefined, CLIENT_ID, CLIENT_SECRET, b.refreshToken))).body).toMatchObject({ status: 'BAD_REFRESH_TOKEN' });
    expect((await new Client({ accessToken: a.accessToken, basePath: sb.url }).crm.companies.basicApi.getPage(1)).results).toHaveLength(1);
    const events = received.flat() as Array<Record<string, unknown>>;
    expect(events).toContainEqual(expect.objectContaining({ subscriptionType: 'APP_LIFECYCLE_EVENT', eventTypeId: APP_UNINSTALL_EVENT_TYPE_ID, portalId: 4402, appId: Number(sb.appId) }));
    const listed = (await (await fetch(`${sb.url}/_sandbox/portals`)).json()) as Array<{ portalId: string; installed: boolean }>;
    expect(listed.map((p) => [p.portalId, p.installed])).toEqual([['4401', true], ['4402', false]]);
  });

  it('scopes harness routes to one portal under /_sandbox/portals/{id}', async () => {
    const note = await post(`${sb.url}/_sandbox/portals/4402/simulate/note`, { text: 'only in 4402' });
    expect(note.status).toBe(201);
    const id = note.json.ids.notes[0] as string;
    const privateA = new Client({ accessToken: sb.portals[0]!.token, basePath: sb.url });
    expect((await apiError(privateA.crm.objects.notes.basicApi.getById(id))).code).toBe(404);
    const privateB = new Client({ accessToken: sb.portals[1]!.token, basePath: sb.url });
    expect((await privateB.crm.objects.notes.basicApi.getById(id, ['hs_note_body'])).properties.hs_note_body).toContain('only in 4402');
  });
});
