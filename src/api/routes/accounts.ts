import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AGENTS, type AgentName } from '../../core/proposal.ts';
import { portalOf } from '../tenancy.ts';

/**
 * Account-facing API: similar accounts, history search, per-account context, manual generation.
 * The zod schemas here are the single source of the request/response types and of the OpenAPI document.
 */

const AccountId = z
  .string()
  .min(1)
  .max(64)
  .regex(/^(contact:)?\d+$/, 'must be a company id or contact:<id>')
  .describe('A HubSpot company id, or contact:<id> for a contact without a company');

const SimilarQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(10),
  industry: z.string().min(1).optional(),
  sizeBand: z.string().min(1).optional(),
  lifecycle: z.string().min(1).optional(),
  excludeCustomers: z
    .enum(['true', 'false'])
    .optional()
    .transform((v) => v === 'true'),
});

export const SimilarAccount = z.object({
  accountId: z.string(),
  name: z.string(),
  score: z.number(),
  reasons: z.array(z.string()),
  industry: z.string().nullable(),
  sizeBand: z.string().nullable(),
  lifecycle: z.string().nullable(),
  isCustomer: z.boolean(),
  sharedTopics: z.array(z.string()),
});

const SearchBody = z.object({
  query: z.string().trim().min(3, 'query must be at least 3 characters').max(2000),
  filters: z
    .object({
      industry: z.string().optional(),
      sizeBand: z.string().optional(),
      lifecycle: z.string().optional(),
      excludeCustomers: z.boolean().optional(),
    })
    .strict()
    .default({}),
  limit: z.number().int().min(1).max(100).default(10),
});

export const AccountMatch = z.object({
  accountId: z.string(),
  name: z.string().nullable(),
  score: z.number(),
  snippets: z.array(z.object({ chunkId: z.string(), sourceId: z.string(), text: z.string() })),
});

export const ContextChunk = z.object({
  id: z.string(),
  sourceType: z.string(),
  sourceId: z.string(),
  occurredAt: z.string(),
  score: z.number(),
  text: z.string(),
});

const GenerateBody = z.object({ dryRun: z.boolean().default(false) }).strict().default({ dryRun: false });

export const GenerateResult = z.object({
  agent: z.string(),
  accountId: z.string(),
  runId: z.string(),
  dryRun: z.boolean(),
  results: z.array(
    z.object({
      proposalId: z.string(),
      target: z.object({ objectType: z.string(), objectId: z.string() }),
      kind: z.string(),
      field: z.string().nullable(),
      value: z.string(),
      confidence: z.number(),
      evidence: z.array(z.string()),
      decision: z.enum(['apply', 'review', 'reject']),
      reasons: z.array(z.string()),
      status: z.string(),
    }),
  ),
});

export interface AccountsService {
  similar(portalId: string, accountId: string, opts: z.infer<typeof SimilarQuery>): Promise<Array<z.infer<typeof SimilarAccount>>>;
  search(portalId: string, query: string, filters: z.infer<typeof SearchBody>['filters'], limit: number): Promise<Array<z.infer<typeof AccountMatch>>>;
  context(portalId: string, accountId: string, q: string, k: number): Promise<Array<z.infer<typeof ContextChunk>>>;
  generate(portalId: string, accountId: string, agent: AgentName, opts: { dryRun: boolean; actor: string }): Promise<z.infer<typeof GenerateResult>>;
  /** The portal of a request that names none (api/tenancy.ts). */
  defaultPortal(): Promise<string>;
}

const ErrorBody = z.object({ error: z.object({ code: z.string(), message: z.string(), requestId: z.string().optional() }) });
const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody };

export const accountRoutes: FastifyPluginAsync<{ accounts: AccountsService }> = async (app, opts) => {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const svc = opts.accounts;
  // Every route reads the vectors of the caller's portal only (api/tenancy.ts).
  const portal = (req: FastifyRequest) => portalOf(req, () => svc.defaultPortal());

  r.get(
    '/v1/accounts/:id/similar',
    {
      config: { auth: 'reader' },
      schema: {
        tags: ['accounts'],
        summary: 'Nearest accounts by profile vector, with the reasons they are similar',
        params: z.object({ id: AccountId }),
        querystring: SimilarQuery,
        response: { 200: z.object({ accountId: z.string(), results: z.array(SimilarAccount) }), ...errors },
      },
    },
    async (req) => ({ accountId: req.params.id, results: await svc.similar(await portal(req), req.params.id, req.query) }),
  );

  r.post(
    '/v1/accounts/search',
    {
      config: { auth: 'reader' },
      schema: {
        tags: ['accounts'],
        summary: 'Accounts whose history matches a description',
        body: SearchBody,
        response: { 200: z.object({ query: z.string(), results: z.array(AccountMatch) }), ...errors },
      },
    },
    async (req) => ({ query: req.body.query, results: await svc.search(await portal(req), req.body.query, req.body.filters, req.body.limit) }),
  );

  r.get(
    '/v1/accounts/:id/context',
    {
      config: { auth: 'reader' },
      schema: {
        tags: ['accounts'],
        summary: 'The cited chunks an agent would see for this query',
        params: z.object({ id: AccountId }),
        querystring: z.object({
          q: z.string().trim().min(1, 'q (the query) is required'),
          k: z.coerce.number().int().min(1).max(50).default(8),
        }),
        response: { 200: z.object({ accountId: z.string(), query: z.string(), chunks: z.array(ContextChunk) }), ...errors },
      },
    },
    async (req) => ({ accountId: req.params.id, query: req.query.q, chunks: await svc.context(await portal(req), req.params.id, req.query.q, req.query.k) }),
  );

  r.post(
    '/v1/accounts/:id/generate/:agent',
    {
      config: { auth: 'reviewer' },
      schema: {
        tags: ['accounts'],
        summary: 'Run an agent now; returns its proposals and the write-back decisions',
        description:
          'Runs for this account only: every proposal targets a record of the account. A model failure answers 502 ' +
          '(OUTPUT_PARSING_FAILURE, MODEL_REFUSAL, MODEL_AUTH) or 503 (MODEL_RATE_LIMIT, MODEL_TIMEOUT, MODEL_UNAVAILABLE, ' +
          'HUBSPOT_UNAVAILABLE; with Retry-After when known).',
        params: z.object({ id: AccountId, agent: z.enum(AGENTS) }),
        body: GenerateBody,
        response: { 200: GenerateResult, ...errors, 502: ErrorBody, 503: ErrorBody },
      },
    },
    async (req) =>
      svc.generate(await portal(req), req.params.id, req.params.agent, { dryRun: req.body.dryRun, actor: req.principal?.name ?? 'api' }),
  );
};
