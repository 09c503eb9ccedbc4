import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import Fastify, { type FastifyInstance } from 'fastify';
import { silentLogger } from './logger.ts';
import { DEFAULT_APP_ID } from './generator.ts';
import { HubSpotHttpError, notFound, validationError } from './hubspot-errors.ts';
import { startSandbox, type SandboxHandle, type SandboxOptions } from './index.ts';
import { expiredAuthentication, OAuthServer } from './oauth-server.ts';
import { WebhookDispatcher } from './webhook-dispatcher.ts';

/**
 * Several portals behind one base URL, like api.hubapi.com: a call goes to the portal its token belongs to (a
 * portal's private-app token, or an OAuth access token issued for that portal), and the HubSpot OAuth endpoints
 * of one public app are served beside them. Each portal is a full sandbox of its own (data, rate limits, faults,
 * webhooks with its own `portalId`); this module only routes requests and owns the OAuth state.
 */

export interface PortalSpec {
  portalId: number;
  seed?: number;
  companies?: number;
  whales?: number;
  /** The portal's private-app token (default: a random one). */
  token?: string;
}

export interface PortalsOptions extends Omit<SandboxOptions, 'portalId' | 'token' | 'seed' | 'companies' | 'whales' | 'stateFile' | 'clientSecret'> {
  portals: PortalSpec[];
  /** The public app every portal may install. Its client secret also signs the webhooks, as at HubSpot. */
  oauth: { clientId: string; clientSecret: string; accessTokenTtlSec?: number; redirectUris?: string[]; scopes?: string[]; now?: () => number };
}

export interface PortalsHandle {
  url: string;
  port: number;
  appId: string;
  clientId: string;
  clientSecret: string;
  /** Where the product sends people to install the app (HubSpot: https://app.hubspot.com/oauth/authorize). */
  authorizeUrl: string;
  portals: Array<{ portalId: string; token: string; sandbox: SandboxHandle }>;
  portal(portalId: number | string): SandboxHandle;
  oauth: OAuthServer;
  /** The portal removes the app: its tokens stop working and the app-uninstall event is delivered. */
  uninstall(portalId: number | string): Promise<void>;
  flushWebhooks(): Promise<void>;
  close(): Promise<void>;
}

/** The journal's app-lifecycle event type for an uninstall (install is 4-1909196). */
export const APP_UNINSTALL_EVENT_TYPE_ID = '4-1916193';

type Form = Record<string, string | undefined>;

export async function startSandboxPortals(opts: PortalsOptions): Promise<PortalsHandle> {
  if (opts.portals.length === 0) throw new Error('sandbox: at least one portal is needed');
  const ids = opts.portals.map((p) => p.portalId);
  if (new Set(ids).size !== ids.length) throw new Error('sandbox: portal ids must be unique');
  const appId = opts.appId ?? DEFAULT_APP_ID;
  const logger = opts.logger ?? silentLogger;
  const { portals: specs, oauth: oauthOpts, port: frontPort, host: frontHost, ...common } = opts;

  const started: Array<{ portalId: string; token: string; sandbox: SandboxHandle }> = [];
  try {
    for (const spec of specs) {
      const token = spec.token ?? `pat-sbx-${spec.portalId}-${Math.random().toString(36).slice(2, 12)}`;
      const sandbox = await startSandbox({
        ...common,
        appId,
        portalId: spec.portalId,
        token,
        clientSecret: oauthOpts.clientSecret,
        ...(spec.seed !== undefined ? { seed: spec.seed } : {}),
        ...(spec.companies !== undefined ? { companies: spec.companies } : {}),
        ...(spec.whales !== undefined ? { whales: spec.whales } : {}),
        port: 0,
        host: '127.0.0.1',
      });
      started.push({ portalId: String(spec.portalId), token, sandbox });
    }
  } catch (err) {
    await Promise.all(started.map((s) => s.sandbox.close()));
    throw err;
  }

  const byId = new Map(started.map((p) => [p.portalId, p]));
  const byToken = new Map(started.map((p) => [p.token, p]));
  const oauth = new OAuthServer(
    {
      clientId: oauthOpts.clientId,
      clientSecret: oauthOpts.clientSecret,
      appId,
      accessTokenTtlSec: oauthOpts.accessTokenTtlSec ?? 1800,
      redirectUris: oauthOpts.redirectUris ?? [],
      allowedScopes: oauthOpts.scopes ?? [],
      ...(oauthOpts.now ? { now: oauthOpts.now } : {}),
    },
    () => started.map((p) => Number(p.portalId)),
  );
  const lifecycle = opts.webhookTarget
    ? new WebhookDispatcher({ target: opts.webhookTarget, clientSecret: oauthOpts.clientSecret, batchMs: 0, logger, ...(opts.webhookRetryBaseMs !== undefined ? { retryBaseMs: opts.webhookRetryBaseMs } : {}) })
    : undefined;
  let lifecycleEventId = 1;

  const portalOf = (id: number | string) => {
    const p = byId.get(String(id));
    if (!p) throw notFound(`portal ${id} is not served by this sandbox`);
    return p;
  };
  const uninstall = async (portalId: number | string) => {
    const p = portalOf(portalId);
    oauth.uninstall(Number(p.portalId));
    lifecycle?.enqueue([
      {
        eventId: lifecycleEventId++,
        subscriptionId: 1,
        portalId: Number(p.portalId),
        appId,
        occurredAt: Date.now(),
        subscriptionType: 'APP_LIFECYCLE_EVENT',
        eventTypeId: APP_UNINSTALL_EVENT_TYPE_ID,
        attemptNumber: 0,
      },
    ]);
  };

  const front = buildFront(oauth, { portalOf, uninstall, portals: () => started, installed: () => oauth.installedPortals() });
  await front.ready();

  const server = http.createServer((req, res) => {
    try {
      route(req, res);
    } catch (err) {
      const e = err instanceof HubSpotHttpError ? err : new HubSpotHttpError(500, 'INTERNAL_ERROR', 'Internal error');
      res.writeHead(e.status, { 'content-type': 'application/json; charset=utf-8', ...e.headers });
      res.end(JSON.stringify(e.body));
    }
  });
  const first = started[0]!;
  const route = (req: IncomingMessage, res: ServerResponse) => {
    const url = req.url ?? '/';
    const path = url.split('?')[0] ?? '/';
    if (path.startsWith('/oauth/') || path === '/_sandbox/portals' || path.startsWith('/_sandbox/oauth/')) {
      front.routing(req, res);
      return;
    }
    const scoped = /^\/_sandbox\/portals\/(\d+)(\/.*)$/.exec(path);
    if (scoped) {
      req.url = `/_sandbox${scoped[2]}${url.slice(path.length)}`;
      portalOf(scoped[1]!).sandbox.app.routing(req, res);
      return;
    }
    if (path.startsWith('/_sandbox')) {
      first.sandbox.app.routing(req, res);
      return;
    }
    const bearer = /^bearer +(\S+)\s*$/i.exec(req.headers.authorization ?? '')?.[1];
    const direct = bearer === undefined ? undefined : byToken.get(bearer);
    if (direct || bearer === undefined) {
      (direct ?? first).sandbox.app.routing(req, res);
      return;
    }
    const check = oauth.checkAccess(bearer);
    if (check.ok) {
      const p = portalOf(check.portalId);
      // Behind the front door the portal sees its own credential: its limits are per app and portal, as HubSpot's.
      req.headers.authorization = `Bearer ${p.token}`;
      p.sandbox.app.routing(req, res);
      return;
    }
    if (check.reason === 'expired') throw expiredAuthentication(check.expiredMs);
    // An unknown or revoked token: the first portal answers it with HubSpot's 401 and counts it.
    first.sandbox.app.routing(req, res);
  };

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(frontPort ?? 0, frontHost ?? '127.0.0.1', () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const host = frontHost ?? '127.0.0.1';
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  logger.info({ url, portals: ids }, 'sandbox portals listening');

  return {
    url,
    port,
    appId: String(appId),
    clientId: oauthOpts.clientId,
    clientSecret: oauthOpts.clientSecret,
    authorizeUrl: `${url}/oauth/authorize`,
    portals: started,
    portal: (id) => portalOf(id).sandbox,
    oauth,
    uninstall,
    flushWebhooks: async () => {
      await lifecycle?.flush();
      await Promise.all(started.map((p) => p.sandbox.flushWebhooks()));
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await front.close();
      await lifecycle?.close();
      await Promise.all(started.map((p) => p.sandbox.close()));
    },
  };
}

interface FrontHooks {
  portalOf: (id: number | string) => { portalId: string };
  uninstall: (id: number | string) => Promise<void>;
  portals: () => Array<{ portalId: string; sandbox: SandboxHandle }>;
  installed: () => number[];
}

/** HubSpot's OAuth endpoints and the harness's multi-portal controls. */
function buildFront(oauth: OAuthServer, hooks: FrontHooks): FastifyInstance {
  // Access tokens run to ~300 characters (HubSpot's guidance); the router's default cap on a path parameter is 100.
  const app = Fastify({ logger: false, routerOptions: { maxParamLength: 1024 } });
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(String(body))));
  });
  app.setErrorHandler(async (err, _req, reply) => {
    if (err instanceof HubSpotHttpError) return reply.status(err.status).headers(err.headers).send(err.body);
    const e = err as { statusCode?: number; message?: string };
    const status = e.statusCode && e.statusCode >= 400 && e.statusCode < 500 ? e.statusCode : 500;
    return reply.status(status).send(status === 500 ? new HubSpotHttpError(500, 'INTERNAL_ERROR', 'Internal error').body : validationError(e.message ?? 'Invalid request').body);
  });

  app.get<{ Querystring: Form }>('/oauth/authorize', async (req, reply) => {
    const q = req.query;
    const portal = q.portal_id ?? q.portalId;
    const code = oauth.authorize({
      clientId: q.client_id,
      redirectUri: q.redirect_uri,
      scope: q.scope,
      optionalScope: q.optional_scope,
      ...(portal !== undefined ? { portalId: Number(portal) } : {}),
    });
    const target = new URL(q.redirect_uri!);
    target.searchParams.set('code', code);
    if (q.state !== undefined) target.searchParams.set('state', q.state);
    return reply.redirect(target.toString(), 302);
  });
  app.post<{ Body: Form | undefined }>('/oauth/v1/token', async (req, reply) => {
    if (!req.body || typeof req.body !== 'object') throw validationError('the body must be application/x-www-form-urlencoded');
    const answer = oauth.token(req.body);
    return reply.header('cache-control', 'no-store').send(answer);
  });
  app.get<{ Params: { token: string } }>('/oauth/v1/access-tokens/:token', async (req) => oauth.accessTokenInfo(req.params.token));
  app.get<{ Params: { token: string } }>('/oauth/v1/refresh-tokens/:token', async (req) => oauth.refreshTokenInfo(req.params.token));
  app.delete<{ Params: { token: string } }>('/oauth/v1/refresh-tokens/:token', async (req, reply) => {
    oauth.deleteRefreshToken(req.params.token);
    return reply.status(204).send();
  });

  app.get('/_sandbox/portals', async () => {
    const installed = new Set(hooks.installed());
    return hooks.portals().map((p) => ({ portalId: p.portalId, installed: installed.has(Number(p.portalId)), counts: p.sandbox.groundTruth().counts }));
  });
  const portalArg = (body: unknown): number | undefined => {
    const raw = (body as { portalId?: unknown } | undefined)?.portalId;
    if (raw === undefined) return undefined;
    if (typeof raw !== 'number' && typeof raw !== 'string') throw validationError('portalId must be a portal id');
    return Number(hooks.portalOf(raw).portalId);
  };
  app.post('/_sandbox/oauth/expire', async (req) => ({ expired: oauth.expireAccessTokens(portalArg(req.body)) }));
  app.post('/_sandbox/oauth/revoke-access', async (req) => ({ revoked: oauth.revokeAccessTokens(portalArg(req.body)) }));
  app.post('/_sandbox/oauth/uninstall', async (req) => {
    const portalId = portalArg(req.body);
    if (portalId === undefined) throw validationError('portalId is required');
    await hooks.uninstall(portalId);
    return { uninstalled: portalId };
  });
  app.get('/_sandbox/oauth/stats', async () => ({ ...oauth.stats, installed: hooks.installed() }));
  return app;
}
