import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import { objectType, type SandboxContext } from '../context.ts';
import { notFound, validationError } from '../hubspot-errors.ts';
import type { Simulator } from '../simulate.ts';
import { PropertyError } from '../store.ts';
import { asText } from '../text-value.ts';

/** The harness's own endpoints under /_sandbox: ground truth, reset, metrics and simulations. No auth. */

export interface AdminHooks {
  simulator: () => Simulator;
  reset: () => Promise<void>;
  /** Live fault injection settings (mutable). */
  faults: { faultRate: number; latencyMs: number };
  /** Midnight in the portal: the daily request counts start again. */
  newDay: () => void;
}

type Body = Record<string, unknown> | undefined;

export function adminRoutes(ctx: SandboxContext, hooks?: AdminHooks): FastifyPluginAsync {
  return async (app: FastifyInstance) => {
    app.get('/_sandbox/ground-truth', async () => ctx.truth());
    // The enrichment provider (a separate vendor API in production): the same protocol as the product's HTTP
    // adapter speaks, keyed with the portal's token. Only in portals generated with enrichment ground truth.
    app.get<{ Querystring: { domain?: string } }>('/_sandbox/enrichment/v1/companies', async (req, reply) => {
      if (req.headers.authorization !== `Bearer ${ctx.token}`) return reply.status(401).send({ error: 'invalid API key' });
      const domain = (req.query.domain ?? '').trim().toLowerCase();
      if (!domain) return reply.status(400).send({ error: 'domain is required' });
      const record = ctx.portal.groundTruth.enrichment?.provider[domain];
      if (!record) return reply.status(404).send({ error: `no company with domain ${domain}` });
      return record;
    });
    app.get('/_sandbox/metrics', async () => ({ ...ctx.counters, byRoute: { ...ctx.counters.byRoute } }));
    if (!hooks) return;
    app.get('/_sandbox/faults', async () => ({ ...hooks.faults }));
    app.put<{ Body: Body }>('/_sandbox/faults', async (req) => {
      const b = req.body ?? {};
      const rate = b.faultRate === undefined ? hooks.faults.faultRate : Number(b.faultRate);
      const latency = b.latencyMs === undefined ? hooks.faults.latencyMs : Number(b.latencyMs);
      if (!(rate >= 0 && rate <= 1)) throw validationError('faultRate must be a number between 0 and 1');
      if (!(Number.isInteger(latency) && latency >= 0)) throw validationError('latencyMs must be a non-negative integer');
      Object.assign(hooks.faults, { faultRate: rate, latencyMs: latency });
      return { ...hooks.faults };
    });
    app.post('/_sandbox/new-day', async () => {
      hooks.newDay();
      return { status: 'daily limits reset' };
    });
    app.post('/_sandbox/reset', async () => {
      await hooks.reset();
      return { status: 'reset', counts: ctx.truth().counts };
    });

    const simulate = (name: string, run: (s: Simulator, body: Record<string, unknown>) => unknown) => {
      app.post<{ Body: Body }>(`/_sandbox/simulate/${name}`, async (req, reply) => {
        try {
          return reply.status(201).send(run(hooks.simulator(), req.body ?? {}));
        } catch (err) {
          if (err instanceof PropertyError) throw validationError(`Property values were not valid: ${err.invalid.map((i) => i.message).join('; ')}`);
          throw err;
        }
      });
    };
    const str = (v: unknown) => (v === undefined || v === null || v === '' ? undefined : asText(v));
    const strs = (v: unknown) => (Array.isArray(v) ? v.map((x) => asText(x)) : undefined);
    simulate('call', (s, b) => s.call({ companyId: str(b.companyId), ...(typeof b.competitor === 'boolean' ? { competitor: b.competitor } : {}), contactIds: strs(b.contactIds) }));
    simulate('email', (s, b) => s.email({ companyId: str(b.companyId), direction: str(b.direction), subject: str(b.subject), text: str(b.text), ccContactIds: strs(b.ccContactIds) }));
    simulate('meeting', (s, b) => s.meeting({ companyId: str(b.companyId) }));
    simulate('note', (s, b) => s.note({ companyId: str(b.companyId), text: str(b.text) }));
    simulate('contact', (s, b) => s.contact({ companyId: str(b.companyId), email: str(b.email) }));
    simulate('deal-stage', (s, b) => s.dealStage({ dealId: str(b.dealId), stage: str(b.stage), companyId: str(b.companyId) }));
    simulate('human-edit', (s, b) => {
      if (!b.objectType || !b.objectId || typeof b.properties !== 'object') throw validationError('human-edit needs objectType, objectId and properties');
      return s.humanEdit(b, objectType(asText(b.objectType)));
    });
    app.post('/_sandbox/simulate/:other', async () => {
      throw notFound('Unknown simulation: use call, email, meeting, note, contact, deal-stage or human-edit.');
    });
  };
}
