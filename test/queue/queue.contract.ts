import { afterEach, expect, it } from 'vitest';
import { withDeadline } from '../../src/core/deadline.ts';
import { HubSpotAuthError, HubSpotInvalidRequestError, HubSpotTransientError } from '../../src/hubspot/errors.ts';
import { PermanentJobError, type JobContext, type JobQueue } from '../../src/queue/queue.ts';

/**
 * The one contract every JobQueue adapter passes. `open(prefix)` returns a new adapter instance on the same
 * storage for a given prefix, so durability can be checked by closing one instance and opening another.
 */
export type OpenQueue = (prefix: string, opts?: { maxAttempts?: number }) => Promise<JobQueue>;

/**
 * Polls `cond` until it holds. Each check races the deadline too: a check that never settles (a command waiting
 * for a Redis that is gone) fails the test at the deadline instead of hanging it.
 */
export async function waitFor(cond: () => boolean | Promise<boolean>, timeoutMs = 20_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const message = `timed out waiting for ${what}`;
  for (;;) {
    const left = deadline - Date.now();
    if (left <= 0) throw new Error(message);
    if (await withDeadline(Promise.resolve().then(cond), left, `${message} (a check did not answer)`)) return;
    await new Promise((r) => setTimeout(r, 20));
  }
}

export function queueContract(open: OpenQueue, newPrefix: () => string): void {
  const opened: JobQueue[] = [];
  const make = async (prefix: string, opts?: { maxAttempts?: number }) => {
    const q = await open(prefix, opts);
    opened.push(q);
    return q;
  };
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((q) => q.close()));
  });

  it('runs an enqueued job once with its payload and counts it completed', async () => {
    const q = await make(newPrefix());
    const seen: JobContext[] = [];
    q.work({ 'ingest.account': async (job) => void seen.push(job) });
    const [id] = await q.enqueue([{ type: 'ingest.account', payload: { portalId: '1', accountId: '42' } }]);
    await q.drain();
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ id, type: 'ingest.account', payload: { portalId: '1', accountId: '42' }, attempt: 1 });
    const stats = await q.stats();
    expect(stats['ingest.account']).toMatchObject({ waiting: 0, active: 0, completed: 1, dead: 0 });
    expect(stats.total.completed).toBe(1);
  });

  it('keeps enqueued jobs when the process holding the queue goes away (durable before resolving)', async () => {
    const prefix = newPrefix();
    const first = await make(prefix);
    await first.enqueue([{ type: 'ingest.account', payload: { n: 1 } }, { type: 'ingest.account', payload: { n: 2 } }]);
    await first.close();
    const second = await make(prefix);
    expect((await second.stats())['ingest.account'].waiting).toBe(2);
    const seen: unknown[] = [];
    second.work({ 'ingest.account': async (job) => void seen.push(job.payload) });
    await second.drain();
    expect(seen).toEqual(expect.arrayContaining([{ n: 1 }, { n: 2 }]));
  });

  it('does not duplicate a job whose key is still waiting or delayed', async () => {
    const q = await make(newPrefix());
    const [a] = await q.enqueue([{ type: 'ingest.record', payload: { v: 1 }, key: 'rec-1', delayMs: 300 }]);
    const [b, c] = await q.enqueue([
      { type: 'ingest.record', payload: { v: 2 }, key: 'rec-1', delayMs: 300 },
      { type: 'ingest.record', payload: { v: 3 }, key: 'rec-2', delayMs: 300 },
    ]);
    expect(b).toBe(a);
    expect(c).not.toBe(a);
    const stats = await q.stats();
    expect(stats['ingest.record'].delayed).toBe(2);
    const runs: unknown[] = [];
    q.work({ 'ingest.record': async (job) => void runs.push(job.payload) });
    await q.drain();
    expect(runs).toHaveLength(2);
  });

  it('enqueues jobs of several types in one call, answering their ids in order (a key repeated in the call once)', async () => {
    const q = await make(newPrefix());
    const ids = await q.enqueue([
      { type: 'ingest.record', payload: { v: 1 }, key: 'rec-1', delayMs: 300 },
      { type: 'generate.lead_score', payload: { v: 2 }, key: 'score-1', delayMs: 300 },
      { type: 'ingest.record', payload: { v: 3 }, key: 'rec-1', delayMs: 300 },
      { type: 'ingest.account', payload: { v: 4 } },
      { type: 'ingest.record', payload: { v: 5 }, key: 'rec-2', delayMs: 300 },
    ]);
    expect(ids).toHaveLength(5);
    expect(ids[2]).toBe(ids[0]);
    expect(new Set([ids[0], ids[1], ids[3], ids[4]]).size).toBe(4);
    const runs: Array<{ id: string; payload: unknown }> = [];
    const record = async (job: JobContext) => void runs.push({ id: job.id, payload: job.payload });
    q.work({ 'ingest.record': record, 'generate.lead_score': record, 'ingest.account': record });
    await q.drain();
    expect(runs.map((r) => [r.id, r.payload]).sort()).toEqual(
      [[ids[0], { v: 1 }], [ids[1], { v: 2 }], [ids[3], { v: 4 }], [ids[4], { v: 5 }]].sort(),
    );
  });

  it('runs a job enqueued while its key is active after the active one, never beside it', async () => {
    const q = await make(newPrefix());
    let running = 0;
    let maxParallel = 0;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const runs: unknown[] = [];
    q.work(
      {
        'ingest.record': async (job) => {
          running += 1;
          maxParallel = Math.max(maxParallel, running);
          runs.push(job.payload);
          if (runs.length === 1) await gate;
          running -= 1;
        },
      },
      { concurrency: 4 },
    );
    await q.enqueue([{ type: 'ingest.record', payload: { v: 1 }, key: 'rec-1' }]);
    await waitFor(() => runs.length === 1, 20_000, 'first run');
    await q.enqueue([{ type: 'ingest.record', payload: { v: 2 }, key: 'rec-1' }]);
    // It is kept (not coalesced into the running job) and runs only after it: see the order and maxParallel.
    release();
    await q.drain();
    expect(runs).toEqual([{ v: 1 }, { v: 2 }]);
    expect(maxParallel).toBe(1);
  });

  it('retries a failing job with backoff and completes it later', async () => {
    const q = await make(newPrefix(), { maxAttempts: 5 });
    const attempts: number[] = [];
    q.work({
      'ingest.account': async (job) => {
        attempts.push(job.attempt);
        if (job.attempt < 3) throw Object.assign(new Error('HubSpot answered 503'), { retryAfterMs: 5 });
      },
    });
    await q.enqueue([{ type: 'ingest.account', payload: {} }]);
    await q.drain();
    expect(attempts).toEqual([1, 2, 3]);
    const stats = await q.stats();
    expect(stats['ingest.account']).toMatchObject({ completed: 1, dead: 0, failed: 0 });
  });

  it('dead-letters after maxAttempts, lists it, and re-drives it by id', async () => {
    const q = await make(newPrefix(), { maxAttempts: 2 });
    let fail = true;
    const attempts: number[] = [];
    q.work({
      'ingest.account': async (job) => {
        attempts.push(job.attempt);
        if (fail) throw Object.assign(new Error('still broken'), { retryAfterMs: 1 });
      },
    });
    const [id] = await q.enqueue([{ type: 'ingest.account', payload: { accountId: '7' } }]);
    await waitFor(async () => (await q.stats()).total.dead === 1, 20_000, 'dead job');
    expect(attempts).toEqual([1, 2]);
    const dead = await q.listDead();
    expect(dead).toHaveLength(1);
    expect(dead[0]).toMatchObject({ id, type: 'ingest.account', payload: { accountId: '7' }, attempts: 2 });
    expect(dead[0]!.error).toContain('still broken');
    fail = false;
    expect(await q.retryDead([id!])).toBe(1);
    await q.drain();
    expect(attempts).toEqual([1, 2, 1]);
    expect(await q.listDead()).toEqual([]);
    expect((await q.stats()).total).toMatchObject({ dead: 0, completed: 1 });
  });

  it('dead-letters a PermanentJobError at once; retryDead("all") re-drives every dead job', async () => {
    const q = await make(newPrefix(), { maxAttempts: 5 });
    let permanent = true;
    const runs: string[] = [];
    q.work({
      'generate.lead_score': async (job) => {
        runs.push(job.id);
        if (permanent) throw new PermanentJobError('agent lead_score is not implemented yet');
      },
    });
    await q.enqueue([
      { type: 'generate.lead_score', payload: { objectId: '1' } },
      { type: 'generate.lead_score', payload: { objectId: '2' } },
    ]);
    await waitFor(async () => (await q.stats()).total.dead === 2, 20_000, 'two dead jobs');
    expect(runs).toHaveLength(2);
    expect((await q.listDead()).map((d) => d.attempts)).toEqual([1, 1]);
    permanent = false;
    expect(await q.retryDead('all')).toBe(2);
    await q.drain();
    expect(runs).toHaveLength(4);
    expect((await q.stats()).total.dead).toBe(0);
  });

  it('honours the retryable flag of errors: retryable: false is dead at once, retryable: true is retried', async () => {
    const q = await make(newPrefix(), { maxAttempts: 4 });
    const runs: Record<string, number> = {};
    q.work({
      'ingest.record': async (job) => {
        const id = (job.payload as { id: string }).id;
        runs[id] = (runs[id] ?? 0) + 1;
        // The product's own error families, as the handlers throw them (not PermanentJobError).
        if (id === 'auth') throw new HubSpotAuthError('HubSpot refused the token (401)', { status: 401 });
        if (id === 'wrapped') throw new Error('ingest failed', { cause: new HubSpotInvalidRequestError('property does not exist', { status: 400 }) });
        if (id === 'transient' && runs[id] < 3) throw new HubSpotTransientError('HubSpot answered 503');
      },
    });
    await q.enqueue(['auth', 'wrapped', 'transient'].map((id) => ({ type: 'ingest.record' as const, payload: { id } })));
    await waitFor(async () => {
      const t = (await q.stats()).total;
      return t.dead === 2 && t.completed === 1;
    }, 30_000, 'two dead jobs and one completed');
    expect(runs).toEqual({ auth: 1, wrapped: 1, transient: 3 });
    expect((await q.listDead()).map((d) => d.attempts)).toEqual([1, 1]);
  });

  it('runs a delayed job only after its delay', async () => {
    const q = await make(newPrefix());
    const runs: number[] = [];
    const enqueuedAt = Date.now();
    const [id] = await q.enqueue([{ type: 'ingest.record', payload: { due: 'soon' }, delayMs: 400 }]);
    const [later] = await q.enqueue([{ type: 'ingest.account', payload: { due: 'much later' }, delayMs: 3_600_000 }]);
    q.work({ 'ingest.record': async () => void runs.push(Date.now()), 'ingest.account': async () => void runs.push(-1) });
    await waitFor(() => runs.length === 1, 30_000, 'the delayed job');
    expect(runs[0]! - enqueuedAt).toBeGreaterThanOrEqual(400);
    // A job whose delay has not passed is counted delayed and left alone.
    expect((await q.stats())['ingest.account']).toMatchObject({ delayed: 1, active: 0, completed: 0 });
    expect(runs).toEqual([runs[0]]);
    expect(later).toBeTruthy();
    expect(id).toBeTruthy();
  });

  it('graceful close lets in-flight jobs finish', async () => {
    const q = await make(newPrefix());
    let done = 0;
    let started = 0;
    let release = (): void => undefined;
    const finish = new Promise<void>((r) => (release = r));
    const worker = q.work({
      'ingest.account': async () => {
        started += 1;
        await finish;
        done += 1;
      },
    });
    await q.enqueue([{ type: 'ingest.account', payload: {} }]);
    await waitFor(() => started === 1, 20_000, 'job start');
    const closed = worker.close(60_000);
    expect(done).toBe(0);
    release(); // the job finishes while the worker is closing
    await closed;
    expect(done).toBe(1);
    expect((await q.stats()).total).toMatchObject({ completed: 1, active: 0, waiting: 0 });
  });

  it('graceful close returns a job that does not finish in time, and it runs again without losing an attempt', async () => {
    const q = await make(newPrefix());
    const attempts: number[] = [];
    let hang = true;
    const worker = q.work({
      'ingest.account': async (job) => {
        attempts.push(job.attempt);
        if (hang) await new Promise(() => undefined); // never settles: only the signal can end it
      },
    });
    await q.enqueue([{ type: 'ingest.account', payload: {} }]);
    await waitFor(() => attempts.length === 1, 20_000, 'job start');
    await worker.close(100);
    await waitFor(async () => (await q.stats()).total.active === 0, 20_000, 'job returned');
    hang = false;
    q.work({ 'ingest.account': async (job) => void attempts.push(job.attempt) });
    await q.drain();
    expect(attempts).toEqual([1, 1]);
    expect((await q.stats()).total).toMatchObject({ completed: 1, dead: 0 });
  });

  it('answers ping and reports every job type in stats', async () => {
    const q = await make(newPrefix());
    await q.ping();
    const stats = await q.stats();
    for (const type of ['webhook.batch', 'ingest.record', 'generate.reply_draft', 'total'] as const) {
      expect(stats[type]).toEqual({ waiting: 0, active: 0, delayed: 0, completed: 0, failed: 0, dead: 0 });
    }
  });

  it('schedules fairly across portals: a job of portal B waits behind at most one of flooded portal A', async () => {
    const q = await make(newPrefix());
    const order: string[] = [];
    await q.enqueue(Array.from({ length: 300 }, (_, i) => ({ type: 'ingest.account' as const, payload: { portalId: '101', accountId: `a${i}` } })));
    await q.enqueue([{ type: 'ingest.account', payload: { portalId: '202', accountId: 'b0' } }]);
    q.work({ 'ingest.account': async (job) => void order.push(`${(job.payload as { portalId: string }).portalId}:${(job.payload as { accountId: string }).accountId}`) });
    await waitFor(() => order.includes('202:b0'), 20_000, "portal B's job");
    expect(order.indexOf('202:b0')).toBeLessThanOrEqual(1);
    await q.drain(60_000);
    expect(order).toHaveLength(301);
  });

  it("takes a job enqueued for portal B while portal A's backlog runs within a bounded number of dequeues", async () => {
    const q = await make(newPrefix());
    const order: string[] = [];
    await q.enqueue(Array.from({ length: 200 }, (_, i) => ({ type: 'ingest.account' as const, payload: { portalId: '101', accountId: `a${i}` } })));
    let enqueuedAt = -1;
    q.work({
      'ingest.account': async (job) => {
        const p = job.payload as { portalId: string; accountId: string };
        order.push(`${p.portalId}:${p.accountId}`);
        if (p.accountId === 'a4') {
          await q.enqueue([{ type: 'ingest.account', payload: { portalId: '202', accountId: 'b0' } }]);
          enqueuedAt = order.length;
        }
      },
    });
    await waitFor(() => order.includes('202:b0'), 20_000, "portal B's job");
    // Dequeues between B's enqueue and B's start: at most the one already fetched by the worker.
    expect(order.indexOf('202:b0') - enqueuedAt).toBeLessThanOrEqual(1);
    await q.drain(60_000);
  });

  it('alternates between portals with backlogs instead of draining the older backlog first', async () => {
    const q = await make(newPrefix());
    const order: string[] = [];
    await q.enqueue(Array.from({ length: 60 }, (_, i) => ({ type: 'ingest.record' as const, payload: { portalId: '101', n: i } })));
    await q.enqueue(Array.from({ length: 60 }, (_, i) => ({ type: 'ingest.record' as const, payload: { portalId: '202', n: i } })));
    q.work({ 'ingest.record': async (job) => void order.push((job.payload as { portalId: string }).portalId) });
    await q.drain(60_000);
    expect(order).toHaveLength(120);
    const firstForty = order.slice(0, 40);
    expect(firstForty.filter((p) => p === '202').length).toBeGreaterThanOrEqual(18);
    expect(firstForty.filter((p) => p === '101').length).toBeGreaterThanOrEqual(18);
  });
}
