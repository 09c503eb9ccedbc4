import crypto from 'node:crypto';
import Fastify, { type FastifyError, type FastifyInstance, type FastifyPluginAsync } from 'fastify';
import cookie from '@fastify/cookie';
import helmet from '@fastify/helmet';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import {
  hasZodFastifySchemaValidationErrors,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import { AppError } from '../errors.ts';
import { logSerializers, silentLogger, type Logger } from '../logging.ts';
import { ContainerMetrics } from '../metrics.ts';
import { NO_TRACING, type Tracing } from '../tracing.ts';
import { documentRoute, openApiTransform, SECURITY_SCHEMES } from './openapi.ts';
import { traceRoute } from './trace-route.ts';
import { registerSecurity } from './auth.ts';
import { ApiError } from './errors.ts';
import { answerMethodNotAllowed } from './method-not-allowed.ts';
import { releaseHolds } from './tenancy.ts';
import { healthRoutes, type ReadinessCheck } from './routes/health.ts';
import type { ApiToken, RouteEntry } from './route-options.ts';
import { sessionRoutes } from './routes/session.ts';

export type { ApiToken } from './route-options.ts';

/** A route group to mount: a fastify plugin and its options (the composition root decides which exist). */
export interface RouteGroup {
  name: string;
  // Each group has its own options type; the composition root pairs them.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  plugin: FastifyPluginAsync<any>;
  opts?: Record<string, unknown>;
}

export interface AppDeps {
  tokens: ApiToken[];
  logger?: Logger;
  /** Requests per minute per token (or per client address for anonymous requests and failed logins). */
  rateLimitPerMinute?: number;
  /** TRUST_PROXY: false (default), a hop count, or proxy addresses/CIDRs allowed to set X-Forwarded-For. */
  trustProxy?: false | number | string[];
  readiness?: ReadinessCheck[];
  /** The container's metrics, counted by the app (HTTP durations) and served on /metrics; default a fresh set of the app's own. */
  containerMetrics?: ContainerMetrics;
  /** METRICS_TOKEN: /metrics answers only `Authorization: Bearer <it>` (401 otherwise); unset, /metrics is open. */
  metricsToken?: string | undefined;
  /** The container's tracing: with it on, each route handler runs in a span. */
  tracing?: Tracing;
  routes?: RouteGroup[];
  /** Advertised in the OpenAPI document. */
  version?: string;
  /** Clock for session expiry (tests). */
  now?: () => number;
}

/**
 * Builds the fastify app without listening: `buildApp(deps)` for tests (`app.inject`), `listen` in `serve`.
 * Every route declares `config.auth` (a role or 'public'); undeclared routes require `admin`.
 */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const logger = deps.logger ?? silentLogger;
  const now = deps.now ?? Date.now;
  const metrics = deps.containerMetrics ?? new ContainerMetrics();
  const tracing = deps.tracing ?? NO_TRACING;
  const app = Fastify({
    // The access log never carries a credential or an e-mail address from a query string, whichever logger the
    // caller passed (logging.ts).
    loggerInstance: logger.child({}, { serializers: { req: logSerializers.req! } }),
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && /^[\w.-]{1,128}$/.test(given) ? given : crypto.randomUUID();
    },
    requestIdHeader: false,
    bodyLimit: 1_048_576,
    trustProxy: trustProxyOption(deps.trustProxy ?? false),
  }).withTypeProvider<ZodTypeProvider>();

  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);

  app.addHook('onSend', async (req, reply) => {
    reply.header('x-request-id', req.id);
    // The handler is done with its portal: a purge waiting for it may start (api/tenancy.ts).
    releaseHolds(req);
  });
  app.addHook('onResponse', async (req, reply) => {
    releaseHolds(req);
    metrics.httpDuration.observe({ method: req.method, route: req.routeOptions.url ?? 'unmatched', status_code: String(reply.statusCode) }, reply.elapsedTime / 1000);
  });

  await app.register(helmet, {
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:'],
        connectSrc: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        // helmet's default adds `upgrade-insecure-requests`, which makes a browser fetch every script and
        // stylesheet over HTTPS: a service published over plain HTTP (docker-compose, a LAN host name) would
        // serve blank pages. It is added below only when the request itself came over HTTPS.
        upgradeInsecureRequests: null,
      },
    },
  });
  app.addHook('onSend', async (req, reply) => {
    const csp = reply.getHeader('content-security-policy');
    if (req.protocol === 'https' && typeof csp === 'string' && !csp.includes('upgrade-insecure-requests')) {
      reply.header('content-security-policy', `${csp};upgrade-insecure-requests`);
    }
  });
  await app.register(cookie);
  answerMethodNotAllowed(app as unknown as FastifyInstance);

  await registerSecurity(app as unknown as FastifyInstance, {
    tokens: deps.tokens,
    perMinute: deps.rateLimitPerMinute ?? 600,
    unlimited: (req) => req.url.startsWith('/webhooks/') || PROBES.has(req.url),
    now,
  });

  app.setErrorHandler((err: FastifyError | ApiError, req, reply) => {
    const { status, code, message, details } = toApiError(err);
    if (status >= 500) req.log.error({ err }, 'request failed');
    else req.log.debug({ code, message }, 'request rejected');
    if (err instanceof ApiError && err.headers) void reply.headers(err.headers);
    void reply.status(status).send({ error: { code, message, ...(details === undefined ? {} : { details }), requestId: req.id } });
  });

  app.setNotFoundHandler((req, reply) => {
    void reply.status(404).send({ error: { code: 'NOT_FOUND', message: `No route ${req.method} ${req.url.split('?')[0]}`, requestId: req.id } });
  });

  // The route table: tests probe every route from it (test/tenancy), not from a hand-kept list.
  const routeTable: RouteEntry[] = [];
  app.decorate('routeTable', routeTable);
  // swagger-ui's own routes are public documentation; every other route gets its operationId and error responses.
  app.addHook('onRoute', (route) => {
    for (const method of Array.isArray(route.method) ? route.method : [route.method]) {
      if (method !== 'HEAD') routeTable.push({ method, url: route.url, auth: route.config?.auth ?? (route.url.startsWith('/docs') ? 'public' : 'admin'), hidden: route.schema?.hide === true });
    }
    if (route.url.startsWith('/docs')) route.config = { ...(route.config ?? {}), auth: 'public' };
    else documentRoute(route);
    if (tracing.enabled && !PROBES.has(route.url)) traceRoute(route, tracing);
  });
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'hubspot-ai',
        description: 'AI layer on top of HubSpot: account context, similar accounts, generation, reviews, audit.',
        version: deps.version ?? '0.1.0',
      },
      components: { securitySchemes: SECURITY_SCHEMES },
      security: [{ bearer: [] }],
    },
    transform: openApiTransform,
  });
  await app.register(swaggerUi, { routePrefix: '/docs', uiConfig: { docExpansion: 'list' } });

  await app.register(healthRoutes, { checks: deps.readiness ?? [], metrics, metricsToken: deps.metricsToken });
  await app.register(sessionRoutes, { tokens: deps.tokens, now });
  for (const group of deps.routes ?? []) {
    await app.register(group.plugin, group.opts ?? {});
  }
  return app as unknown as FastifyInstance;
}

const PROBES = new Set(['/healthz', '/readyz', '/metrics']);

const OUTAGE_CODES = /UNAVAILABLE|UNREACHABLE|TRANSIENT|RATE_LIMITED|DAILY_LIMIT|CONNECT/;
const SOCKET_ERRORS = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN']);

/** A dependency that refused, timed out or is rate-limiting us (typed by our adapters, or a raw socket error). */
function isBackendOutage(err: unknown): boolean {
  if (err instanceof AppError) return OUTAGE_CODES.test(err.code) || (err as { retryable?: unknown }).retryable === true;
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && SOCKET_ERRORS.has(code);
}

/** A hop count trusts that many proxies in front of us (proxy-addr's rule, as a function for fastify's types). */
function trustProxyOption(t: false | number | string[]): boolean | string[] | ((addr: string, hop: number) => boolean) {
  return typeof t === 'number' ? (_addr: string, hop: number) => hop < t : t;
}

function toApiError(err: unknown): { status: number; code: string; message: string; details?: unknown } {
  if (err instanceof ApiError) return { status: err.statusCode, code: err.code, message: err.message, details: err.details };
  const e = err as FastifyError & { validation?: unknown };
  if (hasZodFastifySchemaValidationErrors(e)) {
    const where = e.validationContext ?? 'request';
    const issues = e.validation.map((v) => {
      const path = v.instancePath?.replace(/^\//, '').replace(/\//g, '.') || where;
      return `${where === 'body' || where === 'querystring' || where === 'params' ? `${where}.` : ''}${path}: ${v.message}`;
    });
    return { status: 400, code: 'VALIDATION_FAILED', message: `Invalid request: ${issues.join('; ')}`, details: e.validation };
  }
  switch (e.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return { status: 413, code: 'PAYLOAD_TOO_LARGE', message: 'Request body is too large' };
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return { status: 415, code: 'UNSUPPORTED_MEDIA_TYPE', message: e.message };
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return { status: 400, code: 'INVALID_JSON', message: 'Body is empty but Content-Type is application/json' };
    default:
      break;
  }
  if (e.statusCode === 400 && /JSON/i.test(e.message)) return { status: 400, code: 'INVALID_JSON', message: `Malformed JSON: ${e.message}` };
  if (e.statusCode === 429) return { status: 429, code: 'RATE_LIMITED', message: e.message };
  if (isBackendOutage(err)) {
    // A backend that is down or overloaded is the caller's cue to retry, not an internal error.
    const which = err instanceof AppError ? ` (${err.code})` : '';
    return { status: 503, code: 'UNAVAILABLE', message: `A backend is unavailable${which}; retry later` };
  }
  if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
    return { status: e.statusCode, code: 'BAD_REQUEST', message: e.message };
  }
  return { status: 500, code: 'INTERNAL', message: 'Internal error; see the server log with this request id' };
}
