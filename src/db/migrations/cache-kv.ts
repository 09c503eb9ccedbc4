import type { SqliteFileMigration } from './sqlite-file.ts';

/** The embedded key-value cache (cache/sqlite-kv.ts): embeddings, LLM answers, dedupe keys. */
export function cacheKvMigrations(): Record<string, SqliteFileMigration> {
  return {
    '0001_cache_kv': {
      up(db) {
        db.exec(`CREATE TABLE IF NOT EXISTS cache_kv (key TEXT PRIMARY KEY, value BLOB NOT NULL, expires_at INTEGER) WITHOUT ROWID;
          CREATE INDEX IF NOT EXISTS cache_kv_expires ON cache_kv (expires_at) WHERE expires_at IS NOT NULL;`);
      },
    },
  };
}
