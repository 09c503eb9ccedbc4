import type { Redis as RedisClient } from 'ioredis';
import { silentLogger, throttledWarn, type Logger } from '../logging.ts';
import { CacheError } from './cache-error.ts';
import type { KeyValueCache } from './kv.ts';
import { redactUrl } from '../config/config.ts';

/**
 * The production cache on Redis (ioredis, imported lazily by `createRedisKv` so the embedded default never
 * loads it). Every key carries `keyPrefix`, so several deployments or test runs can share one Redis.
 */
export interface RedisKvOptions {
  url: string;
  keyPrefix?: string;
  logger?: Logger;
}

export async function createRedisKv(opts: RedisKvOptions): Promise<RedisKv> {
  const { Redis } = await import('ioredis');
  const client = new Redis(opts.url, {
    keyPrefix: opts.keyPrefix ?? 'hsai:',
    lazyConnect: true,
    // Fail calls after a few reconnect attempts instead of queueing them forever while Redis is down.
    maxRetriesPerRequest: 3,
    connectTimeout: 5_000,
  });
  // ioredis reports connection trouble as 'error' events; unheard, Node prints them as unhandled. Failed calls
  // still reject, so a log line is all these need.
  const logger = opts.logger ?? silentLogger;
  client.on('error', throttledWarn(logger, 'Redis cache connection error'));
  try {
    await client.connect();
  } catch (err) {
    client.disconnect();
    throw new CacheError(`Cannot connect to Redis at ${redactUrl(opts.url)}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  return new RedisKv(client);
}

export class RedisKv implements KeyValueCache {
  readonly kind = 'redis' as const;

  constructor(private readonly client: RedisClient) {}

  async get(key: string): Promise<Buffer | null> {
    return this.run(() => this.client.getBuffer(key));
  }

  async getMany(keys: string[]): Promise<Array<Buffer | null>> {
    if (keys.length === 0) return [];
    return this.run(() => this.client.mgetBuffer(keys));
  }

  async set(key: string, value: Buffer, ttlSeconds?: number): Promise<void> {
    await this.run(() => (ttlSeconds && ttlSeconds > 0 ? this.client.set(key, value, 'EX', Math.ceil(ttlSeconds)) : this.client.set(key, value)));
  }

  async setMany(entries: Array<{ key: string; value: Buffer; ttlSeconds?: number }>): Promise<void> {
    await this.pipelinedSet(entries, false);
  }

  async setIfAbsent(key: string, value: Buffer, ttlSeconds?: number): Promise<boolean> {
    const reply = await this.run(() =>
      ttlSeconds && ttlSeconds > 0 ? this.client.set(key, value, 'EX', Math.ceil(ttlSeconds), 'NX') : this.client.set(key, value, 'NX'),
    );
    return reply === 'OK';
  }

  async setManyIfAbsent(entries: Array<{ key: string; value: Buffer; ttlSeconds?: number }>): Promise<boolean[]> {
    // Each SET NX is atomic on its own, which is all a claim needs.
    return (await this.pipelinedSet(entries, true)).map((reply) => reply === 'OK');
  }

  /** SETs in one round trip (a pipeline is not atomic, which a cache does not need); the replies in order. */
  private async pipelinedSet(entries: Array<{ key: string; value: Buffer; ttlSeconds?: number }>, onlyIfAbsent: boolean): Promise<unknown[]> {
    if (entries.length === 0) return [];
    const pipeline = this.client.pipeline();
    for (const e of entries) {
      const ttl = e.ttlSeconds && e.ttlSeconds > 0 ? Math.ceil(e.ttlSeconds) : 0;
      if (ttl && onlyIfAbsent) pipeline.set(e.key, e.value, 'EX', ttl, 'NX');
      else if (ttl) pipeline.set(e.key, e.value, 'EX', ttl);
      else if (onlyIfAbsent) pipeline.set(e.key, e.value, 'NX');
      else pipeline.set(e.key, e.value);
    }
    const results = (await this.run(() => pipeline.exec())) ?? [];
    const failed = results.find(([err]) => err);
    if (failed?.[0]) throw new CacheError(`Redis cache write failed: ${failed[0].message}`, { cause: failed[0] });
    return results.map(([, reply]) => reply);
  }

  async delete(key: string): Promise<void> {
    await this.run(() => this.client.del(key));
  }

  async deletePrefix(prefix: string): Promise<number> {
    return this.scanAndUnlink(`${globEscape(prefix)}*`);
  }

  async deleteMatching(patterns: readonly string[]): Promise<number> {
    if (patterns.length === 0) return 0;
    if (patterns.length === 1) return this.scanAndUnlink(patterns[0]!);
    // One walk of the keyspace for all patterns (SCAN visits every key whatever it matches): MATCH narrows to their
    // common literal start, each key is then tested against the patterns here.
    const literals = patterns.map((p) => p.slice(0, p.search(/[*?[\\]|$/)));
    let common = literals[0]!;
    for (const l of literals) while (!l.startsWith(common)) common = common.slice(0, -1);
    const tests = patterns.map(globRegExp);
    return this.scanAndUnlink(`${globEscape(common)}*`, (key) => tests.some((t) => t.test(key)));
  }

  /**
   * SCAN sees full key names: the client's keyPrefix (escaped) is put before the pattern and taken off before
   * UNLINK (which adds it again).
   */
  private async scanAndUnlink(ownPattern: string, keep?: (ownKey: string) => boolean): Promise<number> {
    const own = this.client.options.keyPrefix ?? '';
    const pattern = globEscape(own) + ownPattern;
    let cursor = '0';
    let n = 0;
    do {
      const [next, keys] = await this.run(() => this.client.scan(cursor, 'MATCH', pattern, 'COUNT', 5000));
      cursor = next;
      const mine = keys.map((k) => k.slice(own.length)).filter((k) => !keep || keep(k));
      if (mine.length > 0) n += await this.run(() => this.client.unlink(...mine));
    } while (cursor !== '0');
    return n;
  }

  async ping(): Promise<void> {
    await this.run(() => this.client.ping());
  }

  async close(): Promise<void> {
    if (this.client.status === 'end') return;
    try {
      await this.client.quit();
    } catch {
      this.client.disconnect();
    }
  }

  private async run<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw new CacheError(`Redis cache failed: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
  }
}

/** A Redis MATCH / SQLite GLOB pattern (`*`, `?`, `[...]`, `[^...]`, `\\x`) as a regular expression over a whole key. */
export function globRegExp(pattern: string): RegExp {
  const lit = (c: string) => c.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '\\' && i + 1 < pattern.length) re += lit(pattern[++i]!);
    else if (c === '*') re += '[\\s\\S]*';
    else if (c === '?') re += '[\\s\\S]';
    else if (c === '[' && pattern.indexOf(']', i + 2) > 0) {
      const end = pattern.indexOf(']', i + 2);
      let body = pattern.slice(i + 1, end);
      const negated = body.startsWith('^');
      if (negated) body = body.slice(1);
      // Ranges (a-z) stay ranges; every other character is literal.
      re += `[${negated ? '^' : ''}${[...body].map((ch, j, all) => (ch === '-' && j > 0 && j < all.length - 1 ? '-' : lit(ch))).join('')}]`;
      i = end;
    } else re += lit(c);
  }
  return new RegExp(`^${re}$`);
}

/** A literal string as a Redis MATCH pattern. */
function globEscape(s: string): string {
  return s.replace(/[*?[\]\\]/g, '\\$&');
}
