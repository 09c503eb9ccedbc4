import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openSqlite, queuePath, releaseSqlite, sqlitePath, type SqliteDb } from '../../src/db/sqlite.ts';
import { EmbeddedQueue } from '../../src/queue/embedded-queue.ts';
import { uniqueName } from '../support/services.ts';
import { tempDir } from '../support/tmp.ts';
import { waitFor } from './queue.contract.ts';

/**
 * Earlier releases kept the queue journal inside the data file; this one keeps it in a file of its own. The first
 * open moves every unfinished job over once, with its id, attempts and lease.
 */
const tmp = tempDir('hsai-journal-move-');
afterAll(() => tmp.cleanup());

// The journal table as the previous release created it in the data file.
const PREVIOUS_DDL = `
CREATE TABLE queue_jobs (
  id INTEGER PRIMARY KEY AUTOINCREMENT, queue TEXT NOT NULL, type TEXT NOT NULL, portal TEXT NOT NULL DEFAULT '',
  payload TEXT NOT NULL, key TEXT, state TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, max_attempts INTEGER NOT NULL,
  run_at INTEGER NOT NULL, lease_owner TEXT, lease_until INTEGER, last_error TEXT, created_at INTEGER NOT NULL, finished_at INTEGER
);
CREATE INDEX queue_jobs_ready ON queue_jobs (queue, state, run_at);
CREATE TABLE IF NOT EXISTS retrieval_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
INSERT OR IGNORE INTO retrieval_meta (key, value) VALUES ('embedding_model', 'hash-v1');`;

interface OldJob {
  id: number;
  queue?: string;
  state: 'waiting' | 'active' | 'completed' | 'dead';
  name: string;
  portal?: string;
  runAt?: number;
  attempts?: number;
  leaseUntil?: number;
}

function writeOldJobs(db: SqliteDb, jobs: OldJob[]): void {
  const insert = db.prepare(
    `INSERT INTO queue_jobs (id, queue, type, portal, payload, state, attempts, max_attempts, run_at, lease_owner, lease_until, last_error, created_at, finished_at)
     VALUES (?, ?, 'ingest.record', ?, ?, ?, ?, 3, ?, ?, ?, ?, 1000, ?)`,
  );
  for (const j of jobs) {
    insert.run(
      j.id,
      j.queue ?? 'hsai',
      j.portal ?? 'p1',
      JSON.stringify({ portalId: j.portal ?? 'p1', name: j.name }),
      j.state,
      j.attempts ?? 0,
      j.runAt ?? 0,
      j.state === 'active' ? 'old-process' : null,
      j.leaseUntil ?? null,
      j.state === 'dead' ? 'HubSpot 404' : null,
      j.state === 'completed' || j.state === 'dead' ? 2000 : null,
    );
  }
}

function previousRelease(dir: string, jobs: OldJob[]): void {
  const db = openSqlite(sqlitePath(dir));
  try {
    db.exec(PREVIOUS_DDL);
    writeOldJobs(db, jobs);
  } finally {
    releaseSqlite(db);
  }
}

function rows<T>(file: string, query: string): T[] {
  const db = openSqlite(file);
  try {
    return db.prepare(query).all() as T[];
  } finally {
    releaseSqlite(db);
  }
}

const JOBS: OldJob[] = [
  { id: 7, state: 'waiting', name: 'waiting' },
  { id: 8, state: 'waiting', name: 'delayed', runAt: Date.now() + 3_600_000 },
  // Running when the old release was stopped: its lease ran out, so it runs again (second attempt).
  { id: 9, state: 'active', name: 'interrupted', attempts: 1, leaseUntil: 0 },
  { id: 10, state: 'dead', name: 'dead', attempts: 3 },
  { id: 11, state: 'completed', name: 'done', attempts: 1 },
  { id: 12, state: 'waiting', name: 'other portal', portal: 'p2' },
];

describe('the journal moves out of the data file into its own file', () => {
  it('moves every unfinished job once, with its id; they run, purge and retry as before', async () => {
    const dir = path.join(tmp.dir, uniqueName('move'));
    previousRelease(dir, JOBS);
    const q = new EmbeddedQueue({ dataDir: dir, defaultMaxAttempts: 3, leaseMs: 60_000 });
    try {
      // The data file keeps its data, loses the journal.
      expect(rows(sqlitePath(dir), `SELECT name FROM sqlite_master WHERE name = 'queue_jobs'`)).toEqual([]);
      expect(rows(sqlitePath(dir), `SELECT value FROM retrieval_meta`)).toEqual([{ value: 'hash-v1' }]);
      expect(rows<{ id: number }>(queuePath(dir), `SELECT id FROM queue_jobs ORDER BY id`).map((r) => r.id)).toEqual([7, 8, 9, 10, 12]);
      expect((await q.stats()).total).toMatchObject({ waiting: 2, delayed: 1, active: 1, dead: 1, completed: 0 });
      expect((await q.listDead()).map((d) => ({ id: d.id, error: d.error }))).toEqual([{ id: '10', error: 'HubSpot 404' }]);
      expect(await q.removePortalJobs('p2')).toBe(1);

      const ran: Array<{ id: string; name: string; attempt: number }> = [];
      const worker = q.work({ 'ingest.record': async (job) => void ran.push({ id: job.id, name: (job.payload as { name: string }).name, attempt: job.attempt }) });
      expect(await q.retryDead(['10'])).toBe(1);
      await waitFor(() => ran.length === 3, 20_000, 'the three runnable jobs');
      await worker.close();
      expect(ran.sort((a, b) => Number(a.id) - Number(b.id))).toEqual([
        { id: '7', name: 'waiting', attempt: 1 },
        { id: '9', name: 'interrupted', attempt: 2 },
        { id: '10', name: 'dead', attempt: 1 },
      ]);
    } finally {
      await q.close();
    }
    // A second open (the worker process, the next start) finds nothing left to move.
    const again = new EmbeddedQueue({ dataDir: dir, defaultMaxAttempts: 3 });
    try {
      expect((await again.stats()).total).toMatchObject({ delayed: 1, completed: 3, waiting: 0, dead: 0 });
    } finally {
      await again.close();
    }
  });

  it('a move interrupted between its copy and its drop is finished without duplicates', async () => {
    const dir = path.join(tmp.dir, uniqueName('crash'));
    previousRelease(dir, JOBS);
    await new EmbeddedQueue({ dataDir: dir, defaultMaxAttempts: 3 }).close();
    // As if the process died after the copy committed and before the data file's table was dropped.
    previousRelease(dir, JOBS);
    const second = new EmbeddedQueue({ dataDir: dir, defaultMaxAttempts: 3 });
    try {
      expect(rows<{ id: number }>(queuePath(dir), `SELECT id FROM queue_jobs ORDER BY id`).map((r) => r.id)).toEqual([7, 8, 9, 10, 12]);
      expect(rows(sqlitePath(dir), `SELECT name FROM sqlite_master WHERE name = 'queue_jobs'`)).toEqual([]);
    } finally {
      await second.close();
    }
  });

  it('an old job whose id the journal file already uses is moved under a new id', async () => {
    const dir = path.join(tmp.dir, uniqueName('ids'));
    const fresh = new EmbeddedQueue({ dataDir: dir, defaultMaxAttempts: 3 });
    const [own] = await fresh.enqueue([{ type: 'ingest.record', payload: { portalId: 'p3', name: 'new' } }]);
    await fresh.close();
    previousRelease(dir, [{ id: Number(own), state: 'waiting', name: 'old' }]);
    const q = new EmbeddedQueue({ dataDir: dir, defaultMaxAttempts: 3 });
    try {
      const all = rows<{ id: number; payload: string }>(queuePath(dir), `SELECT id, payload FROM queue_jobs ORDER BY id`);
      expect(all.map((r) => [r.id, (JSON.parse(r.payload) as { name: string }).name])).toEqual([
        [Number(own), 'new'],
        [Number(own) + 1, 'old'],
      ]);
    } finally {
      await q.close();
    }
  });
});
