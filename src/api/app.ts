import crypto from 'node:crypto';
import Fastify, { type FastifyError, type FastifyInstance, type FastifyPluginAsync } from 'fastify';
import cookie from '@fastify/cookie';
import helmet from '@fastify/helmet';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import {
  hasZodFastifySchemaValidationErrors,
  jsonSchemaTransform,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import { silentLogger, type Logger } from '../logging.ts';
import { ApiError } from './errors.ts';
import { healthRoutes, type ReadinessCheck } from './routes/health.ts';
import { requestSerializer } from './request-log.ts';
import { ROLE_RANK, type ApiToken } from './route-options.ts';
import { sessionRoutes } from './routes/session.ts';
import { SESSION_COOKIE, verifySession } from './session.ts';

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
  /** Requests per minute per token (or per IP for public routes). */
  rateLimitPerMinute?: number;
  readiness?: ReadinessCheck[];
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
  const app = Fastify({
    // The access log never carries a credential or an e-mail address from a query string (request-log.ts).
    loggerInstance: logger.child({}, { serializers: { req: requestSerializer } }),
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && /^[\w.-]{1,128}$/.test(given) ? given : crypto.randomUUID();
    },
    requestIdHeader: false,
    bodyLimit: 1_048_576,
    trustProxy: true,
  }).withTypeProvider<ZodTypeProvider>();

  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);

  app.addHook('onSend', async (req, reply) => {
    reply.header('x-request-id', req.id);
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

  const tokenIndex = new Map(deps.tokens.map((t) => [sha256(t.token), t]));
  const tokensByName = new Map(deps.tokens.map((t) => [t.name, t]));
  const bearerOf = (authorization: string | undefined) => {
    if (!authorization?.startsWith('Bearer ')) return undefined;
    return tokenIndex.get(sha256(authorization.slice('Bearer '.length).trim()));
  };
  const sessionOf = (req: { cookies?: Record<string, string | undefined> }) => {
    const check = verifySession(req.cookies?.[SESSION_COOKIE], tokensByName, now());
    return check.ok ? check.principal : undefined;
  };
  const principalOf = (req: { headers: { authorization?: string }; cookies?: Record<string, string | undefined> }) =>
    bearerOf(req.headers.authorization) ?? sessionOf(req);

  await app.register(rateLimit, {
    max: deps.rateLimitPerMinute ?? 600,
    timeWindow: 60_000,
    keyGenerator: (req) => principalOf(req)?.name ?? `ip:${req.ip}`,
    // Webhooks are HubSpot's retries: never rate-limit them (a 429 only makes HubSpot retry later anyway).
    allowList: (req) => req.url.startsWith('/webhooks/') || req.url === '/healthz' || req.url === '/metrics',
    errorResponseBuilder: (_req, ctx) =>
      new ApiError('RATE_LIMITED', `Rate limit of ${ctx.max} requests per minute exceeded; retry in ${Math.ceil(ctx.ttl / 1000)} s`),
  });

  app.addHook('onRequest', async (req) => {
    const required = req.routeOptions.config?.auth ?? 'admin';
    if (required === 'public' || req.routeOptions.url === undefined) return;
    if (tokenIndex.size === 0) {
      throw new ApiError('UNAUTHORIZED', 'No API tokens are configured: set API_TOKENS (token:role pairs) to use the API');
    }
    const bearer = bearerOf(req.headers.authorization);
    const principal = bearer ?? sessionOf(req);
    if (!principal) throw new ApiError('UNAUTHORIZED', 'Missing or invalid bearer token (Authorization: Bearer <token>) or review-page session');
    if (!bearer && !SAFE_METHODS.has(req.method) && !sameOrigin(req.headers.origin, req.host)) {
      // The cookie is SameSite=Strict already; a cross-origin write with it is refused all the same.
      throw new ApiError('FORBIDDEN', 'Cross-origin request with a session cookie refused');
    }
    if (ROLE_RANK[principal.role] < ROLE_RANK[required]) {
      throw new ApiError('FORBIDDEN', `This route needs the ${required} role; your token has ${principal.role}`);
    }
    req.principal = { name: principal.name, role: principal.role };
  });

  app.setErrorHandler((err: FastifyError | ApiError, req, reply) => {
    const { status, code, message, details } = toApiError(err);
    if (status >= 500) req.log.error({ err }, 'request failed');
    else req.log.debug({ code, message }, 'request rejected');
    void reply.status(status).send({ error: { code, message, ...(details === undefined ? {} : { details }), requestId: req.id } });
  });

  app.setNotFoundHandler((req, reply) => {
    void reply.status(404).send({ error: { code: 'NOT_FOUND', message: `No route ${req.method} ${req.url.split('?')[0]}`, requestId: req.id } });
  });

  // swagger-ui's own routes are public documentation.
  app.addHook('onRoute', (route) => {
    if (route.url.startsWith('/docs')) route.config = { ...(route.config ?? {}), auth: 'public' };
  });
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'hubspot-ai',
        description: 'AI layer on top of HubSpot: account context, similar accounts, generation, reviews, audit.',
        version: deps.version ?? '0.1.0',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
    transform: jsonSchemaTransform,
  });
  await app.register(swaggerUi, { routePrefix: '/docs', uiConfig: { docExpansion: 'list' } });

  await app.register(healthRoutes, { checks: deps.readiness ?? [] });
  await app.register(sessionRoutes, { tokens: deps.tokens, now });
  for (const group of deps.routes ?? []) {
    await app.register(group.plugin, group.opts ?? {});
  }
  return app as unknown as FastifyInstance;
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

function sha256(s: string): string {
  return crypto.createHash('sha256').update(s).digest('hex');
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
  if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
    return { status: e.statusCode, code: 'BAD_REQUEST', message: e.message };
  }
  return { status: 500, code: 'INTERNAL', message: 'Internal error; see the server log with this request id' };
}
