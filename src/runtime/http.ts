import type { FastifyInstance } from 'fastify';
import { buildApp, type RouteGroup } from '../api/app.ts';
import type { HubSpotEvent } from '../queue/jobs.ts';
import type { Container } from './container.ts';
import { createAccountsService } from './accounts-service.ts';
import type { PortalWritebacks } from '../api/tenancy.ts';

/** The whole HTTP surface for `serve` and `demo`, built from the container's ports. */
export async function buildServiceApp(c: Container): Promise<FastifyInstance> {
  const cfg = c.config;
  const [{ webhookRoutes }, { jobRoutes }, { accountRoutes }, { reviewRoutes }, { auditRoutes }, { reviewPage }, { dashboardRoutes }] = await Promise.all([
    import('../api/routes/webhooks.ts'),
    import('../api/routes/jobs.ts'),
    import('../api/routes/accounts.ts'),
    import('../api/routes/reviews.ts'),
    import('../api/routes/audit.ts'),
    import('../api/review-page/plugin.ts'),
    import('../api/routes/dashboard.ts'),
  ]);
  const { hubspotRoutes } = await import('../api/routes/hubspot.ts');
  const [queue, oauth] = await Promise.all([c.queue(), c.oauth()]);
  // Each request works on one portal's write-back service, holding the portal until it has answered (api/tenancy.ts).
  const writeback: PortalWritebacks = {
    lease: async (id) => {
      const { scope, release } = await c.leasePortal(id);
      return { writeback: scope.writeback, release };
    },
    defaultPortal: () => c.portalId(),
  };
  const lifecycle = oauth ? (await import('../oauth/lifecycle.ts')).applyAppLifecycle : undefined;
  const routes: RouteGroup[] = [
    {
      name: 'webhooks',
      plugin: webhookRoutes,
      opts: {
        queue,
        clientSecret: cfg.HUBSPOT_CLIENT_SECRET,
        allowedVersions: cfg.WEBHOOK_SIGNATURE_VERSIONS,
        publicUrl: cfg.WEBHOOK_PUBLIC_URL,
        maxBodyBytes: cfg.WEBHOOK_MAX_BODY_BYTES,
        foreground: c.foreground,
        metrics: c.metrics,
        logger: c.logger.child({ module: 'webhooks' }),
        ...(oauth && lifecycle
          ? {
              lifecycle: async (events: HubSpotEvent[]) => {
                const r = await lifecycle(oauth.tokens, events);
                // An uninstalled portal's gateway and write-back are dropped in this process at once.
                for (const id of r.uninstalled) await c.forgetPortal(id);
                return r;
              },
            }
          : {}),
      },
    },
    ...(oauth ? [{ name: 'oauth', plugin: (await import('../oauth/routes.ts')).oauthRoutes, opts: oauth.routeOptions(c.logger.child({ module: 'oauth' })) }] : []),
    { name: 'jobs', plugin: jobRoutes, opts: { queue } },
    { name: 'accounts', plugin: accountRoutes, opts: { accounts: createAccountsService(c) } },
    { name: 'reviews', plugin: reviewRoutes, opts: { writeback } },
    { name: 'audit', plugin: auditRoutes, opts: { writeback } },
    { name: 'review-page', plugin: reviewPage, opts: {} },
    { name: 'validations', plugin: (await import('../api/routes/validations.ts')).validationRoutes, opts: { validations: validationService(c) } },
    { name: 'dashboard', plugin: dashboardRoutes, opts: { writeback } },
    {
      name: 'hubspot',
      plugin: hubspotRoutes,
      opts: {
        queue,
        writeback,
        waiters: c.actionWaiters,
        clientSecret: cfg.HUBSPOT_CLIENT_SECRET,
        publicUrl: cfg.WEBHOOK_PUBLIC_URL,
        acceptV2ForActions: cfg.WEBHOOK_SIGNATURE_VERSIONS.includes('v2'),
        actionWaitMs: cfg.WORKFLOW_ACTION_WAIT_MS,
        maxBodyBytes: cfg.WEBHOOK_MAX_BODY_BYTES,
        logger: c.logger.child({ module: 'hubspot-requests' }),
      },
    },
  ];
  return buildApp({
    tokens: cfg.API_TOKENS,
    logger: c.logger.child({ module: 'api' }),
    rateLimitPerMinute: cfg.API_RATE_LIMIT_PER_MINUTE,
    trustProxy: cfg.TRUST_PROXY,
    readiness: c.readiness(),
    containerMetrics: c.metrics,
    metricsToken: cfg.METRICS_TOKEN,
    tracing: await c.tracing(),
    routes,
  });
}

/** The validation routes' service: the portal's records, and `validate judgments` for one portal. */
function validationService(c: Container): import('../api/routes/validations.ts').ValidationService {
  return {
    defaultPortal: () => c.portalId(),
    // Each holds the portal while it works (a portal this deployment does not serve has no records to show).
    list: (portalId, limit) => c.usePortal(portalId, async () => (await c.validations()).list(portalId, limit)),
    async validateJudgments(portalId, write) {
      const { validateJudgments } = await import('../writeback/scorer-report/judgment-report.ts');
      return c.usePortal(portalId, async ({ gateway, writeback }) => {
        const [provider, validations, records] = await Promise.all([c.provider(), c.validations(), c.modelRecords()]);
        return validateJudgments({ portalId, gateway, validations, records, audit: (f) => writeback.audit(f), model: { provider: provider.provider, model: provider.model } }, { write });
      });
    },
  };
}
