import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import type { GenerationTrace, Proposal } from '../../src/core/proposal.ts';
import { ensureSchema } from '../../src/db/migrator.ts';
import type { SqlHandle } from '../../src/db/sql.ts';
import { SqlCheckpointStore } from '../../src/ingest/checkpoint-store.ts';
import { AuditStore } from '../../src/writeback/audit-store.ts';
import { ReviewStore } from '../../src/writeback/review-store.ts';
import { describeEachDialect, type SqlDatabase } from './sql-dialects.ts';

/**
 * One contract for the SQL stores (review queue, audit log, generation traces, ingest checkpoints), run on an
 * SQLite file and on PostgreSQL: the same calls give the same answers in both dialects, each portal sees only its
 * own rows, the audit log refuses edits, and what was written is there after reopening the database.
 */

function proposal(n: number, over: Partial<Proposal> = {}): Proposal {
  return {
    id: `run-1:call_summary:companies/${n}:ai_summary`,
    portalId: 'p1',
    accountId: String(n),
    runId: 'run-1',
    target: { objectType: 'companies', objectId: String(n) },
    kind: 'property',
    field: 'ai_summary',
    value: `Summary number ${n}: renewal talks with Ünïcode Ltd`,
    confidence: 0.8,
    evidence: ['chunk-1'],
    agent: 'call_summary',
    promptVersion: 'v1',
    model: 'offline-extractive-v1',
    createdAt: '2026-01-01T00:00:00.000Z',
    ...over,
  };
}

function generation(runId: string, prompt = 'Summarize. Contact jane.doe@example.com or +1 415 555 0134.'): GenerationTrace {
  return {
    agent: 'call_summary',
    runId,
    provider: 'offline',
    model: 'offline-extractive-v1',
    promptVersion: 'v1',
    prompt,
    response: '{"summary":"Call jane.doe@example.com back"}',
    usage: { inputTokens: 100, outputTokens: 20, costUsd: 0.0001 },
    inputs: { recordIds: ['companies:1'], chunkIds: ['chunk-1', 'chunk-2'] },
    startedAt: '2026-01-01T00:00:00.000Z',
    finishedAt: '2026-01-01T00:00:01.000Z',
  };
}

/** A clock the test moves: rows get distinct, known times. */
function clock(start = Date.parse('2026-01-01T00:00:00Z')) {
  let t = start;
  return { now: () => t, advance: (ms = 1000) => (t += ms) };
}

async function opened(fresh: () => SqlDatabase): Promise<{ db: SqlDatabase; h: SqlHandle }> {
  const db = fresh();
  const h = await db.open();
  await ensureSchema(h);
  return { db, h };
}

describeEachDialect('SQL stores contract', (fresh) => {
  describe('review queue', () => {
    it('queues a proposal once, however often or concurrently it is retried', async () => {
      const { h } = await opened(fresh);
      try {
        const c = clock();
        const reviews = new ReviewStore(h.db, c.now, async () => 'p1');
        const input = { proposal: proposal(1), reasons: ['core field'], observedValue: 'lead', ownerId: '7', traceId: null, recordName: 'Acme' };
        const results = await Promise.all([reviews.enqueue(input), reviews.enqueue(input), reviews.enqueue(input)]);
        expect(results.filter((r) => r.created)).toHaveLength(1);
        expect(new Set(results.map((r) => r.review.id)).size).toBe(1);
        expect(await reviews.count()).toBe(1);
        const r = await reviews.get(results[0].review.id);
        expect(r).toMatchObject({ status: 'pending', observedValue: 'lead', ownerId: '7', objectType: 'companies', objectId: '1', agent: 'call_summary', confidence: 0.8, reasons: ['core field'], recordName: 'Acme', decidedAt: null });
        expect(r?.proposal).toEqual(proposal(1));
        expect(r?.createdAt).toBe('2026-01-01T00:00:00.000Z');
      } finally {
        await h.close();
      }
    });

    it('moves a review only from the state it is in: of two concurrent approvals one wins', async () => {
      const { h } = await opened(fresh);
      try {
        const c = clock();
        const reviews = new ReviewStore(h.db, c.now, async () => 'p1');
        const { review } = await reviews.enqueue({ proposal: proposal(1), reasons: [], observedValue: null, ownerId: null, traceId: null });
        c.advance(5000);
        const wins = await Promise.all([
          reviews.transition(review.id, 'pending', 'applying', { actor: 'ann' }),
          reviews.transition(review.id, 'pending', 'applying', { actor: 'bob' }),
        ]);
        expect(wins.filter(Boolean)).toHaveLength(1);
        expect(await reviews.transition(review.id, 'pending', 'rejected', { actor: 'eve' })).toBe(false);
        expect(await reviews.transition(review.id, 'applying', 'approved', { actor: 'ann', note: 'edited' })).toBe(true);
        expect(await reviews.get(review.id)).toMatchObject({ status: 'approved', decidedBy: 'ann', note: 'edited', decidedAt: '2026-01-01T00:00:05.000Z' });
        expect(await reviews.transition('no-such-id', 'pending', 'approved', { actor: 'ann' })).toBe(false);
      } finally {
        await h.close();
      }
    });

    it('lists newest first with filters, word search and paging, and counts the same way', async () => {
      const { h } = await opened(fresh);
      try {
        const c = clock();
        const reviews = new ReviewStore(h.db, c.now, async () => 'p1');
        const ids: string[] = [];
        for (let n = 1; n <= 7; n++) {
          const p = proposal(n, n % 2 ? {} : { agent: 'lead_score', target: { objectType: 'deals', objectId: String(n) } });
          ids.push((await reviews.enqueue({ proposal: p, reasons: [], observedValue: null, ownerId: n <= 3 ? 'owner-a' : 'owner-b', traceId: null, recordName: n === 4 ? 'Globex 100%_Corp' : `Company ${n}` })).review.id);
          if (n !== 5) c.advance(); // 5 and 6 share a timestamp: the id breaks the tie, paging loses nothing
        }
        const order = (await reviews.list()).map((r) => r.objectId);
        expect([order[0], [...order.slice(1, 3)].sort(), ...order.slice(3)]).toEqual(['7', ['5', '6'], '4', '3', '2', '1']);
        const all = (await reviews.list()).map((r) => r.id);
        expect(all).toHaveLength(7);
        const paged: string[] = [];
        let before: string | undefined;
        for (;;) {
          const page = await reviews.list({ limit: 2, ...(before ? { beforeId: before } : {}) });
          if (!page.length) break;
          paged.push(...page.map((r) => r.id));
          before = page.at(-1)!.id;
        }
        expect(paged).toEqual(all);
        expect((await reviews.list({ agent: 'lead_score' })).map((r) => r.objectType)).toEqual(['deals', 'deals', 'deals']);
        expect(await reviews.count({ agent: 'lead_score' })).toBe(3);
        expect(await reviews.count({ ownerId: 'owner-a' })).toBe(3);
        expect((await reviews.list({ objectType: 'deals', objectId: '4' })).map((r) => r.id)).toEqual([ids[3]]);
        // Words, case-folded, in any of record name and proposal; LIKE wildcards are plain characters.
        expect((await reviews.list({ q: 'GLOBEX' })).map((r) => r.objectId)).toEqual(['4']);
        expect((await reviews.list({ q: 'ünïcode renewal' })).length).toBe(7);
        expect(await reviews.list({ q: '%' })).toHaveLength(7);
        expect(await reviews.list({ q: 'nothing-like-this' })).toEqual([]);
        expect(await reviews.count({ q: 'company 7' })).toBe(1);
        await reviews.transition(ids[0]!, 'pending', 'rejected', { actor: 'ann' });
        expect(await reviews.count({ status: 'pending' })).toBe(6);
        expect((await reviews.list({ status: 'rejected' })).map((r) => r.id)).toEqual([ids[0]]);
        expect(await reviews.list({ limit: 0 })).toHaveLength(1); // clamped to at least one
      } finally {
        await h.close();
      }
    });

    it("keeps portals apart: another portal's review is not there, even by its id", async () => {
      const { h } = await opened(fresh);
      try {
        const c = clock();
        const p1 = new ReviewStore(h.db, c.now, async () => 'p1');
        const p2 = new ReviewStore(h.db, c.now, async () => 'p2');
        const { review } = await p1.enqueue({ proposal: proposal(1), reasons: [], observedValue: null, ownerId: null, traceId: null });
        expect(await p2.get(review.id)).toBeUndefined();
        expect(await p2.byProposal(review.proposal.id)).toBeUndefined();
        expect(await p2.list()).toEqual([]);
        expect(await p2.count()).toBe(0);
        expect(await p2.transition(review.id, 'pending', 'approved', { actor: 'mallory' })).toBe(false);
        expect((await p1.get(review.id))?.status).toBe('pending');
      } finally {
        await h.close();
      }
    });

    it('is still there after the database is reopened', async () => {
      const { db, h } = await opened(fresh);
      const c = clock();
      const { review } = await new ReviewStore(h.db, c.now, async () => 'p1').enqueue({ proposal: proposal(1), reasons: ['x'], observedValue: null, ownerId: null, traceId: 't1' });
      await h.close();
      const again = await db.open();
      try {
        await ensureSchema(again);
        expect(await new ReviewStore(again.db, c.now, async () => 'p1').get(review.id)).toEqual(review);
      } finally {
        await again.close();
      }
    });
  });

  describe('audit log', () => {
    const audit = (h: SqlHandle, portal = 'p1', now = clock().now) => new AuditStore(h.db, { redactPrompts: false, now, portal: async () => portal });

    it('keeps every entry in order with its values, and filters and pages them', async () => {
      const { h } = await opened(fresh);
      try {
        const c = clock();
        const log = audit(h, 'p1', c.now);
        await log.append({ event: 'decided', actor: 'system', proposalId: 'a', runId: 'r1', accountId: 'acc-1', agent: 'call_summary', objectType: 'companies', objectId: '1', kind: 'property', field: 'ai_summary', proposedValue: 'v', confidence: 0.75, decision: 'apply', reasons: ['ai field'], proposal: proposal(1) });
        c.advance();
        await log.append({ event: 'applied', actor: 'system', proposalId: 'a', runId: 'r1', status: 'ok', outcome: { id: '1', properties: { ai_summary: 'v' } }, previousValue: null, newValue: 'v' });
        c.advance();
        await log.append({ event: 'decided', actor: 'system', proposalId: 'b', runId: 'r2', decision: 'review', objectType: 'contacts', dryRun: true, detail: 'shadow' });
        const all = await log.list();
        expect(all.map((e) => e.event)).toEqual(['decided', 'applied', 'decided']);
        expect(all[0]!.id).toBeLessThan(all[1]!.id);
        expect(all[0]).toMatchObject({ at: '2026-01-01T00:00:00.000Z', portalId: 'p1', accountId: 'acc-1', confidence: 0.75, reasons: ['ai field'], dryRun: false, outcome: null });
        expect(all[1]).toMatchObject({ outcome: { id: '1', properties: { ai_summary: 'v' } }, newValue: 'v', previousValue: null, reasons: [] });
        expect(all[2]).toMatchObject({ dryRun: true, detail: 'shadow', decision: 'review' });
        expect((await log.list({ runId: 'r1' })).map((e) => e.event)).toEqual(['decided', 'applied']);
        expect((await log.list({ event: 'decided', dryRun: true })).map((e) => e.proposalId)).toEqual(['b']);
        expect((await log.list({ since: '2026-01-01T00:00:01.000Z', until: new Date('2026-01-01T00:00:01.000Z') })).map((e) => e.event)).toEqual(['applied']);
        expect((await log.list({ afterId: all[0]!.id, limit: 1 })).map((e) => e.id)).toEqual([all[1]!.id]);
        expect((await log.list({ accountId: 'acc-1', objectType: 'companies', objectId: '1', agent: 'call_summary', decision: 'apply', proposalId: 'a' })).length).toBe(1);
        await expect(log.list({ since: 'not a time' })).rejects.toThrow(RangeError);
        const decisions = await log.decisions({ dryRun: false });
        expect(decisions).toHaveLength(1);
        expect(decisions[0]!.proposal).toEqual(proposal(1));
      } finally {
        await h.close();
      }
    });

    it('is append-only: the database refuses updates and deletes, and the rows stay as written', async () => {
      const { h } = await opened(fresh);
      try {
        const log = audit(h);
        await log.append({ event: 'applied', actor: 'system', proposalId: 'a' });
        await expect(sql`UPDATE audit_entries SET actor = 'mallory'`.execute(h.db)).rejects.toThrow(/append-only/);
        await expect(sql`DELETE FROM audit_entries`.execute(h.db)).rejects.toThrow(/append-only/);
        await expect(h.db.updateTable('audit_entries').set({ event: 'undone' }).where('proposal_id', '=', 'a').execute()).rejects.toThrow(/append-only/);
        expect((await log.list()).map((e) => [e.actor, e.event])).toEqual([['system', 'applied']]);
      } finally {
        await h.close();
      }
    });

    it("keeps portals apart: a portal lists, pages and reports only its own entries", async () => {
      const { h } = await opened(fresh);
      try {
        await audit(h, 'p1').append({ event: 'decided', actor: 'system', proposalId: 'a', proposal: proposal(1) });
        await audit(h, 'p2').append({ event: 'decided', actor: 'system', proposalId: 'b', proposal: proposal(2) });
        expect((await audit(h, 'p1').list()).map((e) => e.proposalId)).toEqual(['a']);
        expect((await audit(h, 'p2').list({ afterId: 0 })).map((e) => e.proposalId)).toEqual(['b']);
        expect((await audit(h, 'p2').decisions({})).map((e) => e.proposalId)).toEqual(['b']);
        expect(await audit(h, 'p3').list()).toEqual([]);
      } finally {
        await h.close();
      }
    });

    it('is still there after the database is reopened, and ids keep growing', async () => {
      const { db, h } = await opened(fresh);
      await audit(h).append({ event: 'decided', actor: 'system', proposalId: 'a' });
      const [first] = await audit(h).list();
      await h.close();
      const again = await db.open();
      try {
        await ensureSchema(again);
        await audit(again).append({ event: 'applied', actor: 'system', proposalId: 'a' });
        const rows = await audit(again).list();
        expect(rows[0]).toEqual(first);
        expect(rows[1]!.id).toBeGreaterThan(first!.id);
      } finally {
        await again.close();
      }
    });
  });

  describe('generation traces', () => {
    it('stores a run once and joins it to the entries that reference it, within the portal only', async () => {
      const { h } = await opened(fresh);
      try {
        const p1 = new AuditStore(h.db, { redactPrompts: false, now: clock().now, portal: async () => 'p1' });
        const p2 = new AuditStore(h.db, { redactPrompts: false, now: clock().now, portal: async () => 'p2' });
        const traceId = await p1.recordTrace(generation('r1'));
        await p1.append({ event: 'decided', actor: 'system', proposalId: 'a', traceId });
        await p1.append({ event: 'applied', actor: 'system', proposalId: 'a' });
        // p2 references p1's trace id (a forged or mixed-up reference): it must not see p1's prompt.
        await p2.append({ event: 'decided', actor: 'system', proposalId: 'b', traceId });
        const [decided, applied] = await p1.list({ withTrace: true });
        expect(decided!.trace).toEqual({ id: traceId, ...generation('r1') });
        expect(applied!.trace).toBeNull();
        expect((await p1.list())[0]!.trace).toBeUndefined();
        expect((await p2.list({ withTrace: true }))[0]!.trace).toBeNull();
      } finally {
        await h.close();
      }
    });

    it('masks e-mail addresses and phone numbers when redaction is on, and keeps ids', async () => {
      const { h } = await opened(fresh);
      try {
        const log = new AuditStore(h.db, { redactPrompts: true, now: clock().now, portal: async () => 'p1' });
        const traceId = await log.recordTrace(generation('r1', 'Record companies:12345 on 2026-01-02; mail jane.doe@example.com, call +1 415 555 0134.'));
        await log.append({ event: 'decided', actor: 'system', traceId });
        const t = (await log.list({ withTrace: true }))[0]!.trace!;
        expect(t.prompt).toBe('Record companies:12345 on 2026-01-02; mail [email], call [phone].');
        expect(t.response).toBe('{"summary":"Call [email] back"}');
        expect(t.inputs).toEqual(generation('r1').inputs);
        expect(t.usage).toEqual(generation('r1').usage);
      } finally {
        await h.close();
      }
    });
  });

  describe('ingest checkpoints', () => {
    it('loads nothing, then what was saved last; clear removes one key only', async () => {
      const { h } = await opened(fresh);
      try {
        const store = new SqlCheckpointStore(h);
        expect(await store.load('backfill:p1')).toBeNull();
        const state = { phase: 'engagements', after: { notes: '1234', emails: null }, counts: [1, 2, 3], text: 'ünïcode "quoted"' };
        await store.save('backfill:p1', { phase: 'companies' });
        await store.save('backfill:p1', state);
        await store.save('backfill:p2', { phase: 'companies' });
        expect(await store.load('backfill:p1')).toEqual(state);
        expect((await store.list()).map((r) => r.key)).toEqual(['backfill:p1', 'backfill:p2']);
        await store.clear('backfill:p1');
        await store.clear('never-saved');
        expect(await store.load('backfill:p1')).toBeNull();
        expect(await store.load('backfill:p2')).toEqual({ phase: 'companies' });
        await store.ping();
      } finally {
        await h.close();
      }
    });

    it('concurrent saves of one key leave one whole state, never a mix', async () => {
      const { h } = await opened(fresh);
      try {
        const store = new SqlCheckpointStore(h);
        const states = Array.from({ length: 8 }, (_, i) => ({ writer: i, pages: Array.from({ length: 50 }, (_, j) => `${i}-${j}`) }));
        await Promise.all(states.map((s) => store.save('k', s)));
        expect(states).toContainEqual(await store.load('k'));
        expect(await store.list()).toHaveLength(1);
      } finally {
        await h.close();
      }
    });

    it('is still there after the database is reopened; a store on a shared handle leaves it open', async () => {
      const { db, h } = await opened(fresh);
      const store = new SqlCheckpointStore(h);
      await store.save('k', { after: 'x' });
      await store.close(); // not owned: the handle stays usable
      await sql`select 1`.execute(h.db);
      await h.close();
      const again = await db.open();
      try {
        expect(await new SqlCheckpointStore(again).load('k')).toEqual({ after: 'x' });
      } finally {
        await again.close();
      }
    });
  });
});
