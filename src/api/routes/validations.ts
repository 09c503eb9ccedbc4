import type { FastifyPluginAsync } from 'fastify';
import { serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import '../route-options.ts';
import type { StoredValidation } from '../../agents/validation/validation-store.ts';
import type { JudgmentValidationResult } from '../../writeback/scorer-report/judgment-report.ts';
import { apiError } from '../errors.ts';
import { portalOf } from '../tenancy.ts';

/** What the routes need of the composition root: the portal's records, and a live validation run. */
export interface ValidationService {
  defaultPortal(): Promise<string>;
  list(portalId: string, limit: number): Promise<StoredValidation[]>;
  validateJudgments(portalId: string, write: boolean): Promise<JudgmentValidationResult>;
}

export interface ValidationRoutesOptions {
  validations: ValidationService;
}

const tally = z.object({ n: z.number().int(), right: z.number().int() });
const field = tally.extend({ byValue: z.record(z.string(), tally).optional() });
const record = z.object({
  provider: z.string(),
  model: z.string(),
  version: z.number().int(),
  measuredAt: z.string(),
  data: z.string(),
  command: z.string(),
  fields: z.record(z.string(), field),
  codeVersion: z.string().optional(),
});
const interval = z.tuple([z.number(), z.number()]).nullable();
const report = z.object({
  portalId: z.string(),
  provider: z.string(),
  model: z.string(),
  stored: z.boolean().describe("the result became the portal's validation record"),
  recalibrate: z.boolean(),
  advice: z.array(z.string()),
  churn: z.array(z.object({
    key: z.string(), valueClass: z.string().nullable(), n: z.number().int(), right: z.number().int(), rate: z.number().nullable(), interval, bound: z.number(), belowBound: z.boolean(),
  })),
  followThrough: z.object({ n: z.number().int(), followed: z.number().int(), rate: z.number().nullable(), interval }),
});

/**
 * Admin routes over the models' validation records of the request's portal: the records that cap its judgments
 * (its own and the deployment's), and a live validation of the churn ratings and next steps (`hubspot-ai validate
 * judgments`), stored as the portal's record when asked.
 */
export const validationRoutes: FastifyPluginAsync<ValidationRoutesOptions> = async (app, opts) => {
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  const r = app.withTypeProvider<ZodTypeProvider>();
  const svc = opts.validations;
  const served = async <T>(portalId: string, run: () => Promise<T>): Promise<T> => {
    try {
      return await run();
    } catch (err) {
      if ((err as { code?: unknown }).code === 'PORTAL_NOT_SERVED') throw apiError('NOT_FOUND', `this service does not serve HubSpot portal ${portalId}`);
      throw err;
    }
  };

  r.get(
    '/v1/validations',
    {
      config: { auth: 'admin' },
      schema: {
        summary: "Validation records that cap the portal's judgments, newest first",
        tags: ['validations'],
        querystring: z.object({ limit: z.coerce.number().int().min(1).max(500).default(100), portalId: z.string().regex(/^\d{1,20}$/, 'a portal id is digits').optional() }),
        response: { 200: z.object({ portalId: z.string(), records: z.array(z.object({ portalId: z.string().describe("'' for the whole deployment"), createdAt: z.number(), record })) }) },
      },
    },
    async (req) => {
      const portalId = await portalOf(req, () => svc.defaultPortal());
      return { portalId, records: await served(portalId, () => svc.list(portalId, req.query.limit)) };
    },
  );

  r.post(
    '/v1/validations/judgments',
    {
      config: { auth: 'admin' },
      schema: {
        summary: 'Validate churn ratings and next steps against what happened later; optionally store the result',
        tags: ['validations'],
        querystring: z.object({ write: z.enum(['true', 'false']).default('false'), portalId: z.string().regex(/^\d{1,20}$/, 'a portal id is digits').optional() }),
        response: { 200: report },
      },
    },
    async (req) => {
      const portalId = await portalOf(req, () => svc.defaultPortal());
      return served(portalId, () => svc.validateJudgments(portalId, req.query.write === 'true'));
    },
  );
};
