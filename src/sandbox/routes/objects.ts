import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import type { ObjectType } from '../object-types.ts';
import { isValidAssociationType } from '../association-types.ts';
import { objectType, type SandboxContext } from '../context.ts';
import { HubSpotHttpError, notFound, tooManyInputs, validationError } from '../hubspot-errors.ts';
import type { SearchRequest } from '../search.ts';
import { toApi, listParam, type ReadOptions } from '../serialize.ts';
import { PropertyError, type LiveObject } from '../store.ts';

/** CRM v3 objects: basic CRUD, cursor paging, batch operations, search and merge. */

const BATCH_MAX = 100;
const BATCH_HISTORY_MAX = 50;
const PAGE_MAX = 100;

type Query = Record<string, unknown>;
interface NewAssoc { to?: { id?: string }; types?: Array<{ associationCategory?: string; associationTypeId?: number }> }

function readOptions(q: Query | Record<string, unknown>): ReadOptions {
  const associations = listParam(q.associations)?.map(objectType);
  return { properties: listParam(q.properties), propertiesWithHistory: listParam(q.propertiesWithHistory), ...(associations ? { associations } : {}) };
}

function batchInputs<T>(body: unknown, max: number): T[] {
  const inputs = (body as { inputs?: unknown } | undefined)?.inputs;
  if (!Array.isArray(inputs)) throw validationError('Invalid input JSON: the body must have an "inputs" array.');
  if (inputs.length > max) throw tooManyInputs(max, inputs.length);
  return inputs as T[];
}

function propertyFailure(err: unknown): never {
  if (err instanceof PropertyError) {
    throw validationError(`Property values were not valid: ${JSON.stringify(err.invalid.map((i) => ({ isValid: false, ...i })))}`, {
      errors: err.invalid.map((i) => ({ message: i.message, code: i.error, context: { propertyName: [i.name] } })),
    });
  }
  throw err;
}

function batchEnvelope(results: unknown[], startedAt: string, errors: unknown[] = []): Record<string, unknown> {
  return { status: 'COMPLETE', results, startedAt, completedAt: new Date().toISOString(), ...(errors.length > 0 ? { numErrors: errors.length, errors } : {}) };
}

export function objectRoutes(ctx: SandboxContext): FastifyPluginAsync {
  const { store } = ctx;
  const actor = ctx.integration;

  /** Resolves `associations` of a v3 create, checking each end and type before anything is written. */
  function checkAssociations(type: ObjectType, list: NewAssoc[] | undefined): Array<[ObjectType, string]> {
    const out: Array<[ObjectType, string]> = [];
    for (const a of list ?? []) {
      const toId = String(a.to?.id ?? '');
      const typeId = a.types?.[0]?.associationTypeId;
      const target = (['companies', 'contacts', 'deals', 'tickets', 'notes', 'emails', 'calls', 'meetings', 'tasks'] as ObjectType[]).find(
        (t) => typeId !== undefined && isValidAssociationType(type, t, typeId) && store.get(t, toId),
      );
      if (!target) throw validationError(`Invalid association: no ${type} association of type ${typeId} to an existing object ${toId}.`, { subCategory: 'crm.associations.INVALID_ASSOCIATION' });
      out.push([target, toId]);
    }
    return out;
  }

  function create(type: ObjectType, input: { properties?: Record<string, unknown>; associations?: NewAssoc[] }): LiveObject {
    const links = checkAssociations(type, input.associations);
    let o: LiveObject;
    try {
      o = store.create(type, input.properties ?? {}, actor);
    } catch (err) {
      propertyFailure(err);
    }
    for (const [t, id] of links) store.associate(type, o.id, t, id, actor);
    return o;
  }

  function update(type: ObjectType, id: string, properties: Record<string, unknown> | undefined): LiveObject | undefined {
    try {
      return store.update(type, id, properties ?? {}, actor);
    } catch (err) {
      propertyFailure(err);
    }
  }

  return async (app: FastifyInstance) => {
    app.get<{ Params: { type: string }; Querystring: Query }>('/crm/v3/objects/:type', async (req) => {
      const type = objectType(req.params.type);
      const limit = req.query.limit === undefined ? 10 : Number(req.query.limit);
      if (!Number.isInteger(limit) || limit < 1 || limit > PAGE_MAX) throw validationError(`limit must be between 1 and ${PAGE_MAX}`);
      const archived = String(req.query.archived) === 'true';
      const ids = store.order[type];
      let i = 0;
      if (req.query.after !== undefined && req.query.after !== '') {
        const after = Number(req.query.after);
        if (!Number.isFinite(after)) throw validationError('after must be a cursor returned by a previous page');
        // Ids are increasing numbers, so the cursor (the next id) is a binary search away.
        let lo = 0;
        let hi = ids.length;
        while (lo < hi) {
          const mid = (lo + hi) >> 1;
          if (Number(ids[mid]) < after) lo = mid + 1;
          else hi = mid;
        }
        i = lo;
      }
      const page: LiveObject[] = [];
      let next: string | undefined;
      for (; i < ids.length; i++) {
        const o = store.objects[type].get(ids[i]!);
        if (!o || o.archived !== archived) continue;
        if (page.length === limit) {
          next = o.id;
          break;
        }
        page.push(o);
      }
      const opts = readOptions(req.query);
      const base = `${req.protocol}://${req.host}/crm/v3/objects/${type}`;
      return {
        results: page.map((o) => toApi(store, o, opts)),
        ...(next ? { paging: { next: { after: next, link: `${base}?after=${next}` } } } : {}),
      };
    });

    app.get<{ Params: { type: string; id: string }; Querystring: Query }>('/crm/v3/objects/:type/:id', async (req) => {
      const type = objectType(req.params.type);
      const o = store.get(type, req.params.id, String(req.query.archived) === 'true');
      if (!o) throw notFound();
      return toApi(store, o, readOptions(req.query));
    });

    app.post<{ Params: { type: string }; Body: { properties?: Record<string, unknown>; associations?: NewAssoc[] } }>('/crm/v3/objects/:type', async (req, reply) => {
      const type = objectType(req.params.type);
      const o = create(type, req.body ?? {});
      return reply.status(201).send(toApi(store, o, { properties: Object.keys(o.properties) }));
    });

    app.patch<{ Params: { type: string; id: string }; Body: { properties?: Record<string, unknown> } }>('/crm/v3/objects/:type/:id', async (req) => {
      const type = objectType(req.params.type);
      const o = update(type, req.params.id, req.body?.properties);
      if (!o) throw notFound();
      return toApi(store, o, { properties: Object.keys(o.properties) });
    });

    app.delete<{ Params: { type: string; id: string } }>('/crm/v3/objects/:type/:id', async (req, reply) => {
      // HubSpot answers 204 whether or not the object existed.
      store.archive(objectType(req.params.type), req.params.id, actor);
      return reply.status(204).send();
    });

    app.post<{ Params: { type: string }; Body: Record<string, unknown> & { inputs?: Array<{ id?: string }> }; Querystring: Query }>('/crm/v3/objects/:type/batch/read', async (req, reply) => {
      const type = objectType(req.params.type);
      const startedAt = new Date().toISOString();
      const withHistory = listParam(req.body?.propertiesWithHistory);
      const inputs = batchInputs<{ id?: string }>(req.body, withHistory && withHistory.length > 0 ? BATCH_HISTORY_MAX : BATCH_MAX);
      const opts = readOptions(req.body ?? {});
      const archived = String(req.query.archived) === 'true';
      const results: unknown[] = [];
      const missing: string[] = [];
      for (const input of inputs) {
        const o = store.get(type, String(input.id), archived);
        if (o) results.push(toApi(store, o, opts));
        else missing.push(String(input.id));
      }
      const errors = missing.length > 0 ? [{ status: 'error', category: 'OBJECT_NOT_FOUND', message: `Could not get some ${type} objects, they may be deleted or not exist. Check that ids are valid.`, context: { ids: missing } }] : [];
      return reply.status(errors.length > 0 ? 207 : 200).send(batchEnvelope(results, startedAt, errors));
    });

    app.post<{ Params: { type: string }; Body: unknown }>('/crm/v3/objects/:type/batch/create', async (req, reply) => {
      const type = objectType(req.params.type);
      const startedAt = new Date().toISOString();
      const inputs = batchInputs<{ properties?: Record<string, unknown>; associations?: NewAssoc[] }>(req.body, BATCH_MAX);
      // All-or-nothing like HubSpot: validate every input before creating any.
      for (const input of inputs) {
        try {
          store.validate(type, input.properties ?? {});
        } catch (err) {
          propertyFailure(err);
        }
        checkAssociations(type, input.associations);
      }
      const created = inputs.map((input) => create(type, input));
      return reply.status(201).send(batchEnvelope(created.map((o) => toApi(store, o, { properties: Object.keys(o.properties) })), startedAt));
    });

    app.post<{ Params: { type: string }; Body: unknown }>('/crm/v3/objects/:type/batch/update', async (req, reply) => {
      const type = objectType(req.params.type);
      const startedAt = new Date().toISOString();
      const inputs = batchInputs<{ id?: string; properties?: Record<string, unknown> }>(req.body, BATCH_MAX);
      // HubSpot refuses a batch that names a record twice (which value would win?).
      const seen = new Set<string>();
      const dup = new Set<string>();
      for (const input of inputs) (seen.has(String(input.id)) ? dup : seen).add(String(input.id));
      if (dup.size > 0) throw validationError(`Duplicate IDs found in batch input: [${[...dup].join(', ')}]. IDs must be unique`, { subCategory: 'DUPLICATE_IDS' });
      for (const input of inputs) {
        try {
          store.validate(type, input.properties ?? {});
        } catch (err) {
          propertyFailure(err);
        }
      }
      const results: unknown[] = [];
      const missing: string[] = [];
      for (const input of inputs) {
        const o = update(type, String(input.id), input.properties);
        if (o) results.push(toApi(store, o, { properties: Object.keys(input.properties ?? {}) }));
        else missing.push(String(input.id));
      }
      const errors = missing.length > 0 ? [{ status: 'error', category: 'OBJECT_NOT_FOUND', message: 'Could not update some objects: they may be deleted or not exist.', context: { ids: missing } }] : [];
      return reply.status(errors.length > 0 ? 207 : 200).send(batchEnvelope(results, startedAt, errors));
    });

    app.post<{ Params: { type: string }; Body: unknown }>('/crm/v3/objects/:type/batch/archive', async (req, reply) => {
      const type = objectType(req.params.type);
      for (const input of batchInputs<{ id?: string }>(req.body, BATCH_MAX)) store.archive(type, String(input.id), actor);
      return reply.status(204).send();
    });

    app.post<{ Params: { type: string }; Body: SearchRequest | undefined }>('/crm/v3/objects/:type/search', async (req) => {
      const type = objectType(req.params.type);
      const body = req.body ?? {};
      const { total, page, next } = ctx.search(type, body);
      return { total, results: page.map((o) => toApi(store, o, { properties: body.properties ?? [] })), ...(next ? { paging: { next: { after: next } } } : {}) };
    });

    app.post<{ Params: { type: string }; Body: { primaryObjectId?: string; objectIdToMerge?: string } | undefined }>('/crm/v3/objects/:type/merge', async (req) => {
      const type = objectType(req.params.type);
      if (type !== 'companies' && type !== 'contacts' && type !== 'deals' && type !== 'tickets') throw validationError(`Merging ${type} is not supported.`);
      const primary = String(req.body?.primaryObjectId ?? '');
      const other = String(req.body?.objectIdToMerge ?? '');
      if (!store.get(type, primary) || !store.get(type, other)) throw notFound();
      if (primary === other) throw new HubSpotHttpError(400, 'VALIDATION_ERROR', 'Cannot merge an object with itself.');
      const merged = store.merge(type, primary, other, actor);
      if (!merged) throw notFound();
      return toApi(store, merged, {});
    });
  };
}
