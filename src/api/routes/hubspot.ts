import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { ACTION_KEYS, ACTIONS, type ActionKey } from '../../actions/definitions.ts';
import { ExecutionRequestSchema } from '../../actions/execution-request.ts';
import type { ActionWaiters } from '../../actions/waiters.ts';
import { withDeadline } from '../../core/deadline.ts';
import { errorMessage } from '../../errors.ts';
import { silentLogger, type Logger } from '../../logging.ts';
import type { ActionExecutePayload } from '../../queue/jobs.ts';
import type { JobQueue } from '../../queue/queue.ts';
import { formatIssues } from '../../webhooks/event-schema.ts';
import { readRawBody } from '../raw-body.ts';
import { verifyHubSpotSignature, type SignatureVersion } from '../../webhooks/verify-signature.ts';
import type { WritebackSource } from '../tenancy.ts';
import { apiError } from '../errors.ts';
import '../route-options.ts';
import { cardRoutes, type HubSpotCaller } from './hubspot-card.ts';
import { JOURNAL_TIMEOUT_MS, signedUri } from './webhooks.ts';

/**
 * Requests HubSpot makes on behalf of its users: custom workflow action executions (`/hubspot/actions/:action`)
 * and the app card's `hubspot.fetch` calls (`/hubspot/card/...`). Every one is verified with HubSpot's v3
 * signature over the exact bytes before anything is read or done; a forged or replayed request gets 401 and
 * leaves no trace but a log line.
 *
 * HubSpot's docs disagree on the version for workflow actions: the custom action guide says actions carry the
 * v2 `X-HubSpot-Signature`, the current platform's request-validation page and the v3 changelog say outgoing
 * requests carry `X-HubSpot-Signature-v3` as well. We require v3 (it binds a timestamp, so a captured request
 * cannot be replayed); v2 is accepted for actions only when WEBHOOK_SIGNATURE_VERSIONS lists it.
 */

export interface HubSpotRoutesOptions {
  queue: JobQueue;
  writeback: WritebackSource;
  waiters: ActionWaiters;
  clientSecret?: string;
  /** WEBHOOK_PUBLIC_URL: the base URL HubSpot calls (behind a proxy the signed URL is not the one we see). */
  publicUrl?: string;
  /** Also accept v2 signatures on workflow actions (legacy apps). */
  acceptV2ForActions: boolean;
  /** How long an action request waits for its result before answering BLOCK (then the callback completes it). */
  actionWaitMs: number;
  maxBodyBytes: number;
  logger?: Logger;
  now?: () => number;
}


export const hubspotRoutes: FastifyPluginAsync<HubSpotRoutesOptions> = async (app, opts) => {
  const logger = opts.logger ?? silentLogger;
  const now = opts.now ?? Date.now;
  if (!opts.clientSecret) logger.warn('HUBSPOT_CLIENT_SECRET is not set: workflow actions and app card requests will be refused with 401');

  // Raw bytes for every content type: the signature covers them exactly.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (req, _payload, done) => {
    readRawBody(req.raw, opts.maxBodyBytes).then(
      (buf) => done(null, buf),
      (err: unknown) => done(err as Error, undefined),
    );
  });

  const verify = (req: FastifyRequest, versions: SignatureVersion[]): Buffer => {
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
      logger.warn({ path: req.url.split('?')[0], reason: result.error, ip: req.ip }, 'HubSpot request rejected: bad signature');
      throw apiError('INVALID_SIGNATURE', `HubSpot signature rejected: ${result.error}`);
    }
    return rawBody;
  };

  app.post<{ Params: { action: string } }>('/hubspot/actions/:action', { config: { auth: 'public' }, schema: { hide: true } }, async (req) => {
    const rawBody = verify(req, opts.acceptV2ForActions ? ['v2', 'v3'] : ['v3']);
    if (!(ACTION_KEYS as readonly string[]).includes(req.params.action)) {
      throw apiError('NOT_FOUND', `unknown workflow action "${req.params.action}" (known: ${ACTION_KEYS.join(', ')})`);
    }
    const def = ACTIONS[req.params.action as ActionKey];
    const parsed = ExecutionRequestSchema.safeParse(parseJson(rawBody));
    if (!parsed.success) throw apiError('INVALID_WEBHOOK', `invalid action execution request: ${formatIssues(parsed.error.issues)}`);
    const body = parsed.data;
    const objectType = def.objectTypes[body.object.objectType.toUpperCase() as keyof typeof def.objectTypes];
    if (!objectType) {
      throw apiError('INVALID_WEBHOOK', `"${def.name}" runs on ${Object.keys(def.objectTypes).join(', ')} records, not ${body.object.objectType}`);
    }
    const payload: ActionExecutePayload = {
      action: def.key,
      callbackId: body.callbackId,
      portalId: body.origin.portalId,
      objectType,
      objectId: body.object.objectId,
      ...(body.context?.workflowId ? { workflowId: body.context.workflowId } : {}),
      inputFields: body.inputFields,
      receivedAt: now(),
    };
    // Wait first, then enqueue: a job that finishes at once still finds this request waiting.
    const answer = opts.waiters.wait(body.callbackId, opts.actionWaitMs);
    try {
      // HubSpot retries a request it got no answer to: the callback id keeps one job per execution while it waits
      // or runs. With Redis down the add is bounded (503, HubSpot retries); the add still lands once Redis is back,
      // and the retry joins that job.
      await withDeadline(
        opts.queue.enqueue([{ type: 'action.execute', payload, key: `action:${body.callbackId}` }]),
        JOURNAL_TIMEOUT_MS,
        `the job queue did not record the execution within ${JOURNAL_TIMEOUT_MS} ms`,
      );
    } catch (err) {
      opts.waiters.deliver(body.callbackId, {});
      logger.error({ err: errorMessage(err) }, 'workflow action could not be journaled');
      throw apiError('UNAVAILABLE', 'the job queue is unavailable; retry later');
    }
    const outputFields = await answer;
    // Still running: HubSpot blocks the workflow until our callback completes it (or a day passes).
    return { outputFields: outputFields ?? { hs_execution_state: 'BLOCK', hs_expiration_duration: 'P1D' } };
  });

  await app.register(cardRoutes, { writeback: opts.writeback, verify, logger });
};

export function parseJson(raw: Buffer): unknown {
  if (raw.length === 0) throw apiError('INVALID_JSON', 'the body is empty: expected JSON');
  try {
    return JSON.parse(raw.toString('utf8'));
  } catch (err) {
    throw apiError('INVALID_JSON', `the body is not valid JSON: ${errorMessage(err)}`);
  }
}

export type { HubSpotCaller };
