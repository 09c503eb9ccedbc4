import { afterAll, describe, expect, it } from 'vitest';
import { openSqlite, queuePath, releaseSqlite, sqlitePath } from '../../src/db/sqlite.ts';
import { createQueue } from '../../src/queue/create-queue.ts';
import { EmbeddedJournal } from '../../src/queue/embedded-journal.ts';
import { uniqueName } from '../support/services.ts';
import { tempDir } from '../support/tmp.ts';
import { queueContract } from './queue.contract.ts';

const tmp = tempDir('hsai-queue-');
afterAll(() => tmp.cleanup());

describe('embedded queue (SQLite journal)', () => {
  queueContract(
    (prefix, opts) => createQueue({ dataDir: tmp.dir, prefix, defaultMaxAttempts: opts?.maxAttempts ?? 3, backoffBaseMs: 10 }),
    () => uniqueName('q'),
  );

  it('re-runs a job whose worker died holding it once the lease has expired', async () => {
    const prefix = uniqueName('lease');
    const q = await createQueue({ dataDir: tmp.dir, prefix, defaultMaxAttempts: 3, leaseMs: 200 });
    const [id] = await q.enqueue([{ type: 'ingest.record', payload: { v: 1 } }]);
    // A "process" claims the job and then vanishes without completing it or renewing its lease.
    const db = openSqlite(queuePath(tmp.dir));
    const journal = new EmbeddedJournal(db, prefix);
    expect(journal.claim(['ingest.record'], 1, 'killed-process', 200, Date.now()).map((r) => String(r.id))).toEqual([id]);
    releaseSqlite(db);
    const attempts: number[] = [];
    q.work({ 'ingest.record': async (job) => void attempts.push(job.attempt) });
    await q.drain();
    expect(attempts).toEqual([2]);
    await q.close();
  });
});

describe('embedded queue: enqueue while another process writes', () => {
  it('never waits for the data file: the journal has a file of its own', async () => {
    const prefix = uniqueName('datalock');
    const q = await createQueue({ dataDir: tmp.dir, prefix, defaultMaxAttempts: 3 });
    // The worker process in the middle of a long write transaction of the data file (a batch of chunks).
    const data = openSqlite(sqlitePath(tmp.dir));
    data.exec('BEGIN IMMEDIATE');
    try {
      const [id] = await q.enqueue([{ type: 'ingest.record', payload: { v: 1 } }]);
      expect(id).toMatch(/^\d+$/);
      expect((await q.stats()).total.waiting).toBe(1);
      expect(await q.removePortalJobs('none')).toBe(0);
    } finally {
      data.exec('ROLLBACK');
      releaseSqlite(data);
      await q.close();
    }
  });

  it('waits for the journal file\'s write lock on later turns of the event loop, not inside the call', async () => {
    const prefix = uniqueName('lock');
    const q = await createQueue({ dataDir: tmp.dir, prefix, defaultMaxAttempts: 3 });
    // Another journal writer (the worker process claiming jobs, another API process) holds the write lock.
    const other = openSqlite(queuePath(tmp.dir));
    other.exec('BEGIN IMMEDIATE');
    let settled = false;
    const pending = q.enqueue([{ type: 'ingest.record', payload: { v: 1 } }]).finally(() => (settled = true));
    // A busy timeout inside the call would have held this (single) thread until it gave up with SQLITE_BUSY, and
    // the lock could never have been released: the loop keeps turning instead, and the job waits for the lock.
    for (let turn = 0; turn < 5; turn += 1) await new Promise((r) => setTimeout(r, 1));
    expect(settled).toBe(false);
    other.exec('COMMIT');
    const [id] = await pending;
    expect(id).toMatch(/^\d+$/);
    expect((await q.stats()).total.waiting).toBe(1);
    releaseSqlite(other);
    await q.close();
  });
});

describe('embedded journal: settlements ride on the next claim', () => {
  it('completes, reschedules and dead-letters finished attempts in the transaction that claims the next jobs', () => {
    const prefix = uniqueName('settle');
    const db = openSqlite(queuePath(tmp.dir));
    const journal = new EmbeddedJournal(db, prefix);
    const now = Date.now();
    journal.enqueue(
      ['a', 'b', 'c', 'd'].map((name) => ({ type: 'ingest.record' as const, payload: { name } })),
      3,
      now,
    );
    const first = journal.claim(['ingest.record'], 3, 'me', 30_000, now);
    expect(first.map((r) => JSON.parse(r.payload).name)).toEqual(['a', 'b', 'c']);
    const next = journal.settleAndClaim(
      [
        { id: first[0]!.id, outcome: 'completed' },
        { id: first[1]!.id, outcome: 'retry', error: 'HubSpot 503', retryAt: now + 60_000 },
        { id: first[2]!.id, outcome: 'dead', error: 'record is gone' },
      ],
      ['ingest.record'],
      3,
      'me',
      30_000,
      now,
    );
    expect(next.map((r) => JSON.parse(r.payload).name)).toEqual(['d']); // b waits for its retry time
    const stats = journal.stats(now)['ingest.record'];
    expect(stats).toMatchObject({ completed: 1, delayed: 1, failed: 1, dead: 1, active: 1 });
    expect(journal.listDead(10).map((d) => d.error)).toEqual(['record is gone']);
    // Another worker's settlements cannot touch jobs it does not hold.
    journal.settleOnly([{ id: next[0]!.id, outcome: 'completed' }], 'someone-else', now);
    expect(journal.stats(now)['ingest.record'].active).toBe(1);
    journal.settleOnly([{ id: next[0]!.id, outcome: 'completed' }], 'me', now);
    expect(journal.stats(now)['ingest.record']).toMatchObject({ active: 0, completed: 2 });
    releaseSqlite(db);
  });

  // The claim statements name their index (INDEXED BY fails to prepare rather than fall back to a table scan).
  it('claims from the runnable jobs only, however many finished jobs the journal keeps', () => {
    const prefix = uniqueName('big');
    const db = openSqlite(queuePath(tmp.dir));
    const journal = new EmbeddedJournal(db, prefix);
    const now = Date.now();
    journal.enqueue(Array.from({ length: 5_000 }, (_, i) => ({ type: 'ingest.record' as const, payload: { i } })), 3, now);
    db.prepare(`UPDATE queue_jobs SET state = 'completed', finished_at = ? WHERE queue = ?`).run(now, prefix);
    journal.enqueue([{ type: 'ingest.record', payload: { i: 'new' }, key: 'k' }, { type: 'webhook.batch', payload: { i: 'later' }, delayMs: 60_000 }], 3, now);
    expect(journal.claim(['ingest.record', 'webhook.batch'], 4, 'me', 30_000, now).map((r) => JSON.parse(r.payload).i)).toEqual(['new']);
    releaseSqlite(db);
  });
});
