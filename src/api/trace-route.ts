import type { RouteOptions } from 'fastify';
import type { Tracing } from '../tracing.ts';

/**
 * With tracing on, each route handler runs in a span named after the route (`POST /webhooks/hubspot`), so the
 * jobs it enqueues and the calls it makes belong to the request's trace. Applied when routes are registered,
 * when the container's tracing is on; without tracing the handlers are left untouched.
 */
export function traceRoute(route: RouteOptions, tracing: Tracing): void {
  const handler = route.handler;
  const method = Array.isArray(route.method) ? route.method.join(',') : route.method;
  const name = `${method} ${route.url}`;
  route.handler = function traced(this: unknown, req, reply) {
    return tracing.withSpan(name, { 'http.request.method': req.method, 'http.route': route.url, 'request.id': req.id }, async () => handler.call(this as never, req, reply));
  };
}
