import { Client } from '@hubspot/api-client';
import { AppError } from '../errors.ts';

/**
 * HubSpot's OAuth token endpoints through `@hubspot/api-client` (`/oauth/v1/token`, `/oauth/v1/access-tokens`).
 * Failures become typed errors: a refused grant (the code or refresh token is no longer good: HubSpot's
 * `BAD_REFRESH_TOKEN`, `BAD_AUTH_CODE`, `invalid_grant`) is final; anything else may pass on a later try.
 * Messages carry HubSpot's `status` and `message`, never a token.
 */

export class OAuthGrantRejectedError extends AppError {
  constructor(
    readonly hubspotStatus: string,
    message: string,
    opts: { cause?: unknown } = {},
  ) {
    super('OAUTH_GRANT_REJECTED', message, opts);
  }
}

export class OAuthUnavailableError extends AppError {
  constructor(message: string, opts: { cause?: unknown } = {}) {
    super('OAUTH_UNAVAILABLE', message, opts);
  }
}

export interface TokenGrant {
  accessToken: string;
  refreshToken: string;
  expiresInSec: number;
}

export interface AccessTokenInfo {
  portalId: string;
  appId: string;
  scopes: string[];
  expiresInSec: number;
}

export interface OAuthApp {
  clientId: string;
  clientSecret: string;
  redirectUri: string;
}

/** What the token manager needs from HubSpot; the real one is below, tests may run it against the sandbox. */
export interface HubSpotOAuthApi {
  exchangeCode(code: string): Promise<TokenGrant>;
  refresh(refreshToken: string): Promise<TokenGrant>;
  inspect(accessToken: string): Promise<AccessTokenInfo>;
}

const GRANT_REFUSED = new Set(['BAD_REFRESH_TOKEN', 'BAD_AUTH_CODE', 'BAD_REDIRECT_URI', 'invalid_grant', 'BAD_CLIENT_ID', 'BAD_CLIENT_SECRET', 'BAD_GRANT_TYPE']);

function mapError(err: unknown, what: string): Error {
  const e = err as { code?: unknown; body?: unknown };
  if (typeof e?.code === 'number') {
    const body = (typeof e.body === 'string' ? safeJson(e.body) : e.body) as { status?: unknown; message?: unknown; error?: unknown } | undefined;
    const status = typeof body?.status === 'string' ? body.status : typeof body?.error === 'string' ? body.error : String(e.code);
    const message = typeof body?.message === 'string' ? body.message : `HTTP ${e.code}`;
    if (e.code >= 400 && e.code < 500 && (GRANT_REFUSED.has(status) || e.code === 400)) {
      return new OAuthGrantRejectedError(status, `HubSpot refused the ${what} (${e.code} ${status}: ${message})`, { cause: err });
    }
    return new OAuthUnavailableError(`HubSpot's OAuth endpoint failed during the ${what} (${e.code} ${status}: ${message})`, { cause: err });
  }
  return new OAuthUnavailableError(`HubSpot's OAuth endpoint could not be reached during the ${what}: ${(err as Error)?.message ?? String(err)}`, { cause: err });
}

function safeJson(s: string): unknown {
  try {
    return JSON.parse(s) as unknown;
  } catch {
    return undefined;
  }
}

export function createHubSpotOAuthApi(baseUrl: string, app: OAuthApp): HubSpotOAuthApi {
  // No limiter and no SDK retries: a refresh is one request, and a failed one is decided by the caller.
  const client = new Client({ basePath: baseUrl.replace(/\/+$/, ''), numberOfApiCallRetries: 0 });
  const tokens = client.oauth.tokensApi;
  const accessTokens = client.oauth.accessTokensApi;
  const grant = (t: { accessToken: string; refreshToken: string; expiresIn: number }): TokenGrant => ({
    accessToken: t.accessToken,
    refreshToken: t.refreshToken,
    expiresInSec: Number(t.expiresIn),
  });
  return {
    async exchangeCode(code) {
      try {
        return grant(await tokens.create('authorization_code', code, app.redirectUri, app.clientId, app.clientSecret));
      } catch (err) {
        throw mapError(err, 'authorization code exchange');
      }
    },
    async refresh(refreshToken) {
      try {
        return grant(await tokens.create('refresh_token', undefined, undefined, app.clientId, app.clientSecret, refreshToken));
      } catch (err) {
        throw mapError(err, 'token refresh');
      }
    },
    async inspect(accessToken) {
      try {
        const info = await accessTokens.get(accessToken);
        return { portalId: String(info.hubId), appId: String(info.appId), scopes: info.scopes, expiresInSec: Number(info.expiresIn) };
      } catch (err) {
        throw mapError(err, 'access token lookup');
      }
    },
  };
}
