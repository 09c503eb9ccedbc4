import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AGENTS } from '../../core/proposal.ts';
import { RECORD_TYPES } from '../../core/objects.ts';
import { HubSpotError } from '../../hubspot/errors.ts';
import { WritebackError } from '../../writeback/context.ts';
import type { WritebackService } from '../../writeback/create-writeback.ts';
import { confidenceView, repRationale, repReasons } from '../review-page/rep-view.ts';
import { REVIEW_STATUSES } from '../../writeback/review-store.ts';
import { valueDiff } from '../../writeback/value-diff.ts';
import { apiError, ApiError } from '../errors.ts';
import { writebackOf, type WritebackSource } from '../tenancy.ts';

/**
 * The review queue over HTTP: readers list, reviewers approve (optionally with an edited value) or reject with a
 * reason. The reviewer's token name is the audited actor. A stale review (the field changed in HubSpot since the
 * proposal) answers 409 STALE and writes nothing.
 */

const Evidence = z.object({
  id: z.string(),
  text: z.string(),
  sourceType: z.string().optional(),
  occurredAt: z.string().optional(),
  highlight: z.object({ start: z.number(), end: z.number(), matched: z.array(z.string()) }).nullable().optional().describe('The sentence that best supports the proposal'),
});
const Reason = z.object({
  code: z.string(),
  text: z.string().describe('In plain words'),
  detail: z.string().describe('The figures as the write-back recorded them (developer detail)'),
  shown: z.boolean().optional().describe("False when the rep's list leaves the reason out (e.g. below_threshold of an unvalidated model)"),
  repDetail: z.string().optional().describe('The figures in words for a rep; empty when the detail is for developers only'),
});
const ConfidenceView = z.object({
  kind: z.enum(['calibrated', 'unvalidated', 'grounding']).describe('calibrated: a validated model\'s probability of being right (never above its held-out bound); unvalidated: no figure; grounding: share of statements backed by a source'),
  value: z.number().nullable(),
  label: z.string().describe('"82% sure", "Not validated: a person decides", "90% backed by sources"'),
  explain: z.string(),
});
const ModelValidation = z.object({
  validated: z.boolean(),
  confidenceBound: z.number(),
  summary: z.string(),
  key: z.string().optional(),
  valueClass: z.string().nullable().optional(),
});
const DiffPart = z.object({ op: z.enum(['same', 'removed', 'added']), text: z.string() });
const Driver = z.object({
  feature: z.string(),
  label: z.string().optional().describe('The feature in words with this record\'s value, e.g. "Meetings held: 3"'),
  value: z.number().optional(),
  contribution: z.number().describe('Signed contribution to the log-odds of winning: positive raises the score'),
});

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
  rationale: z.string().nullable().describe('As the agent wrote it (kept in the audit log)'),
  repRationale: z.string().nullable().optional().describe('The rationale in plain words for a rep, without model ids, commands or validation figures'),
  confidenceView: ConfidenceView.optional().describe('How to show the confidence: what kind of figure it is, in words'),
  modelValidation: ModelValidation.optional().describe("The producing model's held-out validation for this value, when it is a judgment"),
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
  recordName: z.string().nullable().optional(),
  record: z.object({ name: z.string().nullable(), label: z.string(), url: z.string().nullable(), exists: z.boolean() }).optional().describe('With details=true'),
  owner: z.object({ id: z.string(), name: z.string(), email: z.string() }).nullable().optional().describe('With details=true'),
  reasonsExplained: z.array(Reason).optional(),
  diff: z.array(DiffPart).nullable().optional().describe('Word diff of the current (or observed) value and the proposal'),
  drivers: z.array(Driver).optional(),
});

const ListQuery = z.object({
  status: z.enum(REVIEW_STATUSES).default('pending'),
  objectType: z.enum(RECORD_TYPES).optional(),
  agent: z.enum(AGENTS).optional(),
  owner: z.string().min(1).max(64).optional(),
  objectId: z.string().regex(/^\d{1,20}$/).optional().describe("One record's reviews (with objectType)"),
  q: z.string().trim().max(200).optional().describe('Words to find in the record name, field or proposed value'),
  details: z
    .enum(['true', 'false'])
    .default('false')
    .transform((v) => v === 'true')
    .describe('Add record names and links, owners, plain-word reasons, diffs and highlighted evidence'),
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
// A union the OpenAPI document can state: a reason is part of a rejection, not an afterthought checked in code.
const BulkIds = z.array(z.string().uuid()).min(1).max(100);
const BulkBody = z.discriminatedUnion('action', [
  z.object({ action: z.literal('approve'), ids: BulkIds }).strict(),
  z.object({ action: z.literal('reject'), ids: BulkIds, reason: z.string().trim().min(1, 'say why you reject them (reason)').max(2_000) }).strict(),
]);
const BulkResult = z.object({
  results: z.array(z.object({ id: z.string(), status: z.enum(['approved', 'rejected', 'stale', 'failed', 'not_pending', 'not_found', 'invalid']), detail: z.string().optional() })),
});

type View = Awaited<ReturnType<WritebackService['listReviews']>>[number];

export function toDto(r: View): z.infer<typeof ReviewSchema> {
  const p = r.proposal;
  const before = r.currentValue !== undefined ? r.currentValue : r.observedValue;
  const shown = confidenceView(p, r.confidence);
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
    repRationale: repRationale(p),
    confidenceView: shown,
    ...(p.modelValidation ? { modelValidation: p.modelValidation } : {}),
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
    recordName: r.recordName ?? null,
    ...(r.record ? { record: r.record } : {}),
    ...(r.owner !== undefined ? { owner: r.owner } : {}),
    reasonsExplained: repReasons(r.reasons, shown),
    diff: p.kind === 'property' ? valueDiff(before, p.value) : null,
    ...(p.drivers ? { drivers: p.drivers } : {}),
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

export const reviewRoutes: FastifyPluginAsync<{ writeback: WritebackSource }> = async (fastify, opts) => {
  const app = fastify.withTypeProvider<ZodTypeProvider>();
  // Every route works on the caller's portal: another portal's review ids are not found there.
  const portalWb = (req: Parameters<typeof writebackOf>[1]): Promise<WritebackService> => writebackOf(opts.writeback, req);
  const actorOf = (req: { principal?: { name: string } }) => req.principal?.name ?? 'unknown';

  app.get(
    '/v1/reviews',
    {
      config: { auth: 'reader' },
      schema: {
        tags: ['reviews'],
        summary: 'List reviews (pending by default), newest first; `next` pages on, `total` counts every match',
        querystring: ListQuery,
        response: { 200: z.object({ reviews: z.array(ReviewSchema), total: z.number(), next: z.string().nullable() }) },
      },
    },
    async (req) => {
      const wb = await portalWb(req);
      const q = req.query;
      try {
        const filter = { status: q.status, objectType: q.objectType, objectId: q.objectId, agent: q.agent, ownerId: q.owner, q: q.q };
        const [reviews, total] = await Promise.all([
          wb.listReviews({ ...filter, limit: q.limit, beforeId: q.before, withCurrent: q.current, withDetails: q.details }),
          wb.countReviews(filter),
        ]);
        const last = reviews[reviews.length - 1];
        return { reviews: reviews.map(toDto), total, next: reviews.length === q.limit && last ? last.id : null };
      } catch (err) {
        throw toApiError(err);
      }
    },
  );

  app.get(
    '/v1/owners',
    {
      config: { auth: 'reader' },
      schema: { tags: ['reviews'], summary: 'HubSpot owners (for filters)', response: { 200: z.object({ owners: z.array(z.object({ id: z.string(), name: z.string(), email: z.string() })) }) } },
    },
    async (req) => {
      const wb = await portalWb(req);
      try {
        return { owners: await wb.owners() };
      } catch (err) {
        throw toApiError(err);
      }
    },
  );

  app.get(
    '/v1/reviews/:id',
    { config: { auth: 'reader' }, schema: { tags: ['reviews'], summary: 'One review', params: IdParams, response: { 200: ReviewSchema } } },
    async (req) => {
      const wb = await portalWb(req);
      const review = await wb.getReview(req.params.id, { withDetails: true }).catch((err: unknown) => {
        throw toApiError(err);
      });
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
      const wb = await portalWb(req);
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
      const wb = await portalWb(req);
      try {
        const result = await wb.reject(req.params.id, { actor: actorOf(req), reason: req.body.reason });
        return { status: result.status, review: toDto(result.review) };
      } catch (err) {
        throw toApiError(err);
      }
    },
  );

  app.post(
    '/v1/reviews/bulk',
    {
      config: { auth: 'reviewer' },
      schema: { tags: ['reviews'], summary: 'Approve or reject up to 100 reviews at once (one result per review; a reason is required to reject)', body: BulkBody, response: { 200: BulkResult } },
    },
    async (req) => {
      const wb = await portalWb(req);
      const actor = actorOf(req);
      const results: z.infer<typeof BulkResult>['results'] = [];
      // One by one: each approval re-checks its record and writes through the rate-limited gateway.
      for (const id of [...new Set(req.body.ids)]) {
        try {
          const r = req.body.action === 'approve' ? await wb.approve(id, { actor }) : await wb.reject(id, { actor, reason: req.body.reason });
          results.push({ id, status: r.status, ...(r.detail ? { detail: r.detail } : {}) });
        } catch (err) {
          const mapped = toApiError(err);
          if (!(mapped instanceof ApiError)) throw err;
          const status = mapped.code === 'NOT_FOUND' ? 'not_found' : mapped.code === 'CONFLICT' ? 'not_pending' : mapped.code === 'UNAVAILABLE' ? 'failed' : 'invalid';
          results.push({ id, status, detail: mapped.message });
        }
      }
      return { results };
    },
  );

  app.post(
    '/v1/writes/undo',
    {
      config: { auth: 'reviewer' },
      schema: {
        tags: ['reviews'],
        summary: "Undo the AI's write of one proposal (restores the previous value or archives the AI note/task; left alone if a person changed it since)",
        body: z.object({ proposalId: z.string().min(1).max(300) }).strict(),
        response: { 200: z.object({ restored: z.number(), archived: z.number(), skipped: z.number(), failed: z.number(), detail: z.string().nullable() }) },
      },
    },
    async (req) => {
      const wb = await portalWb(req);
      try {
        const report = await wb.undo({ proposalId: req.body.proposalId, dryRun: false, actor: actorOf(req) });
        if (report.items.length === 0) throw apiError('NOT_FOUND', `no write of proposal ${req.body.proposalId} to undo (never applied, or already undone)`);
        return { restored: report.restored, archived: report.archived, skipped: report.skipped, failed: report.failed, detail: report.items.map((i) => i.detail).filter(Boolean).join('; ') || null };
      } catch (err) {
        throw toApiError(err);
      }
    },
  );
};
