import type { LlmProvider } from '../agents/provider.ts';
import { QuotaLedger, resolveQuota, withModelQuota } from '../agents/model-quota.ts';
import { metrics, portalLabel } from '../metrics.ts';
import { traceUsageSince } from '../writeback/usage-ledger.ts';
import type { Container } from './container.ts';
import type { PortalScope } from './portal-scopes.ts';

/** One spending ledger per container (every portal's jobs and API calls in this process share it). */
const ledgers = new WeakMap<Container, QuotaLedger>();

/**
 * The model provider a portal's agents use (jobs, workflow actions, on-demand API runs): the container's shared
 * provider behind the portal's quota (its policy's `modelQuota` over MODEL_QUOTA_*), counting its tokens and
 * cost in the per-portal metrics. A spent quota refuses with MODEL_QUOTA_SPENT (agents/model-quota.ts).
 */
export async function portalProvider(c: Container, scope: PortalScope): Promise<LlmProvider> {
  let ledger = ledgers.get(c);
  if (!ledger) {
    ledger = new QuotaLedger(async (portalId, since) => traceUsageSince((await c.sql()).db, portalId, since));
    ledgers.set(c, ledger);
  }
  const defaults = { period: c.config.MODEL_QUOTA_PERIOD, tokens: c.config.MODEL_QUOTA_TOKENS, costUsd: c.config.MODEL_QUOTA_COST_USD };
  const quota = resolveQuota(defaults, scope.writeback.policy.modelQuota);
  const portal = () => portalLabel(scope.portalId);
  const log = c.logger.child({ module: 'model-quota', portalId: scope.portalId });
  return withModelQuota(await c.provider(), {
    portalId: scope.portalId,
    quota,
    ledger,
    onRefusal: (reason) => {
      metrics.portalQuotaRefusals.inc({ portal: portal() });
      log.warn({ quota }, reason);
    },
    onUsage: (u) => {
      metrics.portalModelTokens.inc({ portal: portal() }, u.inputTokens + u.outputTokens);
      if (u.costUsd > 0) metrics.portalModelCostUsd.inc({ portal: portal() }, u.costUsd);
    },
  });
}
