import { sql, type Kysely } from 'kysely';
import type { WritebackDb } from './sql-schema.ts';

/**
 * Aggregates for the dashboard, computed in SQL from the audit log, the review queue and the generation traces
 * (both dialects: days are `at / 86400000` in integer arithmetic). Shadow-mode (dry-run) decisions are left out:
 * they describe what would have happened.
 */

export const DAY_MS = 86_400_000;

export interface DashboardStats {
  days: string[];
  /** Decisions per day and outcome (apply | review | reject). */
  outcomes: Array<{ day: string; apply: number; review: number; reject: number }>;
  backlog: { pending: number; oldestHours: number | null; ages: Array<{ label: string; count: number }> };
  /** Per agent, over the window: reviews decided by people, and automatic or approved writes later undone. */
  agents: Array<{ agent: string; approved: number; rejected: number; stale: number; applied: number; undone: number; approvalRate: number | null; undoRate: number | null }>;
  /** Model usage per day and agent. */
  usage: Array<{ day: string; agent: string; inputTokens: number; outputTokens: number; costUsd: number; runs: number }>;
}

const AGE_BUCKETS: Array<{ label: string; maxHours: number }> = [
  { label: '< 1 hour', maxHours: 1 },
  { label: '1–24 hours', maxHours: 24 },
  { label: '1–3 days', maxHours: 72 },
  { label: '3–7 days', maxHours: 168 },
  { label: '> 7 days', maxHours: Infinity },
];

function dayOf(ms: number): string {
  return new Date(Math.floor(ms / DAY_MS) * DAY_MS).toISOString().slice(0, 10);
}

export async function dashboardStats(db: Kysely<WritebackDb>, opts: { days: number; now: number; portalId: string }): Promise<DashboardStats> {
  const portal = opts.portalId;
  const firstDay = Math.floor(opts.now / DAY_MS) - (opts.days - 1);
  const since = firstDay * DAY_MS;
  const days = Array.from({ length: opts.days }, (_, i) => dayOf((firstDay + i) * DAY_MS));
  const dayExpr = sql<number>`at / ${sql.raw(String(DAY_MS))}`;

  const decided = await db
    .selectFrom('audit_entries')
    .select([dayExpr.as('d'), 'decision', (eb) => eb.fn.countAll<number | string>().as('n')])
    .where('portal_id', '=', portal)
    .where('event', '=', 'decided')
    .where('dry_run', '=', 0)
    .where('at', '>=', since)
    .groupBy([dayExpr, 'decision'])
    .execute();
  const outcomes = new Map(days.map((day) => [day, { day, apply: 0, review: 0, reject: 0 }]));
  for (const row of decided) {
    const o = outcomes.get(dayOf(Number(row.d) * DAY_MS));
    if (o && (row.decision === 'apply' || row.decision === 'review' || row.decision === 'reject')) o[row.decision] += Number(row.n);
  }

  const pendingRows = await db.selectFrom('writeback_reviews').select('created_at').where('portal_id', '=', portal).where('status', '=', 'pending').execute();
  const ages = AGE_BUCKETS.map((b) => ({ label: b.label, count: 0 }));
  let oldest: number | null = null;
  for (const r of pendingRows) {
    const hours = (opts.now - Number(r.created_at)) / 3_600_000;
    oldest = oldest === null ? hours : Math.max(oldest, hours);
    const i = AGE_BUCKETS.findIndex((b) => hours < b.maxHours);
    ages[i < 0 ? ages.length - 1 : i]!.count += 1;
  }

  const reviewRows = await db
    .selectFrom('writeback_reviews')
    .select(['agent', 'status', (eb) => eb.fn.countAll<number | string>().as('n')])
    .where('portal_id', '=', portal)
    .where('decided_at', '>=', since)
    .where('status', 'in', ['approved', 'rejected', 'stale'])
    .groupBy(['agent', 'status'])
    .execute();
  // Undo rows do not name the agent: it comes from the proposal's `decided` row.
  const writeRows = await db
    .selectFrom('audit_entries as e')
    .innerJoin('audit_entries as d', (join) => join.onRef('d.proposal_id', '=', 'e.proposal_id').on('d.event', '=', 'decided'))
    .select(['d.agent as agent', 'e.event as event', (eb) => eb.fn.count<number | string>('e.id').distinct().as('n')])
    .where('e.portal_id', '=', portal)
    .where('e.event', 'in', ['applied', 'undone'])
    .where('e.at', '>=', since)
    .where('e.dry_run', '=', 0)
    .groupBy(['d.agent', 'e.event'])
    .execute();
  const agents = new Map<string, DashboardStats['agents'][number]>();
  const agentRow = (agent: string) => {
    let a = agents.get(agent);
    if (!a) agents.set(agent, (a = { agent, approved: 0, rejected: 0, stale: 0, applied: 0, undone: 0, approvalRate: null, undoRate: null }));
    return a;
  };
  for (const r of reviewRows) {
    const a = agentRow(r.agent);
    if (r.status === 'approved' || r.status === 'rejected' || r.status === 'stale') a[r.status] += Number(r.n);
  }
  for (const r of writeRows) {
    if (!r.agent) continue;
    const a = agentRow(r.agent);
    if (r.event === 'applied') a.applied += Number(r.n);
    else a.undone += Number(r.n);
  }
  for (const a of agents.values()) {
    a.approvalRate = a.approved + a.rejected > 0 ? a.approved / (a.approved + a.rejected) : null;
    a.undoRate = a.applied > 0 ? Math.min(1, a.undone / a.applied) : null;
  }

  const traces = await db.selectFrom('writeback_traces').select(['agent', 'usage', 'created_at']).where('portal_id', '=', portal).where('created_at', '>=', since).limit(200_000).execute();
  const usage = new Map<string, DashboardStats['usage'][number]>();
  for (const t of traces) {
    const day = dayOf(Number(t.created_at));
    const key = `${day}|${t.agent}`;
    let u = usage.get(key);
    if (!u) usage.set(key, (u = { day, agent: t.agent, inputTokens: 0, outputTokens: 0, costUsd: 0, runs: 0 }));
    let parsed: { inputTokens?: number; outputTokens?: number; costUsd?: number } = {};
    try {
      parsed = JSON.parse(t.usage) as typeof parsed;
    } catch {
      // A malformed row counts as a run without usage.
    }
    u.inputTokens += Number(parsed.inputTokens ?? 0);
    u.outputTokens += Number(parsed.outputTokens ?? 0);
    u.costUsd += Number(parsed.costUsd ?? 0);
    u.runs += 1;
  }

  return {
    days,
    outcomes: [...outcomes.values()],
    backlog: { pending: pendingRows.length, oldestHours: oldest, ages },
    agents: [...agents.values()].sort((a, b) => a.agent.localeCompare(b.agent)),
    usage: [...usage.values()].sort((a, b) => a.day.localeCompare(b.day) || a.agent.localeCompare(b.agent)),
  };
}
