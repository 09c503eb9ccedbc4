import { AgentError } from './errors.ts';
import type { GenerationTask, GenerateResult, LlmProvider, Usage } from './provider.ts';

/**
 * Per-portal quotas on model tokens and cost. One deployment serving many portals shares one model account:
 * a portal that spends its period's quota gets a clear refusal (`MODEL_QUOTA_SPENT`, not retried: its generation
 * jobs are dead-lettered with the reason) instead of the model call, and the other portals keep working.
 *
 * What a portal spent is the usage its generation traces recorded since the period started (the audit store's
 * traces, written by every process), re-read at most every `refreshMs`, plus what this process spent since that
 * read. Across several worker processes a portal can overrun its quota by what the others spent within one
 * refresh interval.
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

/** What a portal's traces recorded since a time (writeback/usage-ledger.ts reads the audit store). */
export type UsageSince = (portalId: string, sinceMs: number) => Promise<Spent>;

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

/** Spending per portal and period, shared by every portal's guarded provider in a process. */
export class QuotaLedger {
  private readonly portals = new Map<string, { period: number; base: Spent; readAt: number; local: Array<{ at: number } & Spent>; reading?: Promise<void> }>();

  constructor(
    private readonly usageSince: UsageSince,
    private readonly opts: { refreshMs?: number; now?: () => number } = {},
  ) {}

  private now(): number {
    return this.opts.now?.() ?? Date.now();
  }

  async spent(portalId: string, period: ModelQuota['period']): Promise<Spent> {
    const now = this.now();
    const start = periodStart(period, now);
    let p = this.portals.get(portalId);
    if (!p || p.period !== start) {
      p = { period: start, base: { tokens: 0, costUsd: 0 }, readAt: -Infinity, local: [] };
      this.portals.set(portalId, p);
    }
    if (now - p.readAt >= (this.opts.refreshMs ?? 60_000)) {
      const entry = p;
      entry.reading ??= (async () => {
        const readAt = this.now();
        entry.base = await this.usageSince(portalId, start);
        entry.readAt = readAt;
        // A trace is written just after its generation: what this process spent shortly before the read may be in
        // it already. Counting it twice refuses a little early, never late.
        entry.local = entry.local.filter((l) => l.at >= readAt - 5_000);
      })().finally(() => (entry.reading = undefined));
      await entry.reading;
    }
    return p.local.reduce((s, l) => ({ tokens: s.tokens + l.tokens, costUsd: s.costUsd + l.costUsd }), { ...p.base });
  }

  record(portalId: string, period: ModelQuota['period'], usage: Usage): void {
    const p = this.portals.get(portalId);
    if (p && p.period === periodStart(period, this.now())) p.local.push({ at: this.now(), tokens: tokensOf(usage), costUsd: usage.costUsd });
  }
}

/** Why a portal's quota refuses a call now, or null while it has room. */
export function quotaRefusal(quota: ModelQuota, spent: Spent): string | null {
  if (quota.tokens !== undefined && spent.tokens >= quota.tokens) return `${spent.tokens.toLocaleString('en-US')} of ${quota.tokens.toLocaleString('en-US')} model tokens`;
  if (quota.costUsd !== undefined && spent.costUsd >= quota.costUsd) return `$${spent.costUsd.toFixed(4)} of $${quota.costUsd.toFixed(2)} model cost`;
  return null;
}

/** The provider a portal's agents use: checks the portal's quota before each call and counts what it spent. */
export function withModelQuota(
  inner: LlmProvider,
  opts: { portalId: string; quota: ModelQuota | undefined; ledger: QuotaLedger; onRefusal?: (reason: string) => void; onUsage?: (usage: Usage) => void; now?: () => number },
): LlmProvider {
  const { quota } = opts;
  return {
    provider: inner.provider,
    model: inner.model,
    async generate<T>(task: GenerationTask<T>): Promise<GenerateResult<T>> {
      if (quota) {
        const refusal = quotaRefusal(quota, await opts.ledger.spent(opts.portalId, quota.period));
        if (refusal) {
          const resets = new Date(periodEnd(quota.period, opts.now?.() ?? Date.now())).toISOString();
          const message = `portal ${opts.portalId} has spent its ${quota.period === 'day' ? 'daily' : 'monthly'} model quota (${refusal}); no model call until ${resets}`;
          opts.onRefusal?.(message);
          throw new AgentError('MODEL_QUOTA_SPENT', message, { details: { portalId: opts.portalId, quota, resets } });
        }
      }
      const result = await inner.generate(task);
      if (!result.cached) {
        if (quota) opts.ledger.record(opts.portalId, quota.period, result.usage);
        opts.onUsage?.(result.usage);
      }
      return result;
    },
    ping: () => inner.ping(),
    // The shared provider is closed by its owner (the container), never through one portal's view of it.
    close: async () => undefined,
  };
}
