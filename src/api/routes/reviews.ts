import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AGENTS } from '../../core/proposal.ts';
import { RECORD_TYPES } from '../../core/objects.ts';
import { HubSpotError } from '../../hubspot/errors.ts';
import { WritebackError } from '../../writeback/context.ts';
import type { WritebackService } from '../../writeback/create-writeback.ts';
import { REVIEW_STATUSES } from '../../writeback/review-store.ts';
import { apiError, ApiError } from '../errors.ts';

/**
 * The review queue over HTTP: readers list, reviewers approve (optionally with an edited value) or reject with a
 * reason. The reviewer's token name is the audited actor. A stale review (the field changed in HubSpot since the
 * proposal) answers 409 STALE and writes nothing.
 */

const Evidence = z.object({ id: z.string(), text: z.string(), sourceType: z.string().optional(), occurredAt: z.string().optional() });

export const ReviewSchema = z.object({
  id: z.string(),
  status: z.enum(REVIEW_STATUSES),
  objectType: z.string(),
  objectId: z.string(),
  agent: z.string(),
  kind: z.enum(['property', 'note', 'task']),
  field: z.string().nullable(),
  proposedValue: z.string(),
  title: z.string().nullable(),
  observedValue: z.string().nullable(),
  currentValue: z.string().nullable().optional(),
  confidence: z.number(),
  reasons: z.array(z.string()),
  rationale: z.string().nullable(),
  evidence: z.array(z.string()),
  evidenceChunks: z.array(Evidence).optional(),
  ownerId: z.string().nullable(),
  runId: z.string(),
  model: z.string(),
  promptVersion: z.string(),
  createdAt: z.string(),
  decidedAt: z.string().nullable(),
  decidedBy: z.string().nullable(),
  note: z.string().nullable(),
});

const ListQuery = z.object({
  status: z.enum(REVIEW_STATUSES).default('pending'),
  objectType: z.enum(RECORD_TYPES).optional(),
  agent: z.enum(AGENTS).optional(),
  owner: z.string().min(1).max(64).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  before: z.string().uuid().optional().describe('Paging: reviews created before this review id'),
  current: z
    .enum(['true', 'false'])
    .default('true')
    .transform((v) => v === 'true')
    .describe('Read the live HubSpot value of each field (one batch read per object type)'),
});

const IdParams = z.object({ id: z.string().uuid('must be a review id') });
const ApproveBody = z.object({ value: z.string().max(65_536).optional().describe('An edited value to write instead of the proposal') }).strict().default({});
const RejectBody = z.object({ reason: z.string().trim().min(1, 'say why').max(2_000) }).strict();
const ActionResult = z.object({ status: z.enum(['approved', 'rejected', 'stale', 'failed']), detail: z.string().optional(), review: ReviewSchema });

type View = Awaited<ReturnType<WritebackService['listReviews']>>[number];

function toDto(r: View): z.infer<typeof ReviewSchema> {
  const p = r.proposal;
  return {
    id: r.id,
    status: r.status,
    objectType: r.objectType,
    objectId: r.objectId,
    agent: r.agent,
    kind: p.kind,
    field: p.field,
    proposedValue: p.value,
    title: p.title ?? null,
    observedValue: r.observedValue,
    ...(r.currentValue !== undefined ? { currentValue: r.currentValue } : {}),
    confidence: r.confidence,
    reasons: r.reasons,
    rationale: p.rationale ?? null,
    evidence: p.evidence,
    ...(r.evidenceChunks ? { evidenceChunks: r.evidenceChunks } : {}),
    ownerId: r.ownerId,
    runId: p.runId,
    model: p.model,
    promptVersion: p.promptVersion,
    createdAt: r.createdAt,
    decidedAt: r.decidedAt,
    decidedBy: r.decidedBy,
    note: r.note,
  };
}

/** Maps the service's failures to the API's error registry. */
export function toApiError(err: unknown): unknown {
  if (err instanceof ApiError) return err;
  if (err instanceof WritebackError) {
    switch (err.code) {
      case 'REVIEW_NOT_FOUND':
        return apiError('NOT_FOUND', err.message);
      case 'REVIEW_NOT_PENDING':
        return apiError('CONFLICT', err.message, err.details);
      default:
        return apiError('BAD_REQUEST', err.message);
    }
  }
  if (err instanceof HubSpotError) return apiError('UNAVAILABLE', `HubSpot: ${err.message}`);
  return err;
}

export const reviewRoutes: FastifyPluginAsync<{ writeback: WritebackService }> = async (fastify, opts) => {
  const app = fastify.withTypeProvider<ZodTypeProvider>();
  const wb = opts.writeback;
  const actorOf = (req: { principal?: { name: string } }) => req.principal?.name ?? 'unknown';

  app.get(
    '/v1/reviews',
    { config: { auth: 'reader' }, schema: { tags: ['reviews'], summary: 'List reviews (pending by default), newest first', querystring: ListQuery, response: { 200: z.object({ reviews: z.array(ReviewSchema) }) } } },
    async (req) => {
      const q = req.query;
      try {
        const reviews = await wb.listReviews({ status: q.status, objectType: q.objectType, agent: q.agent, ownerId: q.owner, limit: q.limit, beforeId: q.before, withCurrent: q.current });
        return { reviews: reviews.map(toDto) };
      } catch (err) {
        throw toApiError(err);
      }
    },
  );

  app.get(
    '/v1/reviews/:id',
    { config: { auth: 'reader' }, schema: { tags: ['reviews'], summary: 'One review', params: IdParams, response: { 200: ReviewSchema } } },
    async (req) => {
      const review = await wb.getReview(req.params.id);
      if (!review) throw apiError('NOT_FOUND', `review ${req.params.id} does not exist`);
      return toDto(review);
    },
  );

  app.post(
    '/v1/reviews/:id/approve',
    {
      config: { auth: 'reviewer' },
      schema: { tags: ['reviews'], summary: 'Approve a review and write it to HubSpot (optionally with an edited value)', params: IdParams, body: ApproveBody, response: { 200: ActionResult } },
    },
    async (req) => {
      let result;
      try {
        result = await wb.approve(req.params.id, { actor: actorOf(req), ...(req.body.value !== undefined ? { editedValue: req.body.value } : {}) });
      } catch (err) {
        throw toApiError(err);
      }
      if (result.status === 'stale') throw apiError('STALE', result.detail ?? 'the record changed since the proposal', { review: toDto(result.review) });
      if (result.status === 'failed') throw apiError('UNAVAILABLE', `The write failed and the review is pending again: ${result.detail ?? ''}`);
      return { status: result.status, ...(result.detail ? { detail: result.detail } : {}), review: toDto(result.review) };
    },
  );

  app.post(
    '/v1/reviews/:id/reject',
    { config: { auth: 'reviewer' }, schema: { tags: ['reviews'], summary: 'Reject a review with a reason; nothing is written', params: IdParams, body: RejectBody, response: { 200: ActionResult } } },
    async (req) => {
      try {
        const result = await wb.reject(req.params.id, { actor: actorOf(req), reason: req.body.reason });
        return { status: result.status, review: toDto(result.review) };
      } catch (err) {
        throw toApiError(err);
      }
    },
  );
};
