import fs from 'node:fs';
import { writeTransaction, type SqliteDb } from '../db/sqlite.ts';

/**
 * The upgrade from releases that kept the queue journal inside the data file: the first open of the journal's own
 * file moves the data file's `queue_jobs` rows into it and drops the old table. Every unfinished job moves (waiting,
 * delayed, active under a lease, dead-lettered), with its id, attempts and lease, so a job that was running when the
 * old release stopped runs again once its lease runs out, and dedupe claims owned by its id stay its own. Completed
 * jobs (kept only for stats, pruned after a day) are dropped with the table.
 *
 * Safe against a crash and against two processes opening at once: the copy is one transaction in the journal file
 * (under its write lock), the drop another in the data file, and a copy repeated after a crash between them skips
 * the rows already moved (same id and creation time). Stop every process of the earlier release before starting
 * this one: an old process would go on writing the table this drops.
 *
 * Returns how many jobs moved (0 when there was nothing to move: the common case costs one ATTACH and one read).
 */
export function moveJobsFromDataFile(journal: SqliteDb, dataFile: string): number {
  if (!fs.existsSync(dataFile)) return 0;
  journal.prepare(`ATTACH DATABASE ? AS legacy`).run(dataFile);
  try {
    const table = journal.prepare(`SELECT 1 FROM legacy.sqlite_master WHERE type = 'table' AND name = 'queue_jobs'`).get();
    if (!table) return 0;
    const columns = new Set((journal.prepare(`PRAGMA legacy.table_info(queue_jobs)`).all() as Array<{ name: string }>).map((c) => c.name));
    // Journals written before fair scheduling have no portal column: their jobs join portal '' (as the migration does).
    const portal = columns.has('portal') ? 'l.portal' : `''`;
    const cols = 'queue, type, portal, payload, key, state, attempts, max_attempts, run_at, lease_owner, lease_until, last_error, created_at, finished_at';
    const from = `${portal}, l.payload, l.key, l.state, l.attempts, l.max_attempts, l.run_at, l.lease_owner, l.lease_until, l.last_error, l.created_at, l.finished_at`;
    const pending = `FROM legacy.queue_jobs l WHERE l.state != 'completed'
      AND NOT EXISTS (SELECT 1 FROM main.queue_jobs n WHERE n.id = l.id AND n.created_at = l.created_at AND n.type = l.type)`;
    const moved = writeTransaction(journal, () => {
      // Ids kept where free (the usual case: the journal file is new); a job whose id is taken gets a new one.
      const kept = journal
        .prepare(`INSERT INTO main.queue_jobs (id, ${cols}) SELECT l.id, l.queue, l.type, ${from} ${pending}
                  AND NOT EXISTS (SELECT 1 FROM main.queue_jobs n WHERE n.id = l.id) ORDER BY l.id`)
        .run().changes;
      const renumbered = journal.prepare(`INSERT INTO main.queue_jobs (${cols}) SELECT l.queue, l.type, ${from} ${pending} ORDER BY l.id`).run().changes;
      return kept + renumbered;
    });
    writeTransaction(journal, () => journal.exec(`DROP TABLE IF EXISTS legacy.queue_jobs`));
    return moved;
  } finally {
    journal.exec(`DETACH DATABASE legacy`);
  }
}
