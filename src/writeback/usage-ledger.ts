import { sql, type Kysely } from 'kysely';
import type { ModelQuota, QuotaCounter, Spent } from '../agents/model-quota.ts';
import { ensureSchema } from '../db/migrator.ts';
import type { SqlHandle } from '../db/sql.ts';
import type { WritebackDb } from './sql-schema.ts';

/**
 * Model tokens and cost a portal's generations recorded since a time: the sum of its traces' usage (the audit
 * store's `writeback_traces`, written by every process). The per-portal model quota reads it (agents/model-quota.ts).
 */
export async function traceUsageSince(db: Kysely<WritebackDb>, portalId: string, sinceMs: number): Promise<{ tokens: number; costUsd: number }> {
  const rows = await db.selectFrom('writeback_traces').select(['usage']).where('portal_id', '=', portalId).where('created_at', '>=', sinceMs).execute();
  let tokens = 0;
  let costUsd = 0;
  for (const r of rows) {
    try {
      const u = JSON.parse(r.usage) as { inputTokens?: number; outputTokens?: number; costUsd?: number };
      tokens += Number(u.inputTokens ?? 0) + Number(u.outputTokens ?? 0);
      costUsd += Number(u.costUsd ?? 0);
    } catch {
      // A malformed row counts as a run without usage (as on the dashboard).
    }
  }
  return { tokens, costUsd };
}

interface QuotaSpendTable {
  portal_id: string;
  period_start: number;
  tokens: number;
  cost_usd: number;
  updated_at: number;
}
type QuotaDb = WritebackDb & { model_quota_spend: QuotaSpendTable };

/**
 * The per-portal model quota counter (agents/model-quota.ts QuotaCounter) in the SQL database every process
 * shares: one row per portal and period (`model_quota_spend`), made on first use with what the portal's traces
 * recorded since the period started. A reservation is one conditional UPDATE … RETURNING: SQLite serialises
 * writers and PostgreSQL locks the row, so two processes can never both take the last of a quota.
 */
export class SqlQuotaCounter implements QuotaCounter {
  private readonly db: Kysely<QuotaDb>;

  constructor(
    private readonly handle: SqlHandle,
    private readonly now: () => number = Date.now,
  ) {
    this.db = handle.db as Kysely<QuotaDb>;
  }

  async reserve(portalId: string, periodStart: number, amount: Spent, quota: Pick<ModelQuota, 'tokens' | 'costUsd'>): Promise<{ reserved: boolean; spent: Spent }> {
    await ensureSchema(this.handle);
    for (let attempt = 0; ; attempt++) {
      let q = this.db
        .updateTable('model_quota_spend')
        .set({ tokens: sql`tokens + ${amount.tokens}`, cost_usd: sql`cost_usd + ${amount.costUsd}`, updated_at: this.now() })
        .where('portal_id', '=', portalId)
        .where('period_start', '=', periodStart);
      if (quota.tokens !== undefined) q = q.where(sql`tokens + ${amount.tokens}`, '<=', quota.tokens);
      if (quota.costUsd !== undefined) q = q.where(sql`cost_usd + ${amount.costUsd}`, '<=', quota.costUsd);
      const after = await q.returning(['tokens', 'cost_usd']).executeTakeFirst();
      if (after) return { reserved: true, spent: { tokens: Number(after.tokens) - amount.tokens, costUsd: Number(after.cost_usd) - amount.costUsd } };
      const row = await this.db.selectFrom('model_quota_spend').select(['tokens', 'cost_usd']).where('portal_id', '=', portalId).where('period_start', '=', periodStart).executeTakeFirst();
      if (row) return { reserved: false, spent: { tokens: Number(row.tokens), costUsd: Number(row.cost_usd) } };
      if (attempt > 0) throw new Error(`model quota counter: no row for portal ${portalId} after creating it`);
      await this.create(portalId, periodStart);
    }
  }

  async adjust(portalId: string, periodStart: number, delta: Spent): Promise<void> {
    if (delta.tokens === 0 && delta.costUsd === 0) return;
    await ensureSchema(this.handle);
    await this.db
      .updateTable('model_quota_spend')
      .set({ tokens: sql`tokens + ${delta.tokens}`, cost_usd: sql`cost_usd + ${delta.costUsd}`, updated_at: this.now() })
      .where('portal_id', '=', portalId)
      .where('period_start', '=', periodStart)
      .execute();
  }

  /** The period's row, starting from what the portal's traces recorded (spending from before the counter). */
  private async create(portalId: string, periodStart: number): Promise<void> {
    const seed = await traceUsageSince(this.handle.db as Kysely<WritebackDb>, portalId, periodStart);
    await this.db
      .insertInto('model_quota_spend')
      .values({ portal_id: portalId, period_start: periodStart, tokens: seed.tokens, cost_usd: seed.costUsd, updated_at: this.now() })
      .onConflict((oc) => oc.columns(['portal_id', 'period_start']).doNothing())
      .execute();
  }
}
