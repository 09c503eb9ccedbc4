import { createHash } from 'node:crypto';
import path from 'node:path';
import type { Redis } from 'ioredis';
import type { Config } from '../config/config.ts';
import { silentLogger, type Logger } from '../logging.ts';
import type { ContainerMetrics } from '../metrics.ts';
import type { Tracing } from '../tracing.ts';
import type { AccessTokenSource } from './access-token-source.ts';
import type { HubSpotGateway } from './gateway.ts';
import { MemoryWindowStore, type MemoryWindowStores } from './memory-window-store.ts';
import { RateLimiter } from './rate-limiter.ts';
import { RedisWindowStore } from './redis-window-store.ts';
import { RequestExecutor } from './request-executor.ts';
import { DEFAULT_BACKOFF, type BackoffOptions } from './retry-policy.ts';
import { createSdk } from './sdk-client.ts';
import { SdkHubSpotGateway } from './sdk-gateway.ts';
import { LIMITER_FILE, SqliteWindowStore } from './sqlite-window-store.ts';

export interface HubSpotGatewayOptions {
  /** https://api.hubapi.com or the sandbox URL. */
  baseUrl: string;
  accessToken: string;
  /**
   * OAuth mode: the installed portal this gateway serves and where its short-lived token comes from;
   * `accessToken` is then unused. Limits are per app and portal, so the limiter is keyed by the portal.
   */
  oauth?: { portalId: string; tokens: AccessTokenSource };
  /** Requests per 10 s allowed for this token (HUBSPOT_RATE_LIMIT); HubSpot's headers can lower it. */
  rateLimitPer10s: number;
  /** Search requests per second (HUBSPOT_SEARCH_RATE). */
  searchPerSecond: number;
  /** Per attempt; a timed-out attempt is a transient error (HUBSPOT_TIMEOUT_MS). */
  timeoutMs: number;
  /** Retries after the first attempt (HUBSPOT_MAX_RETRIES). */
  maxRetries: number;
  /** When given, the limiter is shared with every process using the same Redis; the caller keeps ownership. */
  redis?: Redis;
  /**
   * Without Redis: a SQLite file (DATA_DIR/hubspot-limiter.db) through which every process on this host using the
   * token shares one budget (serve, its worker process, a backfill). Without either, the budget is this process's.
   */
  limiterFile?: string;
  /** Neither Redis nor a limiter file: in-process window logs shared by the gateways given the same registry (else one of its own). */
  memoryWindows?: MemoryWindowStores;
  /** Redis key prefix for the limiter (tests use a unique one). Default `hubspot-ai`. */
  redisKeyPrefix?: string;
  logger?: Logger;
  /** Used for limiter waits and retry delays. */
  sleep?: (ms: number) => Promise<void>;
  backoff?: BackoffOptions;
  /**
   * HUBSPOT_APP_ID: engagements HubSpot records as created by this app are the product's own output, flagged in
   * every history read (core/product-output.ts).
   */
  appId?: string;
  /**
   * Concurrent reads of one kind share requests (coalescing.ts); default on. Off: every call is requests of its
   * own (the limiter's tests, which need many).
   */
  coalesce?: boolean;
  /** The container's metrics and tracing (HubSpot calls, 429s, a span per call). */
  metrics?: ContainerMetrics;
  tracing?: Tracing;
}

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Identifies "one portal token" for the limiter without ever holding the token itself in a key or a log line.
 * The base URL is part of it: the same token string against two portals (sandboxes) is two budgets.
 */
export function limiterKeyOf(baseUrl: string, accessToken: string): string {
  return createHash('sha256').update(`${baseUrl.replace(/\/+$/, '')}\n${accessToken}`).digest('hex').slice(0, 24);
}

export function createHubSpotGateway(opts: HubSpotGatewayOptions): HubSpotGateway {
  const baseUrl = opts.baseUrl.replace(/\/+$/, '');
  const limiterKey = limiterKeyOf(baseUrl, opts.oauth ? `oauth-portal:${opts.oauth.portalId}` : opts.accessToken);
  const logger = (opts.logger ?? silentLogger).child({ component: 'hubspot', limiter: limiterKey });
  const sleep = opts.sleep ?? realSleep;
  const store = opts.redis
    ? new RedisWindowStore(opts.redis, opts.redisKeyPrefix ?? 'hubspot-ai', limiterKey)
    : opts.limiterFile
      ? new SqliteWindowStore(opts.limiterFile, limiterKey)
      : (opts.memoryWindows?.for(limiterKey) ?? new MemoryWindowStore());
  const limiter = new RateLimiter(store, {
    burstPerWindow: opts.rateLimitPer10s,
    searchPerSecond: opts.searchPerSecond,
    requestTimeoutMs: opts.timeoutMs,
    sleep,
    logger,
  });
  const executor = new RequestExecutor(limiter, {
    timeoutMs: opts.timeoutMs,
    maxRetries: opts.maxRetries,
    backoff: opts.backoff ?? DEFAULT_BACKOFF,
    sleep,
    logger,
    ...(opts.oauth ? { auth: opts.oauth.tokens } : {}),
    metrics: opts.metrics,
    tracing: opts.tracing,
  });
  return new SdkHubSpotGateway(createSdk(baseUrl, opts.oauth ? undefined : opts.accessToken), executor, {
    ...(opts.appId === undefined ? {} : { appId: opts.appId }),
    ...(opts.coalesce === false ? { coalesce: false } : {}),
  });
}

/**
 * The gateway options from parsed config; the composition root adds the shared Redis client when REDIS_URL is set.
 * Without it the limiter lives in DATA_DIR, so all the processes of one installation share the portal's budget.
 */
export function hubSpotGatewayOptions(config: Config, deps: { redis?: Redis | undefined; logger?: Logger; metrics?: ContainerMetrics; tracing?: Tracing } = {}): HubSpotGatewayOptions {
  return {
    baseUrl: config.hubspot.baseUrl,
    accessToken: config.hubspot.accessToken,
    rateLimitPer10s: config.HUBSPOT_RATE_LIMIT,
    searchPerSecond: config.HUBSPOT_SEARCH_RATE,
    timeoutMs: config.HUBSPOT_TIMEOUT_MS,
    maxRetries: config.HUBSPOT_MAX_RETRIES,
    ...(config.HUBSPOT_APP_ID ? { appId: config.HUBSPOT_APP_ID } : {}),
    ...(deps.redis ? { redis: deps.redis } : { limiterFile: path.join(config.dataDir, LIMITER_FILE) }),
    ...(deps.logger ? { logger: deps.logger } : {}),
    ...(deps.metrics ? { metrics: deps.metrics } : {}),
    ...(deps.tracing ? { tracing: deps.tracing } : {}),
  };
}
