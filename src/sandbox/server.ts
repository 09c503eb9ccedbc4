import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import type { SandboxContext } from './context.ts';
import { HubSpotHttpError, missingScopes, notFound, rateLimited, unauthorized, validationError } from './hubspot-errors.ts';
import { requiredScopes } from './scopes.ts';
import { Rng } from './prng.ts';
import { RollingWindowLimiter } from './rate-limiter.ts';
import { adminRoutes, type AdminHooks } from './routes/admin.ts';
import { associationRoutes } from './routes/associations.ts';
import { objectRoutes } from './routes/objects.ts';
import { portalRoutes } from './routes/portal.ts';
import { propertyRoutes } from './routes/properties.ts';
import { workflowActionRoutes } from './routes/workflow-actions.ts';
import type { ActionExecutions } from './action-executions.ts';

export interface ServerOptions {
  rateLimit: number;
  searchRate: number;
  faultRate: number;
  latencyMs: number;
  /** Requests per token per day; past it every call answers 429 DAILY until the limits are reset. */
  dailyLimit: number;
  /** Tokens with only some scopes (see scopes.ts); `ctx.token` has every scope. */
  scopedTokens: Record<string, string[]>;
  seed: number;
}
const FAULTS = [500, 502, 504] as const;

function isSearch(req: FastifyRequest): boolean {
  return req.method === 'POST' && /\/crm\/v3\/objects\/[^/]+\/search$/.test(req.url.split('?')[0] ?? '');
}

/** Waits `ms`, but not for a client that hung up (so closing the server never waits on a long latency). */
function delayWhileConnected(req: FastifyRequest, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      req.raw.socket?.off('close', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    req.raw.socket?.once('close', done);
  });
}

/**
 * The HubSpot-compatible HTTP server. Requests under /_sandbox are the harness's own (no auth, no limits);
 * everything else passes auth, the rate limiters and the fault injector in that order, like a real portal.
 */
export interface FaultSettings {
  faultRate: number;
  latencyMs: number;
  /**
   * Fails the next `times` requests of one route (`POST /crm/v3/objects/:objectType`) with `status`. With
   * `afterHandling` the request is carried out first and only its answer is lost: HubSpot made the note, the
   * client saw a 500 (what a caller's idempotency has to survive).
   */
  failRoute?: { route: string; status: number; times: number; afterHandling?: boolean };
}

export function buildSandboxServer(
  ctx: SandboxContext,
  opts: ServerOptions,
  hooks?: Omit<AdminHooks, 'faults' | 'newDay'>,
  extra: { actions?: ActionExecutions } = {},
): { app: FastifyInstance; resetLimits: () => void; newDay: () => void; faults: FaultSettings } {
  // Fault injection can be changed while running (PUT /_sandbox/faults), e.g. a portal that slows down mid-test.
  const faults: FaultSettings = { faultRate: opts.faultRate, latencyMs: opts.latencyMs };
  const app = Fastify({ logger: false, bodyLimit: 20 * 1024 * 1024, routerOptions: { ignoreTrailingSlash: true } });
  const tenSecondly = new RollingWindowLimiter(opts.rateLimit, 10_000);
  const secondly = new RollingWindowLimiter(opts.searchRate, 1_000);
  let faultRng = new Rng(opts.seed).fork('faults');
  // Like HubSpot, not every 429 says when to come back: about half carry no Retry-After (seeded).
  let retryAfterRng = new Rng(opts.seed).fork('retry-after');
  const daily = new Map<string, number>();

  // HubSpot accepts an empty body with a JSON content type (the client sends one on DELETE).
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    if (text.trim() === '') return done(null, undefined);
    try {
      done(null, JSON.parse(text));
    } catch {
      done(validationError('Invalid input JSON on line 1: the request body is not valid JSON.'), undefined);
    }
  });

  const answerLost = new WeakSet<object>();
  app.addHook('onRequest', async (req, reply) => {
    if (req.url.startsWith('/_sandbox')) return;
    ctx.counters.requests++;
    const targeted = faults.failRoute;
    if (targeted && targeted.times > 0 && `${req.method} ${req.routeOptions.url ?? ''}` === targeted.route) {
      targeted.times -= 1;
      if (!targeted.afterHandling) throw new HubSpotHttpError(targeted.status, 'INTERNAL_ERROR', 'Internal error (injected by the sandbox)');
      answerLost.add(req);
    }
    const auth = req.headers.authorization;
    if (!auth) throw unauthorized(true);
    // The scheme is case-insensitive (RFC 9110 §11.1), as HubSpot treats it: `bearer x` is the same credential.
    const token = /^bearer +(\S+)\s*$/i.exec(auth)?.[1] ?? '';
    const scopes = token === ctx.token ? undefined : opts.scopedTokens[token];
    if (token !== ctx.token && !scopes) throw unauthorized(false);
    if (scopes) {
      const missing = requiredScopes(req.method, req.url).filter((s) => !scopes.includes(s));
      if (missing.length > 0) throw missingScopes(missing);
    }
    const now = Date.now();
    const used = daily.get(token) ?? 0;
    const dailyHeaders = { 'x-hubspot-ratelimit-daily': String(opts.dailyLimit), 'x-hubspot-ratelimit-daily-remaining': String(Math.max(0, opts.dailyLimit - used)) };
    if (used >= opts.dailyLimit) throw rateLimited('DAILY', dailyHeaders);
    if (isSearch(req)) {
      const s = secondly.take(token, now);
      if (!s.allowed) throw rateLimited('SECONDLY', {});
      daily.set(token, used + 1);
    } else {
      const r = tenSecondly.take(token, now);
      // With the limit off there is no burst window to advertise (a max of 0 would read as "no budget").
      const headers: Record<string, string> = {
        ...(opts.rateLimit > 0
          ? {
              'x-hubspot-ratelimit-max': String(opts.rateLimit),
              'x-hubspot-ratelimit-remaining': String(r.remaining),
              'x-hubspot-ratelimit-interval-milliseconds': '10000',
            }
          : {}),
        ...dailyHeaders,
      };
      if (!r.allowed) {
        throw rateLimited('TEN_SECONDLY_ROLLING', retryAfterRng.next() < 0.5 ? { ...headers, 'retry-after': String(Math.ceil(r.retryAfterMs / 1000)) } : headers);
      }
      daily.set(token, used + 1);
      void reply.headers({ ...headers, 'x-hubspot-ratelimit-daily-remaining': String(Math.max(0, opts.dailyLimit - used - 1)) });
    }
    if (faults.latencyMs > 0) await delayWhileConnected(req, faults.latencyMs);
    if (faults.faultRate > 0 && faultRng.next() < faults.faultRate) {
      const status = faultRng.pick(FAULTS);
      throw new HubSpotHttpError(status, 'INTERNAL_ERROR', status === 504 ? 'Gateway timeout' : 'Internal error (injected by the sandbox)');
    }
  });

  app.addHook('onSend', async (req, reply, payload) => {
    if (!answerLost.has(req)) return payload;
    const status = faults.failRoute?.status ?? 500;
    void reply.code(status);
    return JSON.stringify(new HubSpotHttpError(status, 'INTERNAL_ERROR', 'Internal error (injected by the sandbox after the request was carried out)').body);
  });

  app.addHook('onResponse', async (req, reply) => {
    if (req.url.startsWith('/_sandbox')) return;
    if (reply.statusCode === 429) ctx.counters.http429++;
    const route = `${req.method} ${req.routeOptions.url ?? 'unknown'}`;
    ctx.counters.byRoute[route] = (ctx.counters.byRoute[route] ?? 0) + 1;
  });

  app.setErrorHandler(async (err, _req, reply) => {
    if (err instanceof HubSpotHttpError) {
      void reply.headers(err.headers);
      return reply.status(err.status).send(err.body);
    }
    const e = err as { statusCode?: number; message?: string };
    if (e.statusCode && e.statusCode >= 400 && e.statusCode < 500) {
      const v = validationError(e.message ?? 'Invalid request');
      return reply.status(e.statusCode).send(v.body);
    }
    ctx.logger.error({ err }, 'sandbox: unhandled error');
    const internal = new HubSpotHttpError(500, 'INTERNAL_ERROR', 'Internal error');
    return reply.status(500).send(internal.body);
  });

  app.setNotFoundHandler(async (req, reply) => {
    const e = notFound(`Unable to route ${req.method} ${req.url.split('?')[0]}: this endpoint is not part of the sandbox.`);
    return reply.status(404).send(e.body);
  });

  void app.register(objectRoutes(ctx));
  void app.register(associationRoutes(ctx));
  void app.register(propertyRoutes(ctx));
  void app.register(portalRoutes(ctx));
  const newDay = () => daily.clear();
  void app.register(adminRoutes(ctx, hooks ? { ...hooks, faults, newDay } : undefined));
  if (extra.actions) void app.register(workflowActionRoutes(extra.actions));

  return {
    app,
    faults,
    newDay,
    resetLimits: () => {
      tenSecondly.reset();
      secondly.reset();
      faultRng = new Rng(opts.seed).fork('faults');
      retryAfterRng = new Rng(opts.seed).fork('retry-after');
      daily.clear();
    },
  };
}
