import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import * as sqliteVec from 'sqlite-vec';
import { SAFETY_NET_PAGES, unwatchFile, watchFile } from './checkpointer.ts';

export type SqliteDb = Database.Database;

/**
 * The embedded default keeps everything in one SQLite file under DATA_DIR: vectors, cache, queue journal,
 * audit, reviews, checkpoints. One connection per process per file; WAL so readers never block the writer.
 */
const open = new Map<string, { db: SqliteDb; refs: number }>();

export const SQLITE_FILE = 'hubspot-ai.db';

export function sqlitePath(dataDir: string): string {
  return path.join(dataDir, SQLITE_FILE);
}

/** Opens (or shares) the SQLite file with sqlite-vec loaded. Call `releaseSqlite` when done. */
export function openSqlite(file: string): SqliteDb {
  const key = file === ':memory:' ? `:memory:${Math.random()}` : path.resolve(file);
  const existing = open.get(key);
  if (existing && existing.db.open) {
    existing.refs += 1;
    return existing.db;
  }
  if (file !== ':memory:') fs.mkdirSync(path.dirname(key), { recursive: true });
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL'); // durable across process crashes in WAL mode; fsync at checkpoints
  db.pragma('busy_timeout = 5000');
  db.pragma('foreign_keys = ON');
  // Memory-mapped reads: vector scans read pages without copying them through SQLite's page cache.
  db.pragma('mmap_size = 1073741824');
  sqliteVec.load(db);
  if (file !== ':memory:') {
    // Checkpoints run in a background thread (checkpointer.ts), not inside whichever commit crosses 1,000 pages.
    db.pragma(`wal_autocheckpoint = ${SAFETY_NET_PAGES}`);
    db.pragma('journal_size_limit = 67108864');
    watchFile(key);
  }
  open.set(key, { db, refs: 1 });
  return db;
}

export function releaseSqlite(db: SqliteDb): void {
  for (const [key, entry] of open) {
    if (entry.db === db) {
      entry.refs -= 1;
      if (entry.refs <= 0) {
        open.delete(key);
        unwatchFile(key);
        if (db.open) db.close();
      }
      return;
    }
  }
  if (db.open) db.close();
}
