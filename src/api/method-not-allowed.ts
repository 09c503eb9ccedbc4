import type { FastifyInstance } from 'fastify';
import { ApiError } from './errors.ts';

/**
 * A request to a path the API serves, with a method it does not serve there, is answered 405 with an `Allow`
 * header (RFC 9110), not 404: the path exists. Checked in `onRequest`, before authentication and before any
 * body is read, so `QUERY /v1/accounts/1/context` gets 405 instead of a body-parsing error. Also when the router
 * would fall back to a parameter route: `GET /v1/reviews/bulk` is a GET on the bulk resource (405), not a GET of
 * review "bulk".
 */
export function answerMethodNotAllowed(app: FastifyInstance): void {
  const routes: Array<{ pattern: RegExp; methods: Set<string>; literal: number }> = [];
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    const source = `^${route.url.split('/').map((part) => (part.startsWith(':') ? '[^/]+' : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))).join('/')}/?$`;
    const existing = routes.find((r) => r.pattern.source === source);
    if (existing) for (const m of methods) existing.methods.add(m);
    else routes.push({ pattern: new RegExp(source), methods: new Set(methods), literal: route.url.split('/').filter((p) => p && !p.startsWith(':')).length });
  });
  app.addHook('onRequest', async (req) => {
    // A route without parameters is already the most literal match: nothing to check (webhooks, health, metrics).
    const matched = req.routeOptions.url;
    if (matched !== undefined && !matched.includes(':')) return;
    const path = req.url.split('?')[0] ?? '/';
    // The most literal match names the resource: `/v1/reviews/bulk` is the bulk resource, not review "bulk".
    const matches = routes.filter((r) => r.pattern.test(path));
    const best = Math.max(...matches.map((r) => r.literal));
    const allowed = new Set(matches.filter((r) => r.literal === best).flatMap((r) => [...r.methods]));
    if (allowed.size === 0 || allowed.has(req.method)) return;
    const allow = [...allowed].sort().join(', ');
    throw new ApiError('METHOD_NOT_ALLOWED', `${req.method} is not served at ${path}; allowed: ${allow}`, undefined, { allow });
  });
}
