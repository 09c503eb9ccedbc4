import Fastify, { type FastifyInstance } from 'fastify';
import { serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import { healthRoutes } from '../api/routes/health.ts';
import type { Container } from './container.ts';

/**
 * `worker`'s own small HTTP listener: `/metrics` (job durations, HubSpot calls and 429s, tokens, cost, decisions,
 * queue depth), `/healthz` and `/readyz`, so Prometheus and the orchestrator see workers as they see the API.
 */
export async function startWorkerListener(c: Container, opts: { port: number; host: string }): Promise<FastifyInstance> {
  const app = Fastify({ logger: false });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  await app.register(healthRoutes, { checks: c.readiness(), metrics: c.metrics, metricsToken: c.config.METRICS_TOKEN });
  app.setNotFoundHandler((req, reply) => {
    void reply.status(404).send({ error: { code: 'NOT_FOUND', message: `No route ${req.method} ${req.url.split('?')[0]} (worker: /metrics, /healthz, /readyz)`, requestId: req.id } });
  });
  await app.listen({ port: opts.port, host: opts.host });
  return app;
}
