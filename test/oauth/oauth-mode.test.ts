import fs from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config/config.ts';
import type { SqlHandle } from '../../src/db/sql.ts';
import { createHubSpotGateway, hubSpotGatewayOptions } from '../../src/hubspot/create-gateway.ts';
import type { HubSpotGateway } from '../../src/hubspot/gateway.ts';
import { createLogger } from '../../src/logging.ts';
import { createOAuthRuntime, type OAuthRuntime } from '../../src/oauth/create-oauth.ts';
import { PortalUninstalledError } from '../../src/oauth/portal-tokens.ts';
import { STATE_COOKIE } from '../../src/oauth/routes.ts';
import type { Container } from '../../src/runtime/container.ts';
import { signV3 } from '../../src/sandbox/index.ts';
import type { PortalsHandle } from '../../src/sandbox/portals.ts';
import { PUBLIC_URL, startTenantStack, type TenantStack } from '../tenancy/support.ts';

const A = 5501;
const B = 5502;
const ADMIN = 'oauth-admin-token-1';

/**
 * OAuth public-app mode end to end: the product's install link and callback against the sandbox's authorize page
 * and token endpoint, over HTTP with the real @hubspot/api-client; tokens refreshed before expiry and once after
 * a 401; uninstall by a refused refresh and by the app-uninstall event; no token in clear in the store or the logs.
 */
describe('OAuth mode against the sandbox', () => {
  let s: TenantStack;
  let sb: PortalsHandle;
  let config: Config;
  let container: Container;
  let app: FastifyInstance;
  let oauth: OAuthRuntime;
  const logLines: string[] = [];

  beforeAll(async () => {
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        logLines.push(chunk.toString());
        done();
      },
    });
    s = await startTenantStack({
      portals: [{ portalId: A, companies: 4 }, { portalId: B, companies: 6, seed: 12 }],
      defaultPortal: null,
      env: { API_TOKENS: `${ADMIN}:admin`, OWNER_TASKS: 'true', LOG_LEVEL: 'trace' },
      logger: createLogger('trace', 'oauth-test', sink),
    });
    ({ sb, config, container, app } = s);
    oauth = (await container.oauth())!;
  });
  afterAll(async () => s?.close());

  /** Install link ▸ HubSpot's authorize page (the sandbox picks `portalId`) ▸ callback, as a browser does. */
  async function install(portalId: number) {
    const { start, cookie, authorize, callback } = await s.installFlow(portalId);
    expect(start.statusCode).toBe(302);
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Lax' });
    expect(`${authorize.origin}${authorize.pathname}`).toBe(sb.authorizeUrl);
    expect(authorize.searchParams.get('redirect_uri')).toBe(`${PUBLIC_URL}/oauth/callback`);
    expect(authorize.searchParams.get('scope')!.split(' ')).toContain('crm.objects.companies.read');
    return callback;
  }

  function gatewayFor(portalId: number, runtime: OAuthRuntime = oauth): HubSpotGateway {
    return createHubSpotGateway({ ...hubSpotGatewayOptions(config), oauth: { portalId: String(portalId), tokens: runtime.tokens.sourceFor(String(portalId)) } });
  }

  it('installs two portals through the install link and the callback', async () => {
    const a = await install(A);
    expect(a.statusCode).toBe(200);
    expect(a.json()).toMatchObject({ installed: true, portalId: String(A), scopes: expect.arrayContaining(['oauth']) });
    expect((await install(B)).json()).toMatchObject({ installed: true, portalId: String(B) });
    const list = await app.inject({ method: 'GET', url: '/oauth/installations', headers: { authorization: `Bearer ${ADMIN}` } });
    expect(list.json().installations.map((i: { portalId: string; status: string }) => [i.portalId, i.status])).toEqual([[String(A), 'installed'], [String(B), 'installed']]);
    expect((await app.inject({ method: 'GET', url: '/oauth/installations' })).statusCode).toBe(401);
  });

  it('refuses a callback without the browser\'s state cookie, a forged state and a reused code', async () => {
    const start = await app.inject({ method: 'GET', url: `/oauth/install?portal_id=${A}` });
    const cookie = start.cookies.find((c) => c.name === STATE_COOKIE)!.value;
    const back = new URL((await fetch(start.headers.location as string, { redirect: 'manual' })).headers.get('location')!);
    const noCookie = await app.inject({ method: 'GET', url: `/oauth/callback${back.search}` });
    expect(noCookie.statusCode).toBe(400);
    expect(noCookie.json().error.message).toMatch(/another browser/);
    const forged = new URLSearchParams(back.search);
    forged.set('state', `${cookie}.${Date.now() + 60_000}.forged`);
    expect((await app.inject({ method: 'GET', url: `/oauth/callback?${forged}`, cookies: { [STATE_COOKIE]: cookie } })).json().error.message).toMatch(/not issued by this service/);
    expect((await app.inject({ method: 'GET', url: `/oauth/callback${back.search}`, cookies: { [STATE_COOKIE]: cookie } })).statusCode).toBe(200);
    const reused = await app.inject({ method: 'GET', url: `/oauth/callback${back.search}`, cookies: { [STATE_COOKIE]: cookie } });
    expect(reused.statusCode).toBe(400);
    expect(reused.json().error.message).toMatch(/BAD_AUTH_CODE/);
  });

  it('reads each portal with its own token: no portal sees the other\'s records', async () => {
    const [ga, gb] = [gatewayFor(A), gatewayFor(B)];
    const pa = await ga.listObjects('companies', { limit: 100 });
    const pb = await gb.listObjects('companies', { limit: 100 });
    expect(pa.results.map((c) => c.id).sort()).toEqual(sb.portal(A).groundTruth().companies.map((c) => c.id).sort());
    expect(pb.results).toHaveLength(6);
    expect(await ga.portalId()).toBe(String(A));
    expect(await gb.portalId()).toBe(String(B));
    await ga.close();
    await gb.close();
  });

  it('refreshes before expiry (a clock 26 minutes on) without HubSpot ever answering 401', async () => {
    let clock = Date.now();
    const runtime = await createOAuthRuntime(config.oauth!, { sql: await container.sql(), baseUrl: sb.url, isSandbox: true, logger: createLogger('silent'), now: () => clock });
    const g = gatewayFor(A, runtime);
    await g.listObjects('companies', { limit: 1 });
    expect(runtime.tokens.stats.refreshes).toBe(0);
    const before = sb.oauth.stats.refreshes;
    clock += 26 * 60_000;
    await g.listObjects('companies', { limit: 1 });
    expect(runtime.tokens.stats.refreshes).toBe(1);
    expect(sb.oauth.stats.refreshes).toBe(before + 1);
    await g.close();
  });

  it('on a 401 refreshes once for many concurrent calls, then succeeds', async () => {
    const g = gatewayFor(A);
    await g.listObjects('companies', { limit: 1 });
    const before = sb.oauth.stats.refreshes;
    expect(sb.oauth.revokeAccessTokens(A)).toBeGreaterThan(0);
    const pages = await Promise.all(Array.from({ length: 6 }, () => g.listObjects('companies', { limit: 2 })));
    expect(pages.every((p) => p.results.length === 2)).toBe(true);
    expect(sb.oauth.stats.refreshes).toBe(before + 1);
    // An expired token (HubSpot's EXPIRED_AUTHENTICATION) takes the same path.
    sb.oauth.expireAccessTokens(A);
    expect((await g.listObjects('companies', { limit: 1 })).results).toHaveLength(1);
    expect(sb.oauth.stats.refreshes).toBe(before + 2);
    await g.close();
  });

  it('never stores or logs a token in clear', async () => {
    const sql: SqlHandle = await container.sql();
    const rows = await sql.db.selectFrom('oauth_installations').selectAll().execute();
    const secrets: string[] = [];
    for (const r of rows as Array<{ portal_id: string; access_token: string; refresh_token: string }>) {
      if (!r.access_token) continue;
      expect(r.access_token).toMatch(/^v1\./);
      secrets.push(oauth.cipher.open(r.access_token, r.portal_id), oauth.cipher.open(r.refresh_token, r.portal_id));
    }
    expect(secrets.length).toBeGreaterThanOrEqual(4);
    const files = fs.readdirSync(s.dataDir).filter((f) => /\.(db|sqlite)(-wal|-shm)?$|\.sqlite3?$/.test(f) || f.includes('.db'));
    expect(files.length).toBeGreaterThan(0);
    const bytes = Buffer.concat(files.map((f) => fs.readFileSync(path.join(s.dataDir, f))));
    const logs = logLines.join('');
    expect(logs).toMatch(/access token refreshed/);
    for (const s of secrets) {
      expect(bytes.includes(Buffer.from(s))).toBe(false);
      expect(logs.includes(s)).toBe(false);
    }
    // A sealed token moved onto another portal's row does not open.
    const a = rows.find((r) => (r as { portal_id: string }).portal_id === String(A)) as { access_token: string };
    expect(() => oauth.cipher.open(a.access_token, String(B))).toThrow(/cannot be decrypted/);
  });

  it('a refused refresh marks the portal uninstalled and stops its calls; the other portal goes on', async () => {
    const g = gatewayFor(B);
    await sb.uninstall(B);
    await expect(g.listObjects('companies', { limit: 1 })).rejects.toBeInstanceOf(PortalUninstalledError);
    const requests = sb.portal(B).metrics().requests;
    await expect(g.listObjects('companies', { limit: 1 })).rejects.toMatchObject({ code: 'PORTAL_UNINSTALLED' });
    expect(sb.portal(B).metrics().requests).toBe(requests);
    const row = (await (await container.sql()).db.selectFrom('oauth_installations').selectAll().where('portal_id', '=', String(B)).executeTakeFirst()) as Record<string, unknown>;
    expect(row).toMatchObject({ status: 'uninstalled', access_token: '', refresh_token: '', uninstall_reason: 'token refresh refused: BAD_REFRESH_TOKEN' });
    expect((await gatewayFor(A).listObjects('companies', { limit: 1 })).results).toHaveLength(1);
    await g.close();
  });

  it('the app-uninstall event marks its portal uninstalled; later events of that portal start no work', async () => {
    const deliver = (events: unknown[]) => {
      const body = JSON.stringify(events);
      const ts = Date.now();
      return app.inject({
        method: 'POST',
        url: '/webhooks/hubspot',
        headers: { 'content-type': 'application/json', 'x-hubspot-signature-v3': signV3(sb.clientSecret, 'POST', `${PUBLIC_URL}/webhooks/hubspot`, body, ts), 'x-hubspot-request-timestamp': String(ts) },
        payload: body,
      });
    };
    const change = (portalId: number, eventId: number) => ({ eventId, portalId, appId: Number(sb.appId), occurredAt: Date.now(), subscriptionType: 'company.propertyChange', objectId: 1, propertyName: 'name', propertyValue: 'x', attemptNumber: 0 });
    expect((await deliver([change(A, 1)])).json()).toMatchObject({ accepted: 1, ignored: 0 });
    const res = await deliver([{ eventId: 2, portalId: A, appId: Number(sb.appId), occurredAt: Date.now(), subscriptionType: 'APP_LIFECYCLE_EVENT', eventTypeId: '4-1916193', attemptNumber: 0 }, change(A, 3)]);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ accepted: 0, ignored: 2, jobId: null });
    expect(await oauth.tokens.isInstalled(String(A))).toBe(false);
    await expect(oauth.tokens.accessToken(String(A))).rejects.toMatchObject({ code: 'PORTAL_UNINSTALLED' });
    expect(logLines.join('')).toMatch(/portal uninstalled: its work stops/);
  });
});
