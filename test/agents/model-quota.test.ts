import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { AgentError } from '../../src/agents/errors.ts';
import { estimateUsage, OUTPUT_TOKENS_ESTIMATE, periodEnd, quotaRefusal, resolveQuota, withModelQuota } from '../../src/agents/model-quota.ts';
import { OfflineProvider } from '../../src/agents/offline-provider.ts';
import type { GenerationTask, LlmProvider } from '../../src/agents/provider.ts';
import { ensureSchema } from '../../src/db/migrator.ts';
import type { SqlHandle } from '../../src/db/sql.ts';
import { SqlQuotaCounter } from '../../src/writeback/usage-ledger.ts';
import { describeEachDialect, type SqlDatabase } from '../contracts/sql-dialects.ts';
import { SqlCheckpointStore } from '../../src/ingest/checkpoint-store.ts';
import { runBackfill } from '../../src/ingest/backfill.ts';
import { portalProvider } from '../../src/runtime/model-quotas.ts';
import { startWorkers } from '../../src/runtime/workers.ts';
import { waitFor } from '../queue/queue.contract.ts';
import { tempDir } from '../support/tmp.ts';
import { reviewProposal, startTenantStack, trace, type TenantStack } from '../tenancy/support.ts';

const task: GenerationTask<{ ok: boolean }> = {
  task: 'account_summary',
  promptVersion: 'v1',
  messages: [{ role: 'user', content: 'hi' }],
  schema: z.object({ ok: z.boolean() }),
  schemaName: 'Ok',
  extract: () => ({ ok: true }),
};

/** A provider that reports usage (the offline one reports none): exactly the estimate, after a turn of the loop. */
function metered(opts: { fail?: boolean } = {}): LlmProvider {
  const offline = new OfflineProvider();
  return {
    provider: 'metered',
    model: 'm',
    ping: () => offline.ping(),
    close: () => offline.close(),
    generate: async <T,>(t: GenerationTask<T>) => {
      await new Promise((r) => setImmediate(r));
      if (opts.fail) throw new Error('model down');
      const need = estimateUsage(t, 'm');
      return { ...(await offline.generate(t)), usage: { inputTokens: need.tokens - OUTPUT_TOKENS_ESTIMATE, outputTokens: OUTPUT_TOKENS_ESTIMATE, costUsd: 0.001 } };
    },
  };
}

const spentOf = async (h: SqlHandle, portalId: string) =>
  (await h.db.selectFrom('model_quota_spend').select(['tokens', 'cost_usd', 'period_start']).where('portal_id', '=', portalId).execute()).map((r: { tokens: unknown; cost_usd: unknown; period_start: unknown }) => ({ tokens: Number(r.tokens), costUsd: Number(r.cost_usd), period: Number(r.period_start) }));

describeEachDialect('model quota counter in the shared database', (fresh) => {
  const handles: SqlHandle[] = [];
  afterAll(async () => {
    for (const h of handles) await h.close();
  });
  const open = async (db: SqlDatabase) => {
    const h = await db.open();
    handles.push(h);
    return h;
  };
  const CALL = estimateUsage(task, 'm').tokens;

  it('two processes sharing the database never admit calls beyond the quota between them', async () => {
    const db = fresh();
    // Two handles, two connections (pools): what two worker processes on the same database have.
    const [h1, h2] = [await open(db), await open(db)];
    // Migrated one after the other, as processes start (two migrators racing on a fresh SQLite file is another matter).
    for (const h of [h1, h2]) await ensureSchema(h);
    const quota = { tokens: CALL * 10, period: 'day' as const };
    const providers = [h1, h2].map((h) => withModelQuota(metered(), { portalId: '21', quota, counter: new SqlQuotaCounter(h) }));
    const outcomes = await Promise.allSettled(Array.from({ length: 40 }, (_, i) => providers[i % 2]!.generate(task)));
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(10);
    const refused = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected').map((o) => o.reason as AgentError);
    expect(refused).toHaveLength(30);
    expect(refused.filter((e) => !(e instanceof AgentError && e.code === 'MODEL_QUOTA_SPENT' && !e.retryable)).map(String)).toEqual([]);
    expect((await spentOf(h1, '21'))[0]).toMatchObject({ tokens: CALL * 10 });
    expect((await spentOf(h1, '21'))[0]!.costUsd).toBeCloseTo(0.01, 9);
    // Another portal's quota is its own.
    await expect(withModelQuota(metered(), { portalId: '22', quota, counter: new SqlQuotaCounter(h2) }).generate(task)).resolves.toMatchObject({ output: { ok: true } });
  });

  it('returns the reservation of a failed call, refuses a call that does not fit, and opens again in the next period', async () => {
    const h = await open(fresh());
    let now = Date.UTC(2026, 10, 30, 12);
    const counter = new SqlQuotaCounter(h, () => now);
    const quota = { tokens: CALL * 2 + 10, period: 'day' as const };
    const refusals: string[] = [];
    const p = withModelQuota(metered(), { portalId: '23', quota, counter, onRefusal: (r) => void refusals.push(r), now: () => now });
    await expect(withModelQuota(metered({ fail: true }), { portalId: '23', quota, counter, now: () => now }).generate(task)).rejects.toThrow(/model down/);
    expect((await spentOf(h, '23'))[0]).toMatchObject({ tokens: 0 });
    await p.generate(task);
    await p.generate(task);
    const err = await p.generate(task).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'MODEL_QUOTA_SPENT', retryable: false });
    expect((err as Error).message).toBe(
      `portal 23 has too little of its daily model quota left (${(CALL * 2).toLocaleString('en-US')} of ${(CALL * 2 + 10).toLocaleString('en-US')} model tokens, this call needs about ${CALL.toLocaleString('en-US')}); no model call until 2026-12-01T00:00:00.000Z`,
    );
    expect(refusals).toHaveLength(1);
    now = Date.UTC(2026, 11, 1, 0, 0, 1);
    await expect(p.generate(task)).resolves.toMatchObject({ output: { ok: true } });
    expect((await spentOf(h, '23')).map((r) => r.tokens).sort()).toEqual([CALL, CALL * 2].sort());
  });
});

describe('model quota rules', () => {
  it('refuses on cost as well as tokens, and resolves a portal policy over the deployment defaults', () => {
    expect(quotaRefusal({ costUsd: 2, period: 'month' }, { tokens: 5, costUsd: 2.5 })).toBe('$2.5000 of $2.00 model cost');
    expect(quotaRefusal({ costUsd: 2, period: 'month' }, { tokens: 5, costUsd: 1.5 }, { tokens: 10, costUsd: 0.6 })).toBe('$1.5000 of $2.00 model cost, this call needs about $0.6000');
    expect(quotaRefusal({ tokens: 100, costUsd: 2, period: 'month' }, { tokens: 50, costUsd: 1.5 }, { tokens: 10, costUsd: 0.1 })).toBeNull();
    expect(resolveQuota({ period: 'month' }, undefined)).toBeUndefined();
    expect(resolveQuota({ period: 'month', tokens: 1000 }, { period: 'day' })).toEqual({ period: 'day', tokens: 1000 });
    expect(resolveQuota({ period: 'month', tokens: 1000 }, { tokens: 5, costUsd: 1 })).toEqual({ period: 'month', tokens: 5, costUsd: 1 });
    expect(periodEnd('month', Date.UTC(2026, 11, 31, 23))).toBe(Date.UTC(2027, 0, 1));
  });
});

describe('per-portal model quota in one deployment (sandbox, OAuth)', () => {
  const A = 6601;
  const B = 6602;
  let s: TenantStack;
  const policies = tempDir('hsai-quota-policies-');
  beforeAll(async () => {
    fs.writeFileSync(path.join(policies.dir, `${A}.yaml`), 'modelQuota:\n  tokens: 20\n  period: month\n');
    s = await startTenantStack({ portals: [{ portalId: A, companies: 3 }, { portalId: B, companies: 3, seed: 12 }], env: { PORTAL_POLICY_DIR: policies.dir, QUEUE_CONCURRENCY: '2', HUBSPOT_MAX_RETRIES: '3', METRICS_TOKEN: 'a-metrics-token-0123456789' } });
    await s.install(A);
    await s.install(B);
    const sql = await s.container.sql();
    const checkpoints = new SqlCheckpointStore(sql, false);
    await checkpoints.init();
    for (const p of [A, B]) {
      const scope = await s.container.portal(String(p));
      await runBackfill({ gateway: scope.gateway, indexer: scope.indexer, store: await s.container.store(), checkpoints }, { concurrency: 2 });
    }
  }, 120_000);
  afterAll(async () => {
    await s?.close();
    policies.cleanup();
  });

  it("dead-letters portal A's generation with MODEL_QUOTA_SPENT once A's traces spent its quota, while portal B's runs", async () => {
    const scopeA = await s.container.portal(String(A));
    const scopeB = await s.container.portal(String(B));
    const companyA = s.sb.portal(A).groundTruth().companies[0]!.id;
    const companyB = s.sb.portal(B).groundTruth().companies[0]!.id;
    // Two earlier runs of A with a real model recorded 12 tokens each in A's traces (24 >= 20); B spent the same.
    for (const scope of [scopeA, scopeB]) {
      for (let i = 0; i < 2; i++) {
        const p = reviewProposal(scope.portalId, scope.portalId === String(A) ? companyA : companyB, `v${i}`);
        await scope.writeback.submit([p], trace(p.runId));
      }
    }
    // The API's on-demand run is refused the same way (429 MODEL_QUOTA_SPENT), before any model call.
    const a = await portalProvider(s.container, scopeA);
    await expect(a.generate(task)).rejects.toMatchObject({ code: 'MODEL_QUOTA_SPENT' });
    await expect((await portalProvider(s.container, scopeB)).generate(task)).resolves.toMatchObject({ output: { ok: true } });

    const queue = await s.container.queue();
    const workers = await startWorkers(s.container);
    try {
      const job = (portalId: number, companyId: string) => ({
        type: 'generate.account_summary' as const,
        payload: { portalId: String(portalId), objectType: 'companies', objectId: companyId, accountId: companyId, trigger: { subscriptionType: 'manual', occurredAt: Date.now() } },
      });
      await queue.enqueue([job(A, companyA), job(B, companyB)]);
      await waitFor(async () => (await queue.stats())['generate.account_summary'].dead + (await queue.stats())['generate.account_summary'].completed >= 2, 60_000, 'both generation jobs to finish');
      const dead = await queue.listDead(10);
      expect(dead).toHaveLength(1);
      expect(dead[0]).toMatchObject({ type: 'generate.account_summary', payload: { portalId: String(A) }, attempts: 1 });
      expect(dead[0]!.error).toMatch(/MODEL_QUOTA_SPENT: portal 6601 has spent its monthly model quota \(24 of 20 model tokens\)/);
      expect((await queue.stats())['generate.account_summary'].completed).toBe(1);
      const text = await s.container.metrics.registry.getSingleMetricAsString('hubspot_ai_portal_quota_refusals_total');
      expect(text).toMatch(new RegExp(`portal="${A}"\\} [1-9]`));
      expect(text).not.toMatch(new RegExp(`portal="${B}"`));
      // Each refusal is in A's audit log with its reason; B's log has none.
      const refusedA = await scopeA.writeback.audit({ event: 'quota_refused' });
      expect(refusedA.length).toBeGreaterThanOrEqual(2);
      expect(refusedA.map((e) => e.agent)).toContain('account_summary');
      expect(refusedA.every((e) => e.portalId === String(A) && /portal 6601 has spent its monthly model quota \(24 of 20 model tokens\)/.test(e.detail ?? ''))).toBe(true);
      expect(await scopeB.writeback.audit({ event: 'quota_refused' })).toEqual([]);
    } finally {
      await workers.close(10_000);
    }
  });
});
