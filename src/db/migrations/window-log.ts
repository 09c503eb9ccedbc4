import type { SqliteFileMigration } from './sqlite-file.ts';

/** The HubSpot rate limiter's window log (hubspot/sqlite-window-store.ts), in the limiter's own file. */
export function windowLogMigrations(): Record<string, SqliteFileMigration> {
  return {
    '0001_window_log': {
      up(db) {
        db.exec(`
          CREATE TABLE IF NOT EXISTS window_log (
            limiter TEXT NOT NULL, kind TEXT NOT NULL, member TEXT NOT NULL, expires_at INTEGER NOT NULL,
            PRIMARY KEY (limiter, kind, member)
          ) WITHOUT ROWID;
          CREATE INDEX IF NOT EXISTS window_log_expiry ON window_log (limiter, kind, expires_at);
          CREATE TABLE IF NOT EXISTS window_pause (
            limiter TEXT NOT NULL, kind TEXT NOT NULL, until INTEGER NOT NULL,
            PRIMARY KEY (limiter, kind)
          ) WITHOUT ROWID;`);
      },
    },
  };
}
