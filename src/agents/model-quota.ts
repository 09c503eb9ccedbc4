import { AgentError } from './errors.ts';
import { chatCostUsd } from './pricing.ts';
import type { GenerationTask, GenerateResult, LlmProvider, Usage } from './provider.ts';

/**
 * Per-portal quotas on model tokens and cost. One deployment serving many portals shares one model account:
 * a portal that spends its period's quota gets a clear refusal (`MODEL_QUOTA_SPENT`, not retried: its generation
 * jobs are dead-lettered with the reason) instead of the model call, and the other portals keep working.
 *
 * What a portal spent lives in a counter in the shared store (QuotaCounter: the SQL database every API and worker
 * process uses). Before each model call the call's estimated usage is reserved with one atomic conditional update
 * that succeeds only while the reservation stays within the quota; after the call the reservation is replaced by
 * the usage the model reported (or returned on failure). So processes sharing the store can never admit calls
 * beyond what is left between them: a portal overruns only by what its admitted calls used beyond their estimates.
 */
export interface ModelQuota {
  /** Input + output tokens per period; unset: no token limit. */
  tokens?: number;
  /** Model cost (USD, from the provider's pricing) per period; unset: no cost limit. */
  costUsd?: number;
  /** `day` (UTC) or `month` (UTC, from the 1st). */
  period: 'day' | 'month';
}

export interface Spent {
  tokens: number;
  costUsd: number;
}

export function periodStart(period: ModelQuota['period'], now: number): number {
  const d = new Date(now);
  return period === 'day' ? Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()) : Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
}

export function periodEnd(period: ModelQuota['period'], now: number): number {
  const d = new Date(periodStart(period, now));
  return period === 'day' ? d.getTime() + 86_400_000 : Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
}

/** The quota of a portal: its policy's `modelQuota` fields over the deployment's MODEL_QUOTA_* defaults. */
export function resolveQuota(defaults: ModelQuota, override: Partial<ModelQuota> | undefined): ModelQuota | undefined {
  const q: ModelQuota = { ...defaults, ...Object.fromEntries(Object.entries(override ?? {}).filter(([, v]) => v !== undefined)) };
  return q.tokens === undefined && q.costUsd === undefined ? undefined : q;
}

const tokensOf = (u: Usage) => u.inputTokens + u.outputTokens;

/**
 * The shared spending counter of every portal and quota period (writeback/usage-ledger.ts: a SQL table, seeded
 * from the portal's traces when a period's row is first made).
 */
export interface QuotaCounter {
  /**
   * Adds `amount` to the portal's spending in the period starting `periodStart` if the sum stays within the
   * quota's limits, atomically across processes. Returns whether it did and the spending before the attempt.
   */
  reserve(portalId: string, periodStart: number, amount: Spent, quota: Pick<ModelQuota, 'tokens' | 'costUsd'>): Promise<{ reserved: boolean; spent: Spent }>;
  /** Adds `delta` (negative to return a reservation) to the portal's spending in the period. */
  adjust(portalId: string, periodStart: number, delta: Spent): Promise<void>;
}

/** Output tokens reserved for a call before the model says how many it used. */
export const OUTPUT_TOKENS_ESTIMATE = 400;

/** What a call will cost before it is made: its prompt at ~4 characters a token plus a typical answer. */
export function estimateUsage(task: Pick<GenerationTask<unknown>, 'messages'>, model: string): Spent {
  const input = Math.ceil(task.messages.reduce((n, m) => n + m.content.length, 0) / 4);
  return { tokens: input + OUTPUT_TOKENS_ESTIMATE, costUsd: chatCostUsd(model, input, OUTPUT_TOKENS_ESTIMATE) };
}

/** Why a portal's quota refuses a call needing `need` after `spent`, or null while it has room. */
export function quotaRefusal(quota: ModelQuota, spent: Spent, need: Spent = { tokens: 0, costUsd: 0 }): string | null {
  const tokens = (n: number) => n.toLocaleString('en-US');
  if (quota.tokens !== undefined && spent.tokens >= quota.tokens) return `${tokens(spent.tokens)} of ${tokens(quota.tokens)} model tokens`;
  if (quota.costUsd !== undefined && spent.costUsd >= quota.costUsd) return `$${spent.costUsd.toFixed(4)} of $${quota.costUsd.toFixed(2)} model cost`;
  if (quota.tokens !== undefined && spent.tokens + need.tokens > quota.tokens) {
    return `${tokens(spent.tokens)} of ${tokens(quota.tokens)} model tokens, this call needs about ${tokens(need.tokens)}`;
  }
  if (quota.costUsd !== undefined && spent.costUsd + need.costUsd > quota.costUsd) {
    return `$${spent.costUsd.toFixed(4)} of $${quota.costUsd.toFixed(2)} model cost, this call needs about $${need.costUsd.toFixed(4)}`;
  }
  return null;
}

/**
 * The provider a portal's agents use: reserves each call's estimated usage in the portal's shared counter before
 * the call (refusing with MODEL_QUOTA_SPENT when it does not fit) and settles it with the usage reported.
 */
export function withModelQuota(
  inner: LlmProvider,
  opts: {
    portalId: string;
    quota: ModelQuota | undefined;
    counter: QuotaCounter;
    onRefusal?: (reason: string, task: GenerationTask<unknown>) => void | Promise<void>;
    onUsage?: (usage: Usage) => void;
    now?: () => number;
  },
): LlmProvider {
  const { quota, counter, portalId } = opts;
  return {
    provider: inner.provider,
    model: inner.model,
    async generate<T>(task: GenerationTask<T>): Promise<GenerateResult<T>> {
      if (!quota) {
        const result = await inner.generate(task);
        if (!result.cached) opts.onUsage?.(result.usage);
        return result;
      }
      const now = opts.now?.() ?? Date.now();
      const period = periodStart(quota.period, now);
      const need = estimateUsage(task, inner.model);
      const { reserved, spent } = await counter.reserve(portalId, period, need, quota);
      if (!reserved) {
        const why = quotaRefusal(quota, spent, need) ?? 'no room left';
        const resets = new Date(periodEnd(quota.period, now)).toISOString();
        const spentAll = quotaRefusal(quota, spent) !== null;
        const message = spentAll
          ? `portal ${portalId} has spent its ${quota.period === 'day' ? 'daily' : 'monthly'} model quota (${why}); no model call until ${resets}`
          : `portal ${portalId} has too little of its ${quota.period === 'day' ? 'daily' : 'monthly'} model quota left (${why}); no model call until ${resets}`;
        await opts.onRefusal?.(message, task);
        throw new AgentError('MODEL_QUOTA_SPENT', message, { details: { portalId, quota, spent, resets } });
      }
      let result: GenerateResult<T>;
      try {
        result = await inner.generate(task);
      } catch (err) {
        await counter.adjust(portalId, period, { tokens: -need.tokens, costUsd: -need.costUsd });
        throw err;
      }
      const used = result.cached ? { inputTokens: 0, outputTokens: 0, costUsd: 0 } : result.usage;
      await counter.adjust(portalId, period, { tokens: tokensOf(used) - need.tokens, costUsd: used.costUsd - need.costUsd });
      if (!result.cached) opts.onUsage?.(result.usage);
      return result;
    },
    ping: () => inner.ping(),
    // The shared provider is closed by its owner (the container), never through one portal's view of it.
    close: async () => undefined,
  };
}
