import { randomUUID } from 'node:crypto';
import type { Logger } from '../logging.ts';
import type { RateLimitHeaders } from './rate-limit-headers.ts';
import type { LimitKind, WindowSpec, WindowStore } from './window-store.ts';

/** HubSpot's burst window when it does not say otherwise. */
export const DEFAULT_BURST_WINDOW_MS = 10_000;
const SEARCH_WINDOW_MS = 1_000;
/**
 * Added to every window: HubSpot's clock and Redis' tick at different rates only in theory, but the two sides
 * may round window edges differently; 100 ms costs ~1% of throughput and removes that doubt.
 */
const WINDOW_MARGIN_MS = 100;

export interface Permit {
  /** Call once the request is over (answered, failed or timed out). Idempotent. */
  release(): Promise<void>;
}

export interface RateLimiterOptions {
  /** Requests per burst window allowed by config (HUBSPOT_RATE_LIMIT); HubSpot's `-Max` header can only lower it. */
  burstPerWindow: number;
  /** Search requests per second (HUBSPOT_SEARCH_RATE). */
  searchPerSecond: number;
  /** Upper bound of a request's duration (the gateway's timeout): how long an unanswered request is counted. */
  requestTimeoutMs: number;
  sleep: (ms: number) => Promise<void>;
  logger: Logger;
}

/**
 * Admits requests for one portal token so that the portal's burst limit and the search limit are never
 * exceeded, by this process or (with a Redis store) by all processes together. Learns the real limits from
 * HubSpot's `X-HubSpot-RateLimit-*` headers.
 */
export class RateLimiter {
  private burst: WindowSpec;
  private readonly search: WindowSpec;

  constructor(
    private readonly store: WindowStore,
    private readonly opts: RateLimiterOptions,
  ) {
    this.burst = { budget: opts.burstPerWindow, windowMs: DEFAULT_BURST_WINDOW_MS + WINDOW_MARGIN_MS };
    this.search = { budget: opts.searchPerSecond, windowMs: SEARCH_WINDOW_MS + WINDOW_MARGIN_MS };
  }

  /** Current budgets, for logs and tests. */
  limits(): { burst: WindowSpec; search: WindowSpec } {
    return { burst: { ...this.burst }, search: { ...this.search } };
  }

  /**
   * Waits until a request of `kind` may start. A search request also takes a burst slot: HubSpot does not
   * document that searches are exempt from the burst limit, so we assume they are not.
   */
  async acquire(kind: LimitKind): Promise<Permit> {
    const held: Array<{ kind: LimitKind; member: string; windowMs: number }> = [];
    const kinds: LimitKind[] = kind === 'search' ? ['search', 'burst'] : ['burst'];
    for (const k of kinds) {
      const spec = k === 'search' ? this.search : this.burst;
      const member = randomUUID();
      await this.waitFor(k, member);
      held.push({ kind: k, member, windowMs: spec.windowMs });
    }
    let released = false;
    return {
      release: async () => {
        if (released) return;
        released = true;
        await Promise.all(held.map((h) => this.store.release(h.kind, h.member, h.windowMs)));
      },
    };
  }

  /** Adapts to what HubSpot reports on each answer (search answers carry no such headers). */
  async observe(headers: RateLimitHeaders): Promise<void> {
    if (headers.intervalMs && headers.intervalMs + WINDOW_MARGIN_MS !== this.burst.windowMs) {
      this.burst = { ...this.burst, windowMs: headers.intervalMs + WINDOW_MARGIN_MS };
    }
    if (headers.max && headers.max < this.burst.budget) {
      this.opts.logger.info(
        { configured: this.opts.burstPerWindow, portalMax: headers.max },
        'HubSpot reports a lower burst limit for this portal than configured; using it',
      );
      this.burst = { ...this.burst, budget: headers.max };
    }
    if (headers.remaining !== undefined) await this.store.reconcile('burst', headers.remaining, this.burst);
  }

  /** Closes the store's own resources (a shared store or a caller's Redis client stays open). */
  close(): Promise<void> {
    return this.store.close();
  }

  /** After a 429: every caller of this token holds off `kind` requests for `ms`. */
  async pause(kind: LimitKind, ms: number): Promise<void> {
    await this.store.pause(kind, ms);
  }

  private async waitFor(kind: LimitKind, member: string): Promise<void> {
    for (;;) {
      const spec = kind === 'search' ? this.search : this.burst;
      const wait = await this.store.tryAcquire(kind, member, spec, this.opts.requestTimeoutMs + spec.windowMs);
      if (wait <= 0) return;
      // A little jitter so that waiters woken by the same expiry do not all hit the store in the same tick.
      await this.opts.sleep(wait + Math.floor(Math.random() * Math.min(25, wait)));
    }
  }
}
