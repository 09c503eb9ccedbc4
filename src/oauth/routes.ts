import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { apiError } from '../api/errors.ts';
import '../api/route-options.ts';
import { AppError } from '../errors.ts';
import { silentLogger, type Logger } from '../logging.ts';
import { OAuthGrantRejectedError } from './hubspot-oauth-client.ts';
import type { PortalTokens } from './portal-tokens.ts';
import type { TokenCipher } from './token-cipher.ts';

/**
 * The public-app install flow. `GET /oauth/install` sends the person to HubSpot's authorize page with a `state`
 * that is signed, expires, and is bound to this browser by a cookie (so a callback forged in another browser,
 * RFC 6749 §10.12, is refused); `GET /oauth/callback` checks it, exchanges the code and stores the tokens
 * sealed. `GET /oauth/installations` (admin) lists installs without any token.
 */

export type OAuthRoutesOptions = {
  tokens: PortalTokens;
  cipher: TokenCipher;
  clientId: string;
  /** HubSpot's authorize page (https://app.hubspot.com/oauth/authorize, or the sandbox's). */
  authorizeUrl: string;
  /** This service's callback URL as registered in the app (HubSpot compares it exactly). */
  redirectUri: string;
  scopes: string[];
  optionalScopes: string[];
  /** The sandbox lets the caller pick the portal (`portal_id`); HubSpot shows an account picker instead. */
  forwardPortalChoice?: boolean;
  logger?: Logger;
  now?: () => number;
};

export const STATE_COOKIE = 'hsai_oauth_state';
const STATE_TTL_MS = 10 * 60_000;

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export const oauthRoutes: FastifyPluginAsync<OAuthRoutesOptions> = async (app, opts) => {
  const logger = opts.logger ?? silentLogger;
  const now = opts.now ?? Date.now;
  const secureCookie = opts.redirectUri.startsWith('https:');

  const makeState = (nonce: string): string => {
    const data = `${nonce}.${now() + STATE_TTL_MS}`;
    return `${data}.${opts.cipher.sign(data)}`;
  };
  const checkState = (state: string | undefined, cookie: string | undefined): string | undefined => {
    if (!state) return 'the callback has no state';
    const [nonce, exp, sig] = state.split('.');
    if (!nonce || !exp || !sig || !opts.cipher.verify(`${nonce}.${exp}`, sig)) return 'the state was not issued by this service';
    if (Number(exp) < now()) return 'the install link expired; start again from /oauth/install';
    if (!cookie || !sameText(cookie, nonce)) return 'the install was started in another browser; start again from /oauth/install';
    return undefined;
  };

  app.get<{ Querystring: { portal_id?: string } }>('/oauth/install', { config: { auth: 'public' } }, async (req, reply) => {
    const nonce = randomBytes(16).toString('base64url');
    const url = new URL(opts.authorizeUrl);
    url.searchParams.set('client_id', opts.clientId);
    url.searchParams.set('redirect_uri', opts.redirectUri);
    url.searchParams.set('scope', opts.scopes.join(' '));
    if (opts.optionalScopes.length > 0) url.searchParams.set('optional_scope', opts.optionalScopes.join(' '));
    url.searchParams.set('state', makeState(nonce));
    const portal = req.query.portal_id;
    if (opts.forwardPortalChoice && portal !== undefined && /^\d+$/.test(portal)) url.searchParams.set('portal_id', portal);
    void reply.setCookie(STATE_COOKIE, nonce, { httpOnly: true, sameSite: 'lax', secure: secureCookie, path: '/oauth', maxAge: STATE_TTL_MS / 1000 });
    return reply.redirect(url.toString(), 302);
  });

  app.get<{ Querystring: { code?: string; state?: string; error?: string; error_description?: string } }>(
    '/oauth/callback',
    { config: { auth: 'public' } },
    async (req, reply) => {
      const q = req.query;
      if (q.error) throw apiError('BAD_REQUEST', `the install was not approved in HubSpot (${q.error}${q.error_description ? `: ${q.error_description}` : ''})`);
      const problem = checkState(q.state, req.cookies?.[STATE_COOKIE]);
      if (problem) {
        logger.warn({ ip: req.ip, problem }, 'OAuth callback refused');
        throw apiError('BAD_REQUEST', `OAuth callback refused: ${problem}`);
      }
      if (!q.code) throw apiError('BAD_REQUEST', 'OAuth callback refused: no authorization code');
      void reply.clearCookie(STATE_COOKIE, { path: '/oauth' });
      let installed;
      try {
        installed = await opts.tokens.install(q.code);
      } catch (err) {
        if (err instanceof OAuthGrantRejectedError) throw apiError('BAD_REQUEST', `HubSpot refused the authorization code (${err.hubspotStatus}); start again from /oauth/install`);
        if (err instanceof AppError && err.code === 'OAUTH_WRONG_APP') throw apiError('BAD_REQUEST', err.message);
        logger.error({ err: (err as Error).message }, 'OAuth code exchange failed');
        throw apiError('HUBSPOT_UNAVAILABLE', 'HubSpot could not complete the install right now; try again in a minute');
      }
      return answer(req, reply, installed.portalId, installed.scopes);
    },
  );

  // A token limited to some portals lists only their installations.
  app.get('/oauth/installations', { config: { auth: 'admin' } }, async (req) => {
    const allowed = req.principal?.portals;
    const all = await opts.tokens.list();
    return { installations: allowed ? all.filter((i) => allowed.includes(i.portalId)) : all };
  });
};

function answer(req: FastifyRequest, reply: FastifyReply, portalId: string, scopes: string[]) {
  const body = { installed: true, portalId, scopes };
  if (!(req.headers.accept ?? '').includes('text/html')) return body;
  const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  return reply
    .type('text/html; charset=utf-8')
    .send(
      `<!doctype html><html><head><meta charset="utf-8"><title>Installed</title></head><body style="font-family:system-ui;margin:3rem">` +
        `<h1>hubspot-ai is installed</h1><p>HubSpot portal <strong>${esc(portalId)}</strong> granted: ${esc(scopes.join(', '))}.</p>` +
        `<p>You can close this tab.</p></body></html>`,
    );
}
