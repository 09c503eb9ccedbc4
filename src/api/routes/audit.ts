import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AGENTS } from '../../core/proposal.ts';
import { AUDIT_EVENTS } from '../../writeback/audit-store.ts';
import { isUnchanged } from '../../writeback/decide.ts';
import { writebackOf, type WritebackSource } from '../tenancy.ts';
import { apiError } from '../errors.ts';
import '../route-options.ts';

/**
 * `GET /v1/audit`: the append-only write-back log, oldest first, paged by id. Prompts and responses are
 * included only with `trace=true`, for admins (they are large and hold personal data).
 */

// The pattern goes into the OpenAPI document, so clients (and the schema fuzzer) know what the server accepts.
const isoTime = z
  .string()
  .regex(/^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])(T([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d{1,9})?)?(Z|[+-]([01]\d|2[0-3]):?[0-5]\d)?)?$/, 'must be an ISO date or date-time')
  .refine((s) => !Number.isNaN(Date.parse(s)), 'must be an ISO date or date-time')
  .describe('ISO 8601 date or date-time, e.g. 2026-11-30 or 2026-11-30T09:00:00Z');

const AuditQuery = z.object({
  accountId: z.string().min(1).max(64).optional().describe('Entries of jobs that worked for this account'),
  objectType: z.string().min(1).max(32).optional(),
  objectId: z.string().min(1).max(64).optional(),
  agent: z.enum(AGENTS).optional(),
  decision: z.enum(['apply', 'review', 'reject']).optional(),
  event: z.enum(AUDIT_EVENTS).optional(),
  runId: z.string().min(1).max(200).optional(),
  proposalId: z.string().min(1).max(300).optional(),
  since: isoTime.optional(),
  until: isoTime.optional(),
  dryRun: z.enum(['true', 'false']).optional(),
  after: z.coerce.number().int().min(0).optional().describe('Paging: entries with an id above this one'),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  trace: z.enum(['true', 'false']).default('false'),
});

const Trace = z.object({
  id: z.string(),
  runId: z.string(),
  agent: z.string(),
  provider: z.string(),
  model: z.string(),
  promptVersion: z.string(),
  prompt: z.string(),
  response: z.string(),
  usage: z.object({ inputTokens: z.number(), outputTokens: z.number(), costUsd: z.number() }),
  inputs: z.object({ recordIds: z.array(z.string()), chunkIds: z.array(z.string()) }),
  startedAt: z.string(),
  finishedAt: z.string(),
});

export const AuditEntrySchema = z.object({
  id: z.number(),
  at: z.string(),
  event: z.enum(AUDIT_EVENTS),
  proposalId: z.string().nullable(),
  runId: z.string().nullable(),
  traceId: z.string().nullable(),
  portalId: z.string().nullable(),
  accountId: z.string().nullable(),
  agent: z.string().nullable(),
  objectType: z.string().nullable(),
  objectId: z.string().nullable(),
  kind: z.string().nullable(),
  field: z.string().nullable(),
  proposedValue: z.string().nullable(),
  confidence: z.number().nullable(),
  decision: z.string().nullable(),
  reasons: z.array(z.string()),
  status: z.string().nullable(),
  outcome: z.unknown(),
  previousValue: z.string().nullable(),
  newValue: z.string().nullable(),
  actor: z.string(),
  dryRun: z.boolean(),
  detail: z.string().nullable(),
  otelTraceId: z.string().nullable().describe('OpenTelemetry trace id of the run, when tracing is on'),
  unchanged: z
    .boolean()
    .describe('The decision refused the proposal only because HubSpot already held its value (no_change): nothing was written, nothing was refused. Computed as the write-back does; show it as "unchanged"'),
  trace: Trace.nullable().optional(),
});

export const auditRoutes: FastifyPluginAsync<{ writeback: WritebackSource }> = async (fastify, opts) => {
  const app = fastify.withTypeProvider<ZodTypeProvider>();
  app.get(
    '/v1/audit',
    {
      config: { auth: 'reader' },
      schema: {
        tags: ['audit'],
        summary: 'The write-back audit log (filters: account, object, agent, decision, event, run, time)',
        querystring: AuditQuery,
        response: { 200: z.object({ entries: z.array(AuditEntrySchema), next: z.number().nullable() }) },
      },
    },
    async (req) => {
      const q = req.query;
      // Prompts quote customers' e-mails and transcripts: only admins read them.
      if (q.trace === 'true' && req.principal?.role !== 'admin') {
        throw apiError('FORBIDDEN', `trace=true (prompts and model responses) needs the admin role; your token has ${req.principal?.role ?? 'none'}`);
      }
      if (q.since && q.until && Date.parse(q.since) > Date.parse(q.until)) throw apiError('BAD_REQUEST', 'since must not be after until');
      const entries = await (await writebackOf(opts.writeback, req)).audit({
        accountId: q.accountId,
        objectType: q.objectType,
        objectId: q.objectId,
        agent: q.agent,
        decision: q.decision,
        event: q.event,
        runId: q.runId,
        proposalId: q.proposalId,
        since: q.since,
        until: q.until,
        ...(q.dryRun ? { dryRun: q.dryRun === 'true' } : {}),
        afterId: q.after,
        limit: q.limit,
        withTrace: q.trace === 'true',
      });
      const last = entries[entries.length - 1];
      return { entries: entries.map((e) => ({ ...e, unchanged: isUnchanged(e.decision, e.reasons) })), next: entries.length === q.limit && last ? last.id : null };
    },
  );
};
