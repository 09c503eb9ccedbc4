import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import type { ObjectType } from '../object-types.ts';
import { OBJECT_TYPE_IDS } from '../object-types.ts';
import { PRIMARY_COMPANY_TYPE, associationTypeId, isValidAssociationType } from '../association-types.ts';
import { objectType, type SandboxContext } from '../context.ts';
import { HubSpotHttpError, notFound, tooManyInputs, validationError } from '../hubspot-errors.ts';

/** Associations v4: batch read with per-input paging, batch create/archive, default associations. */

const READ_MAX = 1000;
const WRITE_MAX = 100;
/** Associations returned per input and page; more continue with `paging.next.after`. */
export const ASSOCIATION_PAGE = 500;

function inputsOf<T>(body: unknown, max: number): T[] {
  const inputs = (body as { inputs?: unknown } | undefined)?.inputs;
  if (!Array.isArray(inputs)) throw validationError('Invalid input JSON: the body must have an "inputs" array.');
  if (inputs.length > max) throw tooManyInputs(max, inputs.length);
  return inputs as T[];
}

export function associationRoutes(ctx: SandboxContext): FastifyPluginAsync {
  const { store } = ctx;
  const actor = ctx.integration;

  function typesFor(from: ObjectType, to: ObjectType, fromId: string, toId: string): Array<{ category: string; typeId: number; label: string | null }> {
    const out = [{ category: 'HUBSPOT_DEFINED', typeId: associationTypeId(from, to) ?? 0, label: null as string | null }];
    // The first company of a contact/deal/ticket is its primary company, reported with a labelled second type.
    const primary = PRIMARY_COMPANY_TYPE[from];
    if (to === 'companies' && primary !== undefined && store.associated(from, fromId, 'companies')[0] === toId) {
      out.push({ category: 'HUBSPOT_DEFINED', typeId: primary, label: 'Primary' });
    }
    return out;
  }

  function page(from: ObjectType, to: ObjectType, id: string, after: string | undefined, limit: number) {
    const all = store.associated(from, id, to);
    const start = after ? Math.max(0, Number.parseInt(Buffer.from(after, 'base64url').toString('utf8'), 10) || 0) : 0;
    const slice = all.slice(start, start + limit);
    const next = start + limit < all.length ? Buffer.from(String(start + limit)).toString('base64url') : undefined;
    return { all, slice, next };
  }

  return async (app: FastifyInstance) => {
    app.post<{ Params: { from: string; to: string }; Body: unknown }>('/crm/v4/associations/:from/:to/batch/read', async (req, reply) => {
      const from = objectType(req.params.from);
      const to = objectType(req.params.to);
      const startedAt = new Date().toISOString();
      const results: unknown[] = [];
      const missing: string[] = [];
      for (const input of inputsOf<{ id?: string | number; after?: string }>(req.body, READ_MAX)) {
        const id = String(input.id);
        const { all, slice, next } = page(from, to, id, input.after, ASSOCIATION_PAGE);
        if (!store.get(from, id) || all.length === 0) {
          missing.push(id);
          continue;
        }
        results.push({
          from: { id },
          to: slice.map((toId) => ({ toObjectId: Number(toId), associationTypes: typesFor(from, to, id, toId) })),
          ...(next ? { paging: { next: { after: next, link: null } } } : {}),
        });
      }
      const errors = missing.length > 0
        ? [{ status: 'error', category: 'OBJECT_NOT_FOUND', subCategory: 'crm.associations.NO_ASSOCIATIONS_FOUND', message: `No ${to} is associated to ${from} ${missing.join(', ')}.`, context: { fromObjectId: missing } }]
        : [];
      return reply.status(errors.length > 0 ? 207 : 200).send({ status: 'COMPLETE', results, startedAt, completedAt: new Date().toISOString(), ...(errors.length ? { numErrors: errors.length, errors } : {}) });
    });

    app.post<{ Params: { from: string; to: string }; Body: unknown }>('/crm/v4/associations/:from/:to/batch/create', async (req, reply) => {
      const from = objectType(req.params.from);
      const to = objectType(req.params.to);
      const startedAt = new Date().toISOString();
      const inputs = inputsOf<{ from?: { id?: string }; to?: { id?: string }; types?: Array<{ associationTypeId?: number }> }>(req.body, WRITE_MAX);
      for (const i of inputs) {
        const typeId = i.types?.[0]?.associationTypeId;
        if (typeId === undefined || !isValidAssociationType(from, to, typeId)) throw validationError(`Invalid association type ${typeId} from ${from} to ${to}.`);
        if (!store.get(from, String(i.from?.id)) || !store.get(to, String(i.to?.id))) throw notFound(`One of the objects does not exist: ${from} ${i.from?.id}, ${to} ${i.to?.id}.`);
      }
      const results = inputs.map((i) => {
        store.associate(from, String(i.from?.id), to, String(i.to?.id), actor);
        return { fromObjectTypeId: OBJECT_TYPE_IDS[from], fromObjectId: Number(i.from?.id), toObjectTypeId: OBJECT_TYPE_IDS[to], toObjectId: Number(i.to?.id), labels: [] };
      });
      return reply.status(201).send({ status: 'COMPLETE', results, startedAt, completedAt: new Date().toISOString() });
    });

    app.post<{ Params: { from: string; to: string }; Body: unknown }>('/crm/v4/associations/:from/:to/batch/associate/default', async (req) => {
      const from = objectType(req.params.from);
      const to = objectType(req.params.to);
      const startedAt = new Date().toISOString();
      const inputs = inputsOf<{ from?: { id?: string }; to?: { id?: string } }>(req.body, WRITE_MAX);
      const results = inputs.flatMap((i) => {
        if (!store.associate(from, String(i.from?.id), to, String(i.to?.id), actor)) return [];
        return [{ from: { id: String(i.from?.id) }, to: { id: String(i.to?.id) }, associationSpec: { associationCategory: 'HUBSPOT_DEFINED', associationTypeId: associationTypeId(from, to) } }];
      });
      return { status: 'COMPLETE', results, startedAt, completedAt: new Date().toISOString() };
    });

    app.post<{ Params: { from: string; to: string }; Body: unknown }>('/crm/v4/associations/:from/:to/batch/archive', async (req, reply) => {
      const from = objectType(req.params.from);
      const to = objectType(req.params.to);
      for (const i of inputsOf<{ from?: { id?: string }; to?: Array<{ id?: string }> }>(req.body, WRITE_MAX)) {
        for (const t of i.to ?? []) store.dissociate(from, String(i.from?.id), to, String(t.id), actor);
      }
      return reply.status(204).send();
    });

    app.put<{ Params: { from: string; fromId: string; to: string; toId: string } }>('/crm/v4/objects/:from/:fromId/associations/default/:to/:toId', async (req) => {
      const from = objectType(req.params.from);
      const to = objectType(req.params.to);
      const startedAt = new Date().toISOString();
      if (!store.get(from, req.params.fromId) || !store.get(to, req.params.toId)) throw notFound();
      if (!store.associate(from, req.params.fromId, to, req.params.toId, actor)) {
        throw new HubSpotHttpError(400, 'VALIDATION_ERROR', `${from} cannot be associated with ${to}.`);
      }
      const spec = { associationCategory: 'HUBSPOT_DEFINED', associationTypeId: associationTypeId(from, to) };
      return { status: 'COMPLETE', results: [{ from: { id: req.params.fromId }, to: { id: req.params.toId }, associationSpec: spec }], startedAt, completedAt: new Date().toISOString() };
    });

    app.get<{ Params: { type: string; id: string; to: string }; Querystring: { limit?: string; after?: string } }>('/crm/v4/objects/:type/:id/associations/:to', async (req) => {
      const from = objectType(req.params.type);
      const to = objectType(req.params.to);
      if (!store.get(from, req.params.id)) throw notFound();
      const limit = Math.min(500, Math.max(1, Number(req.query.limit ?? 500) || 500));
      const { slice, next } = page(from, to, req.params.id, req.query.after, limit);
      return {
        results: slice.map((toId) => ({ toObjectId: Number(toId), associationTypes: typesFor(from, to, req.params.id, toId) })),
        ...(next ? { paging: { next: { after: next } } } : {}),
      };
    });
  };
}
