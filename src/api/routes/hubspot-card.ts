import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { RECORD_TYPES } from '../../core/objects.ts';
import { formatIssues } from '../../webhooks/event-schema.ts';
import type { SignatureVersion } from '../../webhooks/verify-signature.ts';
import type { WritebackService } from '../../writeback/create-writeback.ts';
import { heldWriteback, type WritebackSource } from '../tenancy.ts';
import type { Logger } from '../../logging.ts';
import { apiError } from '../errors.ts';
import { toApiError, toDto } from './reviews.ts';

/**
 * The app card's backend (`hubspot.fetch` from hubspot/src/app/cards/ReviewCard.tsx). HubSpot signs each request
 * (v3) and appends `userId`, `portalId`, `userEmail` and `appId` to the URL before signing, so after verification
 * they say who acts: that HubSpot user is the reviewer recorded in the audit log. A request for another portal
 * than this service's is refused.
 */

/** The HubSpot user a verified card request acts for (HubSpot appends and signs these query parameters). */
export interface HubSpotCaller {
  portalId: string;
  userId: string;
  userEmail: string | null;
  appId: string | null;
}

declare module 'fastify' {
  interface FastifyRequest {
    hubspotCaller?: HubSpotCaller;
  }
}

const CallerQuery = z.looseObject({
  portalId: z.string().regex(/^\d{1,20}$/, 'portalId must be numeric'),
  userId: z.string().regex(/^\d{1,20}$/, 'userId must be numeric'),
  userEmail: z.string().max(320).optional(),
  appId: z.string().regex(/^\d{1,20}$/).optional(),
});
const RecordQuery = z.object({ objectType: z.enum(RECORD_TYPES), objectId: z.string().regex(/^\d{1,20}$/) });
const Approve = z.object({ value: z.string().max(65_536).optional() }).strict();
const Reject = z.object({ reason: z.string().trim().min(1, 'say why').max(2_000) }).strict();

export const cardRoutes: FastifyPluginAsync<{ writeback: WritebackSource; verify: (req: FastifyRequest, versions: SignatureVersion[]) => Buffer; logger: Logger }> = async (
  app,
  opts,
) => {
  const source = opts.writeback;

  /** Verifies the signature, then the portal; returns the HubSpot user acting and that portal's write-back. */
  const caller = async (req: FastifyRequest): Promise<{ who: HubSpotCaller; body: Buffer; wb: WritebackService }> => {
    const body = opts.verify(req, ['v3']);
    const q = CallerQuery.safeParse(req.query ?? {});
    if (!q.success) throw apiError('BAD_REQUEST', `card request without HubSpot's user and portal: ${formatIssues(q.error.issues)}`);
    // HubSpot signed the portal: the card works on that portal's reviews only, and on none of a portal not served.
    const wb = await portalWriteback(source, req, q.data.portalId);
    const who: HubSpotCaller = { portalId: q.data.portalId, userId: q.data.userId, userEmail: q.data.userEmail ?? null, appId: q.data.appId ?? null };
    req.hubspotCaller = who;
    return { who, body, wb };
  };
  const actor = (who: HubSpotCaller) => `hubspot-user:${who.userId}${who.userEmail ? ` (${who.userEmail})` : ''}`;
  const json = <T>(schema: z.ZodType<T>, raw: Buffer): T => {
    let value: unknown = {};
    if (raw.length > 0) {
      try {
        value = JSON.parse(raw.toString('utf8'));
      } catch {
        throw apiError('INVALID_JSON', 'the body is not valid JSON');
      }
    }
    const parsed = schema.safeParse(value);
    if (!parsed.success) throw apiError('VALIDATION_FAILED', `Invalid request: ${formatIssues(parsed.error.issues)}`);
    return parsed.data;
  };

  app.get('/hubspot/card/reviews', { config: { auth: 'public' }, schema: { hide: true } }, async (req) => {
    const { who, wb } = await caller(req);
    const q = RecordQuery.safeParse(req.query);
    if (!q.success) throw apiError('VALIDATION_FAILED', `Invalid request: ${formatIssues(q.error.issues)}`);
    try {
      const reviews = await wb.listReviews({ status: 'pending', objectType: q.data.objectType, objectId: q.data.objectId, limit: 20, withCurrent: true, withDetails: true });
      return { reviews: reviews.map(toDto), user: { id: who.userId, email: who.userEmail } };
    } catch (err) {
      throw toApiError(err);
    }
  });

  app.post<{ Params: { id: string } }>('/hubspot/card/reviews/:id/approve', { config: { auth: 'public' }, schema: { hide: true } }, async (req) => {
    const { who, body, wb } = await caller(req);
    const { value } = json(Approve, body);
    try {
      const r = await wb.approve(req.params.id, { actor: actor(who), ...(value !== undefined ? { editedValue: value } : {}) });
      return { status: r.status, ...(r.detail ? { detail: r.detail } : {}), review: toDto(r.review) };
    } catch (err) {
      throw toApiError(err);
    }
  });

  app.post<{ Params: { id: string } }>('/hubspot/card/reviews/:id/reject', { config: { auth: 'public' }, schema: { hide: true } }, async (req) => {
    const { who, body, wb } = await caller(req);
    const { reason } = json(Reject, body);
    try {
      const r = await wb.reject(req.params.id, { actor: actor(who), reason });
      return { status: r.status, review: toDto(r.review) };
    } catch (err) {
      throw toApiError(err);
    }
  });
};

async function portalWriteback(source: WritebackSource, req: FastifyRequest, portalId: string): Promise<WritebackService> {
  if ('lease' in source) {
    try {
      return await heldWriteback(source, req, portalId);
    } catch (err) {
      if ((err as { code?: unknown }).code === 'PORTAL_NOT_SERVED') throw apiError('FORBIDDEN', `this service does not serve portal ${portalId}`);
      throw err;
    }
  }
  const ours = await source.portalId();
  if (portalId !== ours) throw apiError('FORBIDDEN', `this service serves portal ${ours}, not ${portalId}`);
  return source;
}
