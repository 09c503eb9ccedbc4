/**
 * Where a rate limiter keeps its request log: in process memory, or in Redis so that every process using the
 * same portal token shares one budget. Both implement the same algorithm:
 *
 * A sliding-window log whose entries are *expiry times*. A request is admitted while fewer than `budget`
 * entries are live. Its entry first lives for `holdMs` (timeout + window: while a request is in flight we cannot
 * know when HubSpot counted it), and once it completes it is moved to `completion + windowMs`. HubSpot counted
 * the request at some instant before completion, so this never admits a request that HubSpot's rolling window
 * would still see as one too many, whatever the latency.
 */

export type LimitKind = 'burst' | 'search';

export interface WindowSpec {
  budget: number;
  windowMs: number;
}

export interface WindowStore {
  /**
   * Admits one request under `member` if the window has room: returns 0. Otherwise returns how long to wait (ms)
   * before the window can have room, and records nothing.
   */
  tryAcquire(kind: LimitKind, member: string, spec: WindowSpec, holdMs: number): Promise<number>;
  /** The request under `member` completed now: it counts for `windowMs` more. */
  release(kind: LimitKind, member: string, windowMs: number): Promise<void>;
  /**
   * HubSpot said only `serverRemaining` requests are left in its window: when that is fewer than we think, others
   * use the same app on this portal; add placeholder entries for the difference, alive for a window.
   */
  reconcile(kind: LimitKind, serverRemaining: number, spec: WindowSpec): Promise<void>;
  /** Nobody may start a request of this kind for `ms` (after a 429, honouring Retry-After). */
  pause(kind: LimitKind, ms: number): Promise<void>;
  close(): Promise<void>;
}
