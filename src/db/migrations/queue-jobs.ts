import type { SqliteFileMigration } from './sqlite-file.ts';

/** The embedded queue's journal (queue/embedded-journal.ts): one row per job. */
export function queueJobMigrations(): Record<string, SqliteFileMigration> {
  return {
    '0001_queue_jobs': {
      up(db) {
        db.exec(`
          CREATE TABLE IF NOT EXISTS queue_jobs (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            queue TEXT NOT NULL,
            type TEXT NOT NULL,
            portal TEXT NOT NULL DEFAULT '',
            payload TEXT NOT NULL,
            key TEXT,
            state TEXT NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            max_attempts INTEGER NOT NULL,
            run_at INTEGER NOT NULL,
            lease_owner TEXT,
            lease_until INTEGER,
            last_error TEXT,
            created_at INTEGER NOT NULL,
            finished_at INTEGER
          );
          CREATE INDEX IF NOT EXISTS queue_jobs_ready ON queue_jobs (queue, state, run_at);
          CREATE INDEX IF NOT EXISTS queue_jobs_key ON queue_jobs (queue, key, state) WHERE key IS NOT NULL;
          DROP INDEX IF EXISTS queue_jobs_finished;`);
        // Journals written before fair scheduling gain the portal column, their jobs in portal ''.
        const columns = db.prepare(`PRAGMA table_info(queue_jobs)`).all() as Array<{ name: string }>;
        if (!columns.some((c) => c.name === 'portal')) db.exec(`ALTER TABLE queue_jobs ADD COLUMN portal TEXT NOT NULL DEFAULT ''`);
        db.exec(`CREATE INDEX IF NOT EXISTS queue_jobs_portal ON queue_jobs (queue, state, portal, run_at)`);
      },
    },
  };
}
