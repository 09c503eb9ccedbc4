/**
 * Key-value cache port: embeddings (float32 bytes), LLM responses, webhook dedupe keys.
 * Adapters: SQLite (the embedded default, same file as everything else) and Redis.
 */
export interface KeyValueCache {
  readonly kind: 'sqlite' | 'redis';
  get(key: string): Promise<Buffer | null>;
  getMany(keys: string[]): Promise<Array<Buffer | null>>;
  set(key: string, value: Buffer, ttlSeconds?: number): Promise<void>;
  setMany(entries: Array<{ key: string; value: Buffer; ttlSeconds?: number }>): Promise<void>;
  /** Atomically sets the key only if absent; true when this call set it (dedupe). */
  setIfAbsent(key: string, value: Buffer, ttlSeconds?: number): Promise<boolean>;
  /**
   * `setIfAbsent` for many keys in one round trip (one transaction embedded, one pipeline on Redis); each key is
   * set atomically on its own. A key listed twice is set by its first entry only.
   */
  setManyIfAbsent(entries: Array<{ key: string; value: Buffer; ttlSeconds?: number }>): Promise<boolean[]>;
  delete(key: string): Promise<void>;
  /** Deletes every key starting with `prefix` (a portal's keys on purge); returns how many. */
  deletePrefix(prefix: string): Promise<number>;
  /**
   * Deletes every key matching any of the glob `patterns` (`*`, `?` and `[...]` / `[^...]` classes, as Redis MATCH
   * and SQLite GLOB read them); returns how many. SQLite bounds each pattern by its literal start (a primary-key
   * range); Redis walks its keyspace once for all of them. For maintenance sweeps, not for hot paths.
   */
  deleteMatching(patterns: readonly string[]): Promise<number>;
  /** Readiness probe. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
