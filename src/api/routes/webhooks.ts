import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { apiError } from '../errors.ts';
import '../route-options.ts';
import { withDeadline } from '../../core/deadline.ts';
import { errorMessage } from '../../errors.ts';
import { classifyEvent } from '../../events/classify-event.ts';
import { silentLogger, type Logger } from '../../logging.ts';
import { ContainerMetrics } from '../../metrics.ts';
import type { WebhookBatchPayload } from '../../queue/jobs.ts';
import type { HubSpotEvent } from '../../webhooks/hubspot-event.ts';
import type { ForegroundGate } from '../../queue/foreground.ts';
import type { JobQueue } from '../../queue/queue.ts';
import { parseWebhookBatch } from '../../webhooks/event-schema.ts';
import { readRawBody } from '../raw-body.ts';
import { verifyHubSpotSignature, type SignatureVersion } from '../../webhooks/verify-signature.ts';
import { parseWorkflowDelivery } from '../../webhooks/workflow-schema.ts';

export interface WebhookRoutesOptions {
  queue: JobQueue;
  /** HUBSPOT_CLIENT_SECRET; without it every delivery is refused (401). */
  clientSecret?: string;
  /** WEBHOOK_SIGNATURE_VERSIONS for the webhook endpoint; the workflow endpoint always takes v2 (and v3). */
  allowedVersions: SignatureVersion[];
  /** WEBHOOK_PUBLIC_URL: the base URL HubSpot calls, to rebuild the signed URI behind a proxy. */
  publicUrl?: string;
  /** WEBHOOK_MAX_BODY_BYTES */
  maxBodyBytes: number;
  logger?: Logger;
  /** Marks deliveries in flight so in-process workers step aside until they are answered. */
  foreground?: ForegroundGate;
  /** Injected clock for signature timestamps (tests). */
  now?: () => number;
  /** OAuth mode: handles app-uninstall events and drops events of portals without the app (src/oauth/lifecycle.ts). */
  lifecycle?: (events: HubSpotEvent[]) => Promise<{ keep: HubSpotEvent[]; dropped: number }>;
  /** The container's metrics (requests and events received); default a fresh set of the routes' own. */
  metrics?: ContainerMetrics;
  /** How long a delivery waits for the queue to record it before the answer is 503 (default JOURNAL_TIMEOUT_MS). */
  journalTimeoutMs?: number;
}

/**
 * HubSpot gives up on an answer after 5 s and retries later. The queue waits for Redis to come back (a restart, a
 * failover) rather than failing, so without a bound a delivery during an outage would hang until HubSpot's
 * timeout, with no answer of ours. 3 s leaves room for the signature check and the network.
 */
export const JOURNAL_TIMEOUT_MS = 3_000;

const WORKFLOW_VERSIONS: SignatureVersion[] = ['v2', 'v3'];

/**
 * HubSpot → us. Order matters: raw bytes ▸ signature (401, nothing recorded) ▸ JSON + schema (400) ▸ one durable
 * `webhook.batch` job ▸ 200. Everything else (dedupe, coalescing, routing) happens in the job, so the answer
 * stays fast under HubSpot's 5 s timeout and a crash after the 200 loses nothing.
 */
export const webhookRoutes: FastifyPluginAsync<WebhookRoutesOptions> = async (app, opts) => {
  const logger = opts.logger ?? silentLogger;
  const now = opts.now ?? Date.now;
  const metrics = opts.metrics ?? new ContainerMetrics();
  if (!opts.clientSecret) logger.warn('HUBSPOT_CLIENT_SECRET is not set: every webhook delivery will be refused with 401');

  // This plugin's own context: bodies stay raw bytes whatever the content type, because the signature covers
  // the exact bytes; the rest of the app keeps its JSON parser.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (req, _payload, done) => {
    readRawBody(req.raw, opts.maxBodyBytes).then(
      (buf) => done(null, buf),
      (err: unknown) => done(err as Error, undefined),
    );
  });

  if (opts.foreground) {
    const gate = opts.foreground;
    app.addHook('onRequest', async (_req, reply) => {
      // 'close' fires once the answer is written or the connection dropped: the gate never leaks a delivery.
      reply.raw.once('close', gate.enter());
    });
  }

  app.addHook('onResponse', async (req, reply) => {
    metrics.webhookRequests.inc({ endpoint: req.routeOptions.url ?? req.url, status: String(reply.statusCode) });
  });

  const verified = (req: FastifyRequest, versions: SignatureVersion[]): Buffer => {
    const rawBody = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const result = verifyHubSpotSignature({
      method: req.method,
      uri: signedUri(req, opts.publicUrl),
      rawBody,
      headers: req.headers,
      clientSecret: opts.clientSecret ?? '',
      allowedVersions: versions,
      now: now(),
    });
    if (!result.ok) {
      logger.warn({ url: req.url, reason: result.error, ip: req.ip }, 'webhook rejected: bad signature');
      throw apiError('INVALID_SIGNATURE', `webhook signature rejected: ${result.error}`);
    }
    return rawBody;
  };

  const journalTimeoutMs = opts.journalTimeoutMs ?? JOURNAL_TIMEOUT_MS;
  const journal = async (payload: WebhookBatchPayload): Promise<string> => {
    try {
      // Past the deadline the add may still complete once Redis is back; HubSpot's retry of the same delivery then
      // becomes a second job with the same events, which the event ledger drops (src/events/event-ledger.ts).
      const [id] = await withDeadline(
        opts.queue.enqueue([{ type: 'webhook.batch', payload }]),
        journalTimeoutMs,
        `the job queue did not record the delivery within ${journalTimeoutMs} ms`,
      );
      return id!;
    } catch (err) {
      // No 200 without a durable record: HubSpot retries a 503 later.
      logger.error({ err: errorMessage(err) }, 'webhook batch could not be journaled');
      throw apiError('UNAVAILABLE', 'the job queue is unavailable; retry later');
    }
  };

  app.post('/webhooks/hubspot', { config: { auth: 'public' } }, async (req) => {
    const rawBody = verified(req, opts.allowedVersions);
    const parsed = parseWebhookBatch(parseJson(rawBody));
    if (!parsed.ok) throw apiError('INVALID_WEBHOOK', parsed.error);
    const known: HubSpotEvent[] = [];
    const unknown: string[] = [];
    const lifecycle = opts.lifecycle ? await opts.lifecycle(parsed.events) : { keep: parsed.events, dropped: 0 };
    // Counted per subscription type and delivery, not per event: a counter's inc builds its label key each time.
    const accepted = new Map<string, number>();
    for (const e of lifecycle.keep) {
      if (classifyEvent(e)) {
        known.push(e);
        accepted.set(e.subscriptionType, (accepted.get(e.subscriptionType) ?? 0) + 1);
      } else {
        unknown.push(e.subscriptionType);
      }
    }
    for (const [type, n] of accepted) metrics.webhookEvents.inc({ subscription_type: type, result: 'accepted' }, n);
    for (const [type, n] of countBy(unknown)) metrics.webhookEvents.inc({ subscription_type: type, result: 'ignored' }, n);
    if (unknown.length > 0) {
      logger.info({ subscriptionTypes: [...new Set(unknown)], count: unknown.length }, 'webhook events ignored: unknown subscription type or object');
    }
    const jobId = known.length > 0 ? await journal({ source: 'webhook', receivedAt: now(), events: known }) : null;
    return { accepted: known.length, ignored: unknown.length + lifecycle.dropped, jobId };
  });

  app.post<{ Querystring: { objectType?: string; portalId?: string } }>(
    '/webhooks/hubspot/workflow',
    { config: { auth: 'public' } },
    async (req) => {
      const rawBody = verified(req, WORKFLOW_VERSIONS);
      const receivedAt = now();
      const parsed = parseWorkflowDelivery(parseJson(rawBody), req.query ?? {}, receivedAt, rawBody);
      if (!parsed.ok) throw apiError('INVALID_WEBHOOK', parsed.error);
      metrics.webhookEvents.inc({ subscription_type: parsed.event.subscriptionType, result: 'accepted' });
      const jobId = await journal({ source: 'workflow', receivedAt, events: [parsed.event] });
      return { accepted: 1, ignored: 0, jobId };
    },
  );
};

function countBy(values: string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  return counts;
}

function parseJson(raw: Buffer): unknown {
  if (raw.length === 0) throw apiError('INVALID_JSON', 'the body is empty: expected a JSON array of HubSpot events');
  try {
    return JSON.parse(raw.toString('utf8'));
  } catch (err) {
    throw apiError('INVALID_JSON', `the body is not valid JSON: ${errorMessage(err)}`);
  }
}

/**
 * The URI HubSpot signed. Behind a proxy the request's own host and scheme are not the ones HubSpot used, so
 * WEBHOOK_PUBLIC_URL (the base that, followed by the path this service sees, gives the URL HubSpot called) wins.
 */
export function signedUri(req: FastifyRequest, publicUrl: string | undefined): string {
  if (publicUrl) return `${publicUrl.replace(/\/+$/, '')}${req.url}`;
  return `${req.protocol}://${req.host}${req.url}`;
}
