import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { LimitKind, WindowSpec, WindowStore } from './window-store.ts';

/**
 * The window log in Redis, shared by every process holding the same portal token (algorithm in
 * window-store.ts). Each operation is one Lua script, so check-and-add is atomic across processes, and time is
 * Redis' own clock (`TIME`), so hosts with skewed clocks still agree. Keys carry a hash tag so both keys of a
 * script land in one Redis Cluster slot, and expire on their own when the portal goes idle.
 */

const NOW = `local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)`;

// KEYS: log, pause. ARGV: budget, holdMs, member. Returns 0 when admitted, else ms to wait.
const ACQUIRE = `
local paused = redis.call('PTTL', KEYS[2])
if paused > 0 then return paused end
${NOW}
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local budget = tonumber(ARGV[1])
local hold = tonumber(ARGV[2])
local count = redis.call('ZCARD', KEYS[1])
if count < budget then
  redis.call('ZADD', KEYS[1], now + hold, ARGV[3])
  if redis.call('PTTL', KEYS[1]) < hold then redis.call('PEXPIRE', KEYS[1], hold) end
  return 0
end
local e = redis.call('ZRANGE', KEYS[1], count - budget, count - budget, 'WITHSCORES')
return math.max(1, tonumber(e[2]) - now)`;

// KEYS: log. ARGV: member, windowMs. XX: a member that already expired is not revived.
const RELEASE = `
${NOW}
redis.call('ZADD', KEYS[1], 'XX', now + tonumber(ARGV[2]), ARGV[1])
return 0`;

// KEYS: log. ARGV: budget, serverRemaining, windowMs, nonce.
const RECONCILE = `
${NOW}
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local budget = tonumber(ARGV[1])
local window = tonumber(ARGV[3])
local missing = math.min(budget, budget - redis.call('ZCARD', KEYS[1]) - tonumber(ARGV[2]))
for i = 1, missing do
  redis.call('ZADD', KEYS[1], now + window, 'external:' .. ARGV[4] .. ':' .. i)
end
if missing > 0 and redis.call('PTTL', KEYS[1]) < window then redis.call('PEXPIRE', KEYS[1], window) end
return missing`;

// KEYS: pause. ARGV: ms. Only ever extends a pause.
const PAUSE = `
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[1]) then redis.call('SET', KEYS[1], '1', 'PX', ARGV[1]) end
return 0`;

interface Script {
  source: string;
  sha: string;
}

function script(source: string): Script {
  return { source, sha: createHash('sha1').update(source).digest('hex') };
}

const SCRIPTS = { acquire: script(ACQUIRE), release: script(RELEASE), reconcile: script(RECONCILE), pause: script(PAUSE) };

export class RedisWindowStore implements WindowStore {
  private nonce = 0;

  /** `redis` belongs to the caller (shared with other modules): `close()` leaves it open. */
  constructor(
    private readonly redis: Redis,
    private readonly keyPrefix: string,
    private readonly limiterKey: string,
  ) {}

  async tryAcquire(kind: LimitKind, member: string, spec: WindowSpec, holdMs: number): Promise<number> {
    const wait = await this.run(SCRIPTS.acquire, [this.logKey(kind), this.pauseKey(kind)], [spec.budget, Math.ceil(holdMs), member]);
    return Number(wait);
  }

  async release(kind: LimitKind, member: string, windowMs: number): Promise<void> {
    await this.run(SCRIPTS.release, [this.logKey(kind)], [member, Math.ceil(windowMs)]);
  }

  async reconcile(kind: LimitKind, serverRemaining: number, spec: WindowSpec): Promise<void> {
    const nonce = `${process.pid}.${Date.now().toString(36)}.${++this.nonce}`;
    await this.run(SCRIPTS.reconcile, [this.logKey(kind)], [spec.budget, serverRemaining, Math.ceil(spec.windowMs), nonce]);
  }

  async pause(kind: LimitKind, ms: number): Promise<void> {
    await this.run(SCRIPTS.pause, [this.pauseKey(kind)], [Math.max(1, Math.ceil(ms))]);
  }

  async close(): Promise<void> {}

  private logKey(kind: LimitKind): string {
    return `${this.keyPrefix}:ratelimit:{${this.limiterKey}}:${kind}`;
  }

  private pauseKey(kind: LimitKind): string {
    return `${this.keyPrefix}:ratelimit:{${this.limiterKey}}:${kind}:pause`;
  }

  /** EVALSHA, loading the script on NOSCRIPT (first use, or after a Redis restart / SCRIPT FLUSH). */
  private async run(s: Script, keys: string[], args: Array<string | number>): Promise<unknown> {
    try {
      return await this.redis.evalsha(s.sha, keys.length, ...keys, ...args);
    } catch (err) {
      if (err instanceof Error && err.message.startsWith('NOSCRIPT')) return this.redis.eval(s.source, keys.length, ...keys, ...args);
      throw err;
    }
  }
}
