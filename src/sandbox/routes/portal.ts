import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import type { SandboxContext } from '../context.ts';
import { DEAL_STAGES, TICKET_STAGES } from '../generate-records.ts';
import { notFound, validationError } from '../hubspot-errors.ts';
import { PORTAL_START, iso } from '../portal-builder.ts';

/** Account info, owners and pipelines: the portal settings the product reads once. */

const CREATED = iso(PORTAL_START);

export function pipelines(type: 'deals' | 'tickets') {
  const stage = (s: { id: string; label: string }, i: number, metadata: Record<string, string>) => ({
    id: s.id, label: s.label, displayOrder: i, metadata, createdAt: CREATED, updatedAt: CREATED, archived: false, writePermissions: 'CRM_PERMISSIONS_ENFORCEMENT',
  });
  if (type === 'deals') {
    return [{
      id: 'default', label: 'Sales Pipeline', displayOrder: 0, createdAt: CREATED, updatedAt: CREATED, archived: false,
      stages: DEAL_STAGES.map((s, i) => stage(s, i, { isClosed: String(s.id.startsWith('closed')), probability: s.probability })),
    }];
  }
  return [{
    id: '0', label: 'Support Pipeline', displayOrder: 0, createdAt: CREATED, updatedAt: CREATED, archived: false,
    stages: TICKET_STAGES.map((s, i) => stage(s, i, { ticketState: s.id === '4' ? 'CLOSED' : 'OPEN' })),
  }];
}

export function portalRoutes(ctx: SandboxContext): FastifyPluginAsync {
  return async (app: FastifyInstance) => {
    app.get('/account-info/v3/details', async () => ({
      portalId: ctx.portalId,
      accountType: 'SANDBOX',
      timeZone: 'UTC',
      companyCurrency: 'USD',
      additionalCurrencies: [],
      utcOffset: '+00:00',
      utcOffsetMilliseconds: 0,
      uiDomain: 'app.hubspot.com',
      dataHostingLocation: 'na1',
    }));

    app.get<{ Querystring: { limit?: string; after?: string; email?: string } }>('/crm/v3/owners', async (req) => {
      const limit = Number(req.query.limit ?? 100);
      if (!Number.isInteger(limit) || limit < 1 || limit > 500) throw validationError('limit must be between 1 and 500');
      const all = ctx.store.owners.filter((o) => !req.query.email || o.email === req.query.email);
      const start = req.query.after ? all.findIndex((o) => o.id === req.query.after) : 0;
      const slice = all.slice(Math.max(0, start), Math.max(0, start) + limit);
      const next = all[Math.max(0, start) + limit];
      return {
        results: slice.map((o) => ({ id: o.id, email: o.email, type: 'PERSON', firstName: o.firstName, lastName: o.lastName, userId: o.userId, userIdIncludingInactive: o.userId, createdAt: CREATED, updatedAt: CREATED, archived: false, teams: [] })),
        ...(next ? { paging: { next: { after: next.id } } } : {}),
      };
    });

    app.get<{ Params: { type: string } }>('/crm/v3/pipelines/:type', async (req) => {
      const t = req.params.type === 'deals' || req.params.type === '0-3' ? 'deals' : req.params.type === 'tickets' || req.params.type === '0-5' ? 'tickets' : undefined;
      if (!t) throw notFound(`No pipelines for object type ${req.params.type}`);
      return { results: pipelines(t) };
    });
  };
}
