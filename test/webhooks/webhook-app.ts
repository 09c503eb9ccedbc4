import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import { ApiError } from '../../src/api/errors.ts';
import { jobRoutes } from '../../src/api/routes/jobs.ts';
import { webhookRoutes, type WebhookRoutesOptions } from '../../src/api/routes/webhooks.ts';
import type { JobQueue } from '../../src/queue/queue.ts';
import { signV3 } from '../../src/webhooks/verify-signature.ts';

export const CLIENT_SECRET = 'test-client-secret';
export const PUBLIC_URL = 'https://hooks.example.com';

/**
 * A plain fastify app with our route plugins and the minimal `{ error: { code, message } }` rendering the real
 * app's error handler does (the real one lives in src/api/app.ts and is not ours to test here).
 */
export async function buildWebhookApp(queue: JobQueue, over: Partial<WebhookRoutesOptions> = {}): Promise<FastifyInstance> {
  const app = Fastify({ logger: false });
  app.setErrorHandler((err: FastifyError | ApiError, _req, reply) => {
    if (err instanceof ApiError) return reply.status(err.statusCode).send({ error: { code: err.code, message: err.message } });
    const status = err.statusCode ?? 500;
    const code = err.validation ? 'VALIDATION_FAILED' : status === 413 ? 'PAYLOAD_TOO_LARGE' : 'INTERNAL';
    return reply.status(status).send({ error: { code, message: err.message } });
  });
  await app.register(webhookRoutes, {
    queue,
    clientSecret: CLIENT_SECRET,
    allowedVersions: ['v3'],
    publicUrl: PUBLIC_URL,
    maxBodyBytes: 64 * 1024,
    ...over,
  });
  await app.register(jobRoutes, { queue });
  return app;
}

/** Headers of a v3-signed POST of `body` to `path`, signed at `ts`. */
export function v3Headers(path: string, body: string, ts: number, secret = CLIENT_SECRET, publicUrl = PUBLIC_URL): Record<string, string> {
  return {
    'content-type': 'application/json',
    'x-hubspot-signature-v3': signV3({ method: 'POST', uri: `${publicUrl}${path}`, rawBody: body, timestamp: ts, clientSecret: secret }),
    'x-hubspot-request-timestamp': String(ts),
  };
}

let nextEventId = 1;
export function event(over: Record<string, unknown>): Record<string, unknown> {
  return {
    eventId: nextEventId++,
    subscriptionId: 11,
    portalId: 62515,
    appId: 4242,
    occurredAt: 1_736_942_400_000,
    attemptNumber: 0,
    changeSource: 'CRM_UI',
    ...over,
  };
}
