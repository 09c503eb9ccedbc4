import crypto from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import rateLimit from '@fastify/rate-limit';
import { ApiError } from './errors.ts';
import { ROLE_RANK, type ApiToken } from './route-options.ts';
import { SESSION_COOKIE, verifySession } from './session.ts';
import { mayAccess, requestedPortal } from './tenancy.ts';

/** `Authorization: Bearer <token>`; the scheme is case-insensitive (RFC 9110 §11.1). */
const BEARER = /^bearer[ \t]+([^\s]+)[ \t]*$/i;

export function bearerToken(authorization: string | undefined): string | undefined {
  if (!authorization) return undefined;
  return BEARER.exec(authorization)?.[1];
}

function sha256(s: string): string {
  return crypto.createHash('sha256').update(s).digest('hex');
}

export interface SecurityOptions {
  tokens: ApiToken[];
  /** Requests per minute per token, and per client address for anonymous requests and failed logins. */
  perMinute: number;
  /** Never rate-limited: HubSpot's deliveries (a 429 only delays its retries) and probes. */
  unlimited: (req: FastifyRequest) => boolean;
  /** Clock for review-page session expiry. */
  now: () => number;
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** A browser names the page's origin on every cross-site and every non-GET request; it must be this host. */
function sameOrigin(origin: string | undefined, host: string): boolean {
  if (origin === undefined) return true;
  try {
    return new URL(origin).host === host;
  } catch {
    return false;
  }
}

/**
 * Rate limiting, then authentication, in that order: the limiter runs in `onRequest` (route level), the role
 * check in `preParsing`, so a flood of wrong tokens is answered 429 like any other flood instead of an endless
 * stream of cheap 401s. A valid token (bearer, or the review page's session cookie) is limited per token; anything
 * else per client address (`req.ip`, which honours X-Forwarded-For only as far as TRUST_PROXY allows). Tokens are
 * compared by SHA-256 digest, so the lookup time does not depend on how much of a guess was right.
 */
export async function registerSecurity(app: FastifyInstance, opts: SecurityOptions): Promise<void> {
  const byDigest = new Map(opts.tokens.map((t) => [sha256(t.token), t]));
  const byName = new Map(opts.tokens.map((t) => [t.name, t]));
  const resolved = new WeakMap<FastifyRequest, { token: ApiToken; bearer: boolean } | null>();
  const principalOf = (req: FastifyRequest): { token: ApiToken; bearer: boolean } | undefined => {
    let p = resolved.get(req);
    if (p === undefined) {
      const raw = bearerToken(req.headers.authorization);
      const bearer = raw === undefined ? undefined : byDigest.get(sha256(raw));
      const session = bearer ? undefined : verifySession(req.cookies?.[SESSION_COOKIE], byName, opts.now());
      p = bearer ? { token: bearer, bearer: true } : session?.ok ? { token: session.principal, bearer: false } : null;
      resolved.set(req, p);
    }
    return p ?? undefined;
  };

  await app.register(rateLimit, {
    max: opts.perMinute,
    timeWindow: 60_000,
    keyGenerator: (req) => {
      const p = principalOf(req);
      return p ? `token:${sha256(p.token.token).slice(0, 16)}` : `ip:${req.ip}`;
    },
    allowList: (req) => opts.unlimited(req),
    errorResponseBuilder: (_req, ctx) =>
      new ApiError('RATE_LIMITED', `Rate limit of ${ctx.max} requests per minute exceeded; retry in ${Math.ceil(ctx.ttl / 1000)} s`),
  });

  app.addHook('preParsing', async (req) => {
    const required = req.routeOptions.config?.auth ?? 'admin';
    if (required === 'public' || req.routeOptions.url === undefined) return;
    if (byDigest.size === 0) {
      throw new ApiError('UNAUTHORIZED', 'No API tokens are configured: set API_TOKENS (token:role pairs) to use the API');
    }
    const p = principalOf(req);
    if (!p) throw new ApiError('UNAUTHORIZED', 'Missing or invalid bearer token (Authorization: Bearer <token>) or review-page session');
    if (!p.bearer && !SAFE_METHODS.has(req.method) && !sameOrigin(req.headers.origin, req.host)) {
      // The cookie is SameSite=Strict already; a cross-origin write with it is refused all the same.
      throw new ApiError('FORBIDDEN', 'Cross-origin request with a session cookie refused');
    }
    const principal = p.token;
    if (ROLE_RANK[principal.role] < ROLE_RANK[required]) {
      throw new ApiError('FORBIDDEN', `This route needs the ${required} role; your token has ${principal.role}`);
    }
    req.principal = { name: principal.name, role: principal.role, ...(principal.portals ? { portals: principal.portals } : {}) };
    // Naming a portal the token does not cover is refused on every route, before any handler reads a store.
    const named = requestedPortal(req);
    if (named !== undefined && !mayAccess(req, named)) throw new ApiError('FORBIDDEN', `this token is not allowed to see HubSpot portal ${named}`);
  });
}
