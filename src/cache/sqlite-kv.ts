import { ownConnection, sqlitePath, writeTransaction, type SqliteConnections, type SqliteDb } from '../db/sqlite.ts';
import { migrateSqliteFile } from '../db/migrator.ts';
import { CacheError } from './cache-error.ts';
import type { KeyValueCache } from './kv.ts';

/**
 * The embedded cache: table `cache_kv` in the shared SQLite file. Expiry is checked on read (an expired row is
 * absent) and expired rows are purged on open and every few thousand writes, so the file does not grow forever
 * with dedupe keys.
 */
export interface SqliteKvOptions {
  /** Either a data directory (the shared file) or an explicit SQLite file path / `:memory:`. */
  dataDir?: string;
  file?: string;
  /** Injectable clock (ms) so expiry can be tested without waiting. */
  now?: () => number;
  /** The container's connection registry; without one the cache opens a connection of its own. */
  sqlite?: SqliteConnections;
}

const PURGE_EVERY_WRITES = 5_000;

export class SqliteKv implements KeyValueCache {
  readonly kind = 'sqlite' as const;
  private readonly db: SqliteDb;
  private readonly sqlite: SqliteConnections;
  private readonly now: () => number;
  private writes = 0;
  private closed = false;
  private readonly stmts: ReturnType<SqliteKv['prepare']>;

  constructor(opts: SqliteKvOptions) {
    const file = opts.file ?? (opts.dataDir ? sqlitePath(opts.dataDir) : undefined);
    if (!file) throw new TypeError('SqliteKv needs dataDir or file');
    this.now = opts.now ?? Date.now;
    this.sqlite = opts.sqlite ?? ownConnection;
    this.db = this.sqlite.open(file);
    migrateSqliteFile(this.db, 'main'); // cache_kv (db/migrations/cache-kv.ts), with whatever else the file still lacks
    this.stmts = this.prepare();
    this.purgeExpired();
  }

  private prepare() {
    return {
      get: this.db.prepare<[string, number], { value: Buffer }>('SELECT value FROM cache_kv WHERE key = ? AND (expires_at IS NULL OR expires_at > ?)'),
      getMany: this.db.prepare<[string, number], { key: string; value: Buffer }>(
        'SELECT key, value FROM cache_kv WHERE key IN (SELECT value FROM json_each(?)) AND (expires_at IS NULL OR expires_at > ?)',
      ),
      set: this.db.prepare<[string, Buffer, number | null]>(
        'INSERT INTO cache_kv (key, value, expires_at) VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at',
      ),
      // Atomic in one statement: inserts, or takes over a row only when that row has expired.
      setIfAbsent: this.db.prepare<[string, Buffer, number | null, number]>(
        `INSERT INTO cache_kv (key, value, expires_at) VALUES (?, ?, ?)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at
         WHERE cache_kv.expires_at IS NOT NULL AND cache_kv.expires_at <= ?`,
      ),
      delete: this.db.prepare<[string]>('DELETE FROM cache_kv WHERE key = ?'),
      purge: this.db.prepare<[number]>('DELETE FROM cache_kv WHERE expires_at IS NOT NULL AND expires_at <= ?'),
    };
  }

  async get(key: string): Promise<Buffer | null> {
    return this.run(() => this.stmts.get.get(key, this.now())?.value ?? null);
  }

  async getMany(keys: string[]): Promise<Array<Buffer | null>> {
    if (keys.length === 0) return [];
    return this.run(() => {
      const found = new Map<string, Buffer>();
      for (const row of this.stmts.getMany.all(JSON.stringify(keys), this.now())) found.set(row.key, row.value);
      return keys.map((k) => found.get(k) ?? null);
    });
  }

  async set(key: string, value: Buffer, ttlSeconds?: number): Promise<void> {
    this.run(() => this.stmts.set.run(key, value, this.expiry(ttlSeconds)));
    this.afterWrites(1);
  }

  async setMany(entries: Array<{ key: string; value: Buffer; ttlSeconds?: number }>): Promise<void> {
    if (entries.length === 0) return;
    // One transaction: one fsync for the whole batch instead of one per row.
    this.run(() =>
      writeTransaction(this.db, () => {
        for (const e of entries) this.stmts.set.run(e.key, e.value, this.expiry(e.ttlSeconds));
      }),
    );
    this.afterWrites(entries.length);
  }

  async setIfAbsent(key: string, value: Buffer, ttlSeconds?: number): Promise<boolean> {
    const now = this.now();
    const result = this.run(() => this.stmts.setIfAbsent.run(key, value, this.expiry(ttlSeconds), now));
    this.afterWrites(1);
    return result.changes === 1;
  }

  async setManyIfAbsent(entries: Array<{ key: string; value: Buffer; ttlSeconds?: number }>): Promise<boolean[]> {
    if (entries.length === 0) return [];
    const now = this.now();
    // One transaction: the webhook batch processor claims ~100 dedupe keys at once; one commit instead of 100.
    const results = this.run(() =>
      writeTransaction(this.db, () => entries.map((e) => this.stmts.setIfAbsent.run(e.key, e.value, this.expiry(e.ttlSeconds), now).changes === 1)),
    );
    this.afterWrites(entries.length);
    return results;
  }

  async delete(key: string): Promise<void> {
    this.run(() => this.stmts.delete.run(key));
  }

  async deletePrefix(prefix: string): Promise<number> {
    // A range on the primary key rather than LIKE, whose wildcards a key may contain.
    return this.run(() => Number(this.db.prepare('DELETE FROM cache_kv WHERE key >= ? AND key < ?').run(prefix, `${prefix}\uffff`).changes));
  }

  async deleteMatching(patterns: readonly string[]): Promise<number> {
    // SQLite's GLOB reads the same syntax as Redis MATCH; each pattern's literal start bounds a primary-key range.
    let n = 0;
    for (const pattern of patterns) {
      const literal = pattern.slice(0, pattern.search(/[*?[\\]|$/));
      n += this.run(() => Number(this.db.prepare('DELETE FROM cache_kv WHERE key >= ? AND key < ? AND key GLOB ?').run(literal, `${literal}\uffff`, pattern).changes));
    }
    return n;
  }

  async ping(): Promise<void> {
    this.run(() => this.db.prepare('SELECT 1').get());
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.sqlite.release(this.db);
  }

  /** Deletes expired rows; returns how many. */
  purgeExpired(): number {
    return this.run(() => this.stmts.purge.run(this.now()).changes);
  }

  private expiry(ttlSeconds: number | undefined): number | null {
    return ttlSeconds && ttlSeconds > 0 ? this.now() + Math.round(ttlSeconds * 1000) : null;
  }

  private afterWrites(n: number): void {
    const before = Math.floor(this.writes / PURGE_EVERY_WRITES);
    this.writes += n;
    if (Math.floor(this.writes / PURGE_EVERY_WRITES) !== before) this.purgeExpired();
  }

  private run<T>(fn: () => T): T {
    if (this.closed) throw new CacheError('SQLite cache is closed');
    try {
      return fn();
    } catch (err) {
      throw new CacheError(`SQLite cache failed: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
  }
}
