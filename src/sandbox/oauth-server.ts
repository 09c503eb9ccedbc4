import { randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { HubSpotHttpError } from './hubspot-errors.ts';

/**
 * The OAuth side of a public app, as HubSpot runs it for the portals that install the app: authorization codes
 * (single use, short-lived, bound to the redirect URI), access tokens that expire (`expires_in` seconds, 1,800
 * at HubSpot), refresh tokens that stay the same across refreshes until the app is uninstalled, and the token
 * introspection answers. Pure state with an injectable clock; the HTTP routes live in oauth-routes.ts.
 */

export interface OAuthAppSettings {
  clientId: string;
  clientSecret: string;
  appId: number;
  /** Lifetime of an access token in seconds (HubSpot: 1,800). */
  accessTokenTtlSec: number;
  /** Redirect URLs the app registered; empty accepts any (the sandbox's default). */
  redirectUris: string[];
  /** Scopes the app may ask for; empty accepts any. */
  allowedScopes: string[];
  now?: () => number;
}

interface CodeGrant {
  portalId: number;
  scopes: string[];
  redirectUri: string;
  expiresAt: number;
}

interface RefreshGrant {
  portalId: number;
  scopes: string[];
  userId: number;
  user: string;
}

interface AccessGrant {
  portalId: number;
  scopes: string[];
  userId: number;
  user: string;
  expiresAt: number;
  refreshToken: string;
}

export interface TokenAnswer {
  token_type: 'bearer';
  access_token: string;
  refresh_token: string;
  expires_in: number;
}

export type AccessCheck =
  | { ok: true; portalId: number; scopes: string[] }
  | { ok: false; reason: 'expired'; expiredMs: number }
  | { ok: false; reason: 'unknown' };

const CODE_TTL_MS = 10 * 60_000;
const INSTALLING_USER_ID = 2_000_001;

/** HubSpot's v1 token endpoint errors: a 400 with `status` naming the problem. */
export function oauthError(status: string, message: string, http = 400): HubSpotHttpError {
  const err = new HubSpotHttpError(http, 'VALIDATION_ERROR', message);
  delete err.body.category;
  err.body.status = status;
  return err;
}

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export class OAuthServer {
  private readonly codes = new Map<string, CodeGrant>();
  private readonly refreshTokens = new Map<string, RefreshGrant>();
  private readonly accessTokens = new Map<string, AccessGrant>();
  private readonly now: () => number;
  readonly stats = { authorizations: 0, codeExchanges: 0, refreshes: 0, failedGrants: 0 };

  constructor(
    readonly settings: OAuthAppSettings,
    private readonly portalIds: () => number[],
  ) {
    this.now = settings.now ?? Date.now;
  }

  /**
   * The user approved the install in `portalId`: returns the code for the redirect. HubSpot shows an account
   * picker here; the sandbox takes the portal from the request (default: the first portal).
   */
  authorize(q: { clientId?: string; redirectUri?: string; scope?: string; optionalScope?: string; portalId?: number }): string {
    if (!q.clientId || q.clientId !== this.settings.clientId) throw oauthError('BAD_CLIENT_ID', 'missing or unknown client id');
    if (!q.redirectUri) throw oauthError('BAD_REDIRECT_URI', 'missing redirect_uri');
    if (this.settings.redirectUris.length > 0 && !this.settings.redirectUris.includes(q.redirectUri)) {
      throw oauthError('BAD_REDIRECT_URI', 'redirect_uri is not one of the app\'s redirect URLs');
    }
    const scopes = splitScopes(q.scope);
    if (scopes.length === 0) throw oauthError('BAD_SCOPES', 'missing scope');
    const allowed = this.settings.allowedScopes;
    const unknown = allowed.length > 0 ? scopes.filter((s) => !allowed.includes(s)) : [];
    if (unknown.length > 0) throw oauthError('BAD_SCOPES', `scopes not configured for this app: ${unknown.join(' ')}`);
    const optional = splitScopes(q.optionalScope).filter((s) => allowed.length === 0 || allowed.includes(s));
    const portals = this.portalIds();
    const portalId = q.portalId ?? portals[0]!;
    if (!portals.includes(portalId)) throw oauthError('BAD_HUB', `portal ${portalId} is not served by this sandbox`);
    const code = randomUUID();
    this.codes.set(code, { portalId, scopes: [...new Set([...scopes, ...optional])], redirectUri: q.redirectUri, expiresAt: this.now() + CODE_TTL_MS });
    this.stats.authorizations++;
    return code;
  }

  /** POST /oauth/v1/token with `grant_type` authorization_code or refresh_token. */
  token(form: Record<string, string | undefined>): TokenAnswer {
    const { grant_type: grant, client_id: clientId, client_secret: clientSecret } = form;
    try {
      if (!clientId || clientId !== this.settings.clientId) throw oauthError('BAD_CLIENT_ID', 'missing or unknown client id');
      if (!clientSecret || !sameSecret(clientSecret, this.settings.clientSecret)) throw oauthError('BAD_CLIENT_SECRET', 'missing or invalid client secret');
      if (grant === 'authorization_code') return this.exchangeCode(form.code, form.redirect_uri);
      if (grant === 'refresh_token') return this.refresh(form.refresh_token);
      throw oauthError('BAD_GRANT_TYPE', 'grant_type must be authorization_code or refresh_token');
    } catch (err) {
      this.stats.failedGrants++;
      throw err;
    }
  }

  private exchangeCode(code: string | undefined, redirectUri: string | undefined): TokenAnswer {
    const grant = code ? this.codes.get(code) : undefined;
    if (!code || !grant) throw oauthError('BAD_AUTH_CODE', 'missing or unknown auth code');
    // Single use, whatever happens next: a replayed code is refused even if this exchange fails.
    this.codes.delete(code);
    if (grant.expiresAt <= this.now()) throw oauthError('BAD_AUTH_CODE', 'auth code expired');
    if (redirectUri !== grant.redirectUri) throw oauthError('BAD_REDIRECT_URI', 'redirect_uri does not match initial auth code URL');
    const refreshToken = randomUUID();
    this.refreshTokens.set(refreshToken, { portalId: grant.portalId, scopes: grant.scopes, userId: INSTALLING_USER_ID, user: `admin@portal-${grant.portalId}.example` });
    this.stats.codeExchanges++;
    return this.issue(refreshToken);
  }

  private refresh(refreshToken: string | undefined): TokenAnswer {
    if (!refreshToken || !this.refreshTokens.has(refreshToken)) throw oauthError('BAD_REFRESH_TOKEN', 'missing or unknown refresh token');
    this.stats.refreshes++;
    return this.issue(refreshToken);
  }

  private issue(refreshToken: string): TokenAnswer {
    const grant = this.refreshTokens.get(refreshToken)!;
    // Opaque and long like HubSpot's (up to ~300 characters); nothing in it can be decoded.
    const accessToken = `CK${randomBytes(96).toString('base64url')}`;
    const ttl = this.settings.accessTokenTtlSec;
    this.accessTokens.set(accessToken, { ...grant, expiresAt: this.now() + ttl * 1000, refreshToken });
    return { token_type: 'bearer', access_token: accessToken, refresh_token: refreshToken, expires_in: ttl };
  }

  /** What the API front door checks for every call made with an OAuth token. */
  checkAccess(token: string): AccessCheck {
    const grant = this.accessTokens.get(token);
    if (!grant) return { ok: false, reason: 'unknown' };
    const left = grant.expiresAt - this.now();
    if (left <= 0) return { ok: false, reason: 'expired', expiredMs: -left };
    return { ok: true, portalId: grant.portalId, scopes: grant.scopes };
  }

  /** GET /oauth/v1/access-tokens/{token} */
  accessTokenInfo(token: string): Record<string, unknown> {
    const grant = this.accessTokens.get(token);
    const left = grant ? grant.expiresAt - this.now() : 0;
    if (!grant || left <= 0) throw oauthError('BAD_ACCESS_TOKEN', 'missing, expired or unknown access token', 404);
    return {
      token,
      user: grant.user,
      hub_domain: `portal-${grant.portalId}.sandbox.local`,
      scopes: grant.scopes,
      hub_id: grant.portalId,
      app_id: this.settings.appId,
      expires_in: Math.floor(left / 1000),
      user_id: grant.userId,
      token_type: 'access',
    };
  }

  /** GET /oauth/v1/refresh-tokens/{token} */
  refreshTokenInfo(token: string): Record<string, unknown> {
    const grant = this.refreshTokens.get(token);
    if (!grant) throw oauthError('BAD_REFRESH_TOKEN', 'missing or unknown refresh token', 404);
    return {
      token,
      user: grant.user,
      hub_domain: `portal-${grant.portalId}.sandbox.local`,
      scopes: grant.scopes,
      hub_id: grant.portalId,
      client_id: this.settings.clientId,
      user_id: grant.userId,
      token_type: 'refresh',
    };
  }

  /** DELETE /oauth/v1/refresh-tokens/{token}: the refresh token stops working; access tokens already issued stay. */
  deleteRefreshToken(token: string): void {
    if (!this.refreshTokens.delete(token)) throw oauthError('BAD_REFRESH_TOKEN', 'missing or unknown refresh token', 404);
  }

  /** The portal removed the app: every token of that portal stops working at once. */
  uninstall(portalId: number): number {
    let revoked = 0;
    for (const [t, g] of this.refreshTokens) {
      if (g.portalId !== portalId) continue;
      this.refreshTokens.delete(t);
      revoked++;
    }
    for (const [t, g] of this.accessTokens) if (g.portalId === portalId) this.accessTokens.delete(t);
    for (const [c, g] of this.codes) if (g.portalId === portalId) this.codes.delete(c);
    return revoked;
  }

  /** Harness: ages access tokens (of one portal, or all) so they are expired now; returns how many. */
  expireAccessTokens(portalId?: number): number {
    let n = 0;
    const past = this.now() - 60_000;
    for (const g of this.accessTokens.values()) {
      if (portalId !== undefined && g.portalId !== portalId) continue;
      if (g.expiresAt > past) {
        g.expiresAt = past;
        n++;
      }
    }
    return n;
  }

  /** Harness: revokes the current access tokens (of one portal, or all) without expiring them: a 401 before expiry. */
  revokeAccessTokens(portalId?: number): number {
    let n = 0;
    for (const [t, g] of this.accessTokens) {
      if (portalId !== undefined && g.portalId !== portalId) continue;
      this.accessTokens.delete(t);
      n++;
    }
    return n;
  }

  installedPortals(): number[] {
    return [...new Set([...this.refreshTokens.values()].map((g) => g.portalId))].sort((a, b) => a - b);
  }
}

function splitScopes(raw: string | undefined): string[] {
  return (raw ?? '').split(/[\s+]+/).map((s) => s.trim()).filter(Boolean);
}

/** The 401 HubSpot answers to a call made with an expired OAuth token. */
export function expiredAuthentication(expiredMs: number): HubSpotHttpError {
  const minutes = Math.max(0, Math.floor(expiredMs / 60_000));
  return new HubSpotHttpError(401, 'EXPIRED_AUTHENTICATION', `The OAuth token used to make this call expired ${minutes} minute(s) ago.`);
}
