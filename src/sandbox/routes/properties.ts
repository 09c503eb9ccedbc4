import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import { objectType, type SandboxContext } from '../context.ts';
import { HubSpotHttpError, notFound, validationError } from '../hubspot-errors.ts';
import { makePropertyDef } from '../property-catalog.ts';
import { asText } from '../text-value.ts';

/** Properties v3: list, read, create; property groups. Created properties can be written on records at once. */

const TYPES = new Set(['bool', 'date', 'datetime', 'enumeration', 'number', 'phone_number', 'string']);
const NAME = /^[a-z][a-z0-9_]*$/;

export function propertyRoutes(ctx: SandboxContext): FastifyPluginAsync {
  const { store } = ctx;
  return async (app: FastifyInstance) => {
    app.get<{ Params: { type: string } }>('/crm/v3/properties/:type', async (req) => {
      const type = objectType(req.params.type);
      return { results: [...store.properties[type].values()].filter((p) => !p.archived) };
    });

    app.get<{ Params: { type: string; name: string } }>('/crm/v3/properties/:type/:name', async (req) => {
      const p = store.properties[objectType(req.params.type)].get(req.params.name);
      if (!p) throw notFound(`Unable to find property ${req.params.name}`);
      return p;
    });

    app.post<{ Params: { type: string }; Body: Record<string, unknown> | undefined }>('/crm/v3/properties/:type', async (req, reply) => {
      const type = objectType(req.params.type);
      const b = req.body ?? {};
      const name = asText(b.name);
      const problems: string[] = [];
      if (!NAME.test(name)) problems.push('name must start with a letter and use lowercase letters, digits and underscores');
      if (!b.label) problems.push('label is required');
      if (!TYPES.has(asText(b.type))) problems.push(`type must be one of ${[...TYPES].join(', ')}`);
      if (!b.fieldType) problems.push('fieldType is required');
      if (!b.groupName) problems.push('groupName is required');
      else if (!store.groups[type].has(asText(b.groupName))) problems.push(`property group ${asText(b.groupName)} does not exist`);
      if (problems.length > 0) throw validationError(`Property definition is invalid: ${problems.join('; ')}`, { errors: problems.map((message) => ({ message })) });
      if (store.properties[type].has(name)) {
        throw new HubSpotHttpError(409, 'OBJECT_ALREADY_EXISTS', `A property named '${name}' already exists.`, { subCategory: 'PropertyValidationError.PROPERTY_NAME_ALREADY_EXISTS' });
      }
      const now = new Date().toISOString();
      const def = makePropertyDef(name, {
        label: asText(b.label),
        type: asText(b.type),
        fieldType: asText(b.fieldType),
        groupName: asText(b.groupName),
        description: asText(b.description),
        options: Array.isArray(b.options) ? (b.options as Array<{ label: string; value: string }>) : [],
        displayOrder: Number(b.displayOrder ?? -1),
        hidden: Boolean(b.hidden),
        formField: Boolean(b.formField),
        hubspotDefined: false,
        modificationMetadata: { archivable: true, readOnlyDefinition: false, readOnlyValue: false },
      }, now);
      delete def.hubspotDefined;
      store.properties[type].set(name, def);
      return reply.status(201).send(def);
    });

    // Portals edit their properties, options above all (lead statuses, lifecycle stages): values written later are
    // checked against the new options.
    app.patch<{ Params: { type: string; name: string }; Body: Record<string, unknown> | undefined }>('/crm/v3/properties/:type/:name', async (req) => {
      const type = objectType(req.params.type);
      const p = store.properties[type].get(req.params.name);
      if (!p) throw notFound(`Unable to find property ${req.params.name}`);
      const b = req.body ?? {};
      if (b.options !== undefined) {
        if (!Array.isArray(b.options) || b.options.some((o: unknown) => typeof (o as { value?: unknown })?.value !== 'string')) {
          throw validationError('options must be an array of {label, value}');
        }
        p.options = (b.options as Array<{ label?: string; value: string; displayOrder?: number; hidden?: boolean }>).map((o, i) => ({
          label: o.label ?? o.value,
          value: o.value,
          displayOrder: o.displayOrder ?? i,
          hidden: o.hidden ?? false,
        }));
      }
      if (typeof b.label === 'string') p.label = b.label;
      if (typeof b.description === 'string') p.description = b.description;
      p.updatedAt = new Date().toISOString();
      return p;
    });

    app.get<{ Params: { type: string } }>('/crm/v3/properties/:type/groups', async (req) => ({
      results: [...store.groups[objectType(req.params.type)].values()],
    }));

    app.post<{ Params: { type: string }; Body: Record<string, unknown> | undefined }>('/crm/v3/properties/:type/groups', async (req, reply) => {
      const type = objectType(req.params.type);
      const name = asText(req.body?.name);
      if (!NAME.test(name) || !req.body?.label) throw validationError('A property group needs a lowercase name and a label.');
      if (store.groups[type].has(name)) throw new HubSpotHttpError(409, 'OBJECT_ALREADY_EXISTS', `A property group named '${name}' already exists.`);
      const group = { name, label: asText(req.body.label), displayOrder: Number(req.body.displayOrder ?? -1), archived: false };
      store.groups[type].set(name, group);
      return reply.status(201).send(group);
    });
  };
}
