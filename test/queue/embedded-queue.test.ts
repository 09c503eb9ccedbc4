import { afterAll, describe, expect, it } from 'vitest';
import { openSqlite, releaseSqlite, sqlitePath } from '../../src/db/sqlite.ts';
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
    const db = openSqlite(sqlitePath(tmp.dir));
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
