import { sql as raw } from 'kysely';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describePostgres, uniqueName } from '../support/services.ts';
import { firstIds, proposal, readProps, startHarness, trace, type Harness, accountOf } from './harness.ts';

/**
 * The same write-back flows with the audit store, review queue and write log in PostgreSQL (DATABASE_URL), each
 * run in its own schema: decisions, reviews, concurrent approvals, retries, undo, the append-only trigger.
 */
describePostgres('write-back on PostgreSQL', (databaseUrl) => {
  let h: Harness;
  let contacts: string[];
  let companies: string[];

  beforeAll(async () => {
    h = await startHarness({ databaseUrl, schema: uniqueName('audit') });
    contacts = await firstIds(h, 'contacts', 3);
    companies = await firstIds(h, 'companies', 2);
  });
  afterAll(async () => h?.close());

  it('applies, queues, approves once under concurrency, and audits every step', async () => {
    const runId = 'run-pg';
    const seen = (await readProps(h, 'contacts', contacts[0]!, ['lifecyclestage'])).lifecyclestage ?? null;
    const proposed = seen === 'customer' ? 'evangelist' : 'customer';
    const results = await h.writeback.submit(
      [
        proposal({ runId, target: { objectType: 'companies', objectId: companies[0]! }, field: 'ai_summary', value: 'PG summary.' }),
        proposal({ runId, target: { objectType: 'companies', objectId: companies[0]! }, kind: 'note', value: 'PG note.' }),
        proposal({ accountId: await accountOf(h, 'contacts', contacts[0]!), runId, target: { objectType: 'contacts', objectId: contacts[0]! }, field: 'lifecyclestage', value: proposed, observedValue: seen }),
      ],
      trace(runId),
    );
    expect(results.map((r) => r.status)).toEqual(['applied', 'applied', 'pending_review']);
    const reviewId = results[2]!.detail!;

    const outcomes = await Promise.allSettled([h.writeback.approve(reviewId, { actor: 'a' }), h.writeback.approve(reviewId, { actor: 'b' })]);
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
    expect(String((outcomes.find((o) => o.status === 'rejected') as PromiseRejectedResult).reason)).toMatch(/already|someone else/);
    expect((await readProps(h, 'contacts', contacts[0]!, ['lifecyclestage'])).lifecyclestage).toBe(proposed);

    const again = await h.writeback.submit(
      [proposal({ runId, target: { objectType: 'companies', objectId: companies[0]! }, kind: 'note', value: 'PG note.' })],
      trace(runId),
    );
    expect(again[0]!.status).toBe('duplicate');

    const audit = await h.writeback.audit({ runId, limit: 1000, withTrace: true });
    expect(audit.filter((e) => e.event === 'applied')).toHaveLength(3);
    expect(audit.find((e) => e.event === 'decided')?.trace?.inputs.chunkIds).toEqual(['chunk-1', 'chunk-2']);
    const since = new Date(Date.now() - 60_000).toISOString();
    expect((await h.writeback.audit({ since, decision: 'review', objectType: 'contacts' })).length).toBeGreaterThan(0);
    expect(await h.writeback.audit({ since: new Date(Date.now() + 60_000).toISOString() })).toEqual([]);
  });

  it('undo restores the run and the audit log refuses edits', async () => {
    const report = await h.writeback.undo({ runId: 'run-pg', dryRun: false, actor: 'ops' });
    expect(report).toMatchObject({ restored: 2, archived: 1, failed: 0 });
    expect((await readProps(h, 'companies', companies[0]!, ['ai_summary'])).ai_summary ?? '').toBe('');
    await expect(raw`UPDATE audit_entries SET actor = 'mallory'`.execute(h.sql.db)).rejects.toThrow(/append-only/);
    await expect(raw`DELETE FROM audit_entries`.execute(h.sql.db)).rejects.toThrow(/append-only/);
  });
});
