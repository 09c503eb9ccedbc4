import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { AgentError } from '../../src/agents/errors.ts';
import { periodEnd, QuotaLedger, resolveQuota, withModelQuota, type Spent } from '../../src/agents/model-quota.ts';
import { OfflineProvider } from '../../src/agents/offline-provider.ts';
import type { GenerationTask } from '../../src/agents/provider.ts';
import { SqlCheckpointStore } from '../../src/ingest/checkpoint-store.ts';
import { runBackfill } from '../../src/ingest/backfill.ts';
import { registry } from '../../src/metrics.ts';
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

describe('model quota ledger', () => {
  it('refuses once the period is spent, counts its own calls between reads, and opens again in the next period', async () => {
    let now = Date.UTC(2026, 10, 30, 12);
    let stored: Spent = { tokens: 90, costUsd: 0 };
    const reads: number[] = [];
    const ledger = new QuotaLedger(async (_portal, since) => (reads.push(since), stored), { refreshMs: 60_000, now: () => now });
    // A provider that reports usage (the offline one reports none): 6 tokens a call.
    const offline = new OfflineProvider();
    const metered = { ...offline, provider: 'metered', model: 'm', ping: () => offline.ping(), close: () => offline.close(),
      generate: async <T,>(t: GenerationTask<T>) => ({ ...(await offline.generate(t)), usage: { inputTokens: 4, outputTokens: 2, costUsd: 0.001 } }) };
    const refusals: string[] = [];
    const p = withModelQuota(metered, { portalId: '11', quota: { tokens: 100, period: 'day' }, ledger, onRefusal: (r) => refusals.push(r), now: () => now });
    await expect(p.generate(task)).resolves.toMatchObject({ output: { ok: true } }); // 90 spent
    await expect(p.generate(task)).resolves.toMatchObject({ output: { ok: true } }); // 96: this process's call counted
    const err = await p.generate(task).catch((e: unknown) => e); // 102 >= 100
    expect(err).toBeInstanceOf(AgentError);
    expect(err).toMatchObject({ code: 'MODEL_QUOTA_SPENT', retryable: false });
    expect((err as Error).message).toMatch(/portal 11 has spent its daily model quota \(102 of 100 model tokens\); no model call until 2026-12-01T00:00:00.000Z/);
    expect(refusals).toHaveLength(1);
    expect(reads).toEqual([Date.UTC(2026, 10, 30)]);
    // The next day starts from what that day's traces recorded.
    now = Date.UTC(2026, 11, 1, 0, 0, 1);
    stored = { tokens: 0, costUsd: 0 };
    await expect(p.generate(task)).resolves.toMatchObject({ output: { ok: true } });
    expect(reads).toEqual([Date.UTC(2026, 10, 30), Date.UTC(2026, 11, 1)]);
  });

  it('refuses on cost as well as tokens, and resolves a portal policy over the deployment defaults', async () => {
    const ledger = new QuotaLedger(async () => ({ tokens: 5, costUsd: 2.5 }));
    const p = withModelQuota(new OfflineProvider(), { portalId: '12', quota: { costUsd: 2, period: 'month' }, ledger });
    await expect(p.generate(task)).rejects.toThrow(/monthly model quota \(\$2\.5000 of \$2\.00 model cost\)/);
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
    s = await startTenantStack({ portals: [{ portalId: A, companies: 3 }, { portalId: B, companies: 3, seed: 12 }], env: { PORTAL_POLICY_DIR: policies.dir, QUEUE_CONCURRENCY: '2', HUBSPOT_MAX_RETRIES: '3' } });
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
      const text = await registry.getSingleMetricAsString('hubspot_ai_portal_quota_refusals_total');
      expect(text).toMatch(new RegExp(`portal="${A}"\\} [1-9]`));
      expect(text).not.toMatch(new RegExp(`portal="${B}"`));
    } finally {
      await workers.close(10_000);
    }
  });
});
