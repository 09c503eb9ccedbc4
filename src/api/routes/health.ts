import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { metricsText, type ContainerMetrics } from '../../metrics.ts';
import { bearerToken } from '../auth.ts';
import { withDeadline } from '../../core/deadline.ts';

const Readiness = z.object({
  status: z.enum(['ready', 'not_ready']),
  checks: z.array(z.object({ name: z.string(), ok: z.boolean(), ms: z.number().optional(), error: z.string().optional() })),
});

export interface ReadinessCheck {
  name: string;
  check: () => Promise<void>;
}

/**
 * `/healthz`: the process is alive. `/readyz`: every configured backend answers (503 naming the failing ones).
 * `/metrics`: Prometheus text format; with `metricsToken` (METRICS_TOKEN) only for `Authorization: Bearer <token>`
 * (401 otherwise), since its per-portal series then name portals. Without a token the container counts every
 * portal under portal="all" (ContainerMetrics `ids: false`), so an open /metrics names none.
 */
export const healthRoutes: FastifyPluginAsync<{ checks: ReadinessCheck[]; metrics?: ContainerMetrics | undefined; metricsToken?: string | undefined }> = async (app, opts) => {
  const allowed = metricsGuard(opts.metricsToken);
  app.get(
    '/healthz',
    { config: { auth: 'public' }, schema: { tags: ['operations'], summary: 'Liveness: the process answers', response: { 200: z.object({ status: z.literal('ok') }) } } },
    async () => ({ status: 'ok' as const }),
  );

  app.get(
    '/readyz',
    {
      config: { auth: 'public' },
      schema: { tags: ['operations'], summary: 'Readiness: every configured backend answers (503 names the failing ones)', response: { 200: Readiness, 503: Readiness } },
    },
    async (_req, reply) => {
      const results = await Promise.all(
        opts.checks.map(async (c) => {
          const started = performance.now();
          try {
            await withDeadline(c.check(), 3_000, `${c.name} did not answer within 3000 ms`);
            return { name: c.name, ok: true, ms: Math.round(performance.now() - started) };
          } catch (err) {
            return { name: c.name, ok: false, error: err instanceof Error ? err.message : String(err) };
          }
        }),
      );
      const ok = results.every((r) => r.ok);
      return reply.status(ok ? 200 : 503).send({ status: ok ? 'ready' : 'not_ready', checks: results });
    },
  );

  app.get('/metrics', { config: { auth: 'public' }, schema: { hide: true } }, async (req, reply) => {
    if (!allowed(req.headers.authorization)) {
      return reply
        .status(401)
        .header('www-authenticate', 'Bearer realm="metrics"')
        .send({ error: { code: 'UNAUTHORIZED', message: 'METRICS_TOKEN is set: scrape /metrics with Authorization: Bearer <METRICS_TOKEN>', requestId: req.id } });
    }
    const { contentType, body } = await metricsText(opts.metrics);
    return reply.type(contentType).send(body);
  });
};

/** Whether a request's Authorization header may read /metrics: any without a token, the bearer token's only with one. */
function metricsGuard(token: string | undefined): (authorization: string | undefined) => boolean {
  if (!token) return () => true;
  const digest = (s: string) => createHash('sha256').update(s).digest();
  const want = digest(token);
  return (authorization) => {
    const given = bearerToken(authorization);
    // Digests have one length, so the comparison takes the same time whatever was sent.
    return given !== undefined && timingSafeEqual(digest(given), want);
  };
}

