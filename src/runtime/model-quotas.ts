import type { LlmProvider } from '../agents/provider.ts';
import { resolveQuota, withModelQuota } from '../agents/model-quota.ts';
import { errorMessage } from '../errors.ts';
import { SqlQuotaCounter } from '../writeback/usage-ledger.ts';
import type { Container } from './container.ts';
import type { PortalScope } from './portal-scopes.ts';

/**
 * The model provider a portal's agents use (jobs, workflow actions, on-demand API runs): the container's shared
 * provider behind the portal's quota (its policy's `modelQuota` over MODEL_QUOTA_*), counting its tokens and
 * cost in the per-portal metrics. A spent quota refuses with MODEL_QUOTA_SPENT (agents/model-quota.ts), counted in
 * the metrics, logged, and recorded in the portal's audit log (`quota_refused`, with the task and the reason).
 */
export async function portalProvider(c: Container, scope: PortalScope): Promise<LlmProvider> {
  // Over the container's SQL database (every process on that database shares the rows); it holds no state.
  const counter = new SqlQuotaCounter(await c.sql());
  const metrics = c.metrics;
  const defaults = { period: c.config.MODEL_QUOTA_PERIOD, tokens: c.config.MODEL_QUOTA_TOKENS, costUsd: c.config.MODEL_QUOTA_COST_USD };
  const quota = resolveQuota(defaults, scope.writeback.policy.modelQuota);
  const portal = () => metrics.portalLabel(scope.portalId);
  const log = c.logger.child({ module: 'model-quota', portalId: scope.portalId });
  return withModelQuota(await c.provider(), {
    portalId: scope.portalId,
    quota,
    counter,
    onRefusal: async (reason, task) => {
      metrics.portalQuotaRefusals.inc({ portal: portal() });
      log.warn({ quota, task: task.task }, reason);
      await scope.writeback
        .recordEvent({ event: 'quota_refused', actor: 'system', agent: task.task, status: 'refused', reasons: ['MODEL_QUOTA_SPENT'], detail: reason })
        .catch((err: unknown) => log.error({ err: errorMessage(err) }, 'could not record the quota refusal in the audit log'));
    },
    onUsage: (u) => {
      metrics.portalModelTokens.inc({ portal: portal() }, u.inputTokens + u.outputTokens);
      if (u.costUsd > 0) metrics.portalModelCostUsd.inc({ portal: portal() }, u.costUsd);
    },
  });
}
