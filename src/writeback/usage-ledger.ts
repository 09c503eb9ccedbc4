import type { Kysely } from 'kysely';
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
