import { HubSpotDailyLimitError, HubSpotRateLimitError, HubSpotTransientError } from './errors.ts';

/**
 * When and how long to wait before trying a HubSpot call again. The gateway owns this (the SDK's own retries
 * ignore Retry-After and are configured process-wide).
 */

export interface BackoffOptions {
  /** First delay for 5xx/timeouts; doubles per attempt. */
  baseMs: number;
  /** Longest single delay. */
  capMs: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 500, capMs: 30_000 };

/**
 * `idempotent`: the call may safely run twice (reads, updates to fixed values, archive). A create may not: after
 * a 5xx or a timeout HubSpot may have made the object, so it is retried only when HubSpot certainly did not
 * process it (429, or the connection was refused) and otherwise left to the caller's idempotency check.
 */
export function shouldRetry(err: unknown, attempt: number, maxRetries: number, idempotent: boolean): boolean {
  if (attempt >= maxRetries) return false;
  if (err instanceof HubSpotDailyLimitError) return false;
  if (err instanceof HubSpotRateLimitError) return true;
  if (err instanceof HubSpotTransientError) return idempotent || err.notSent;
  return false;
}

/**
 * Delay before retry number `attempt + 1`. Retry-After wins when HubSpot sent it. A 429 without it waits for
 * the window to move (1 s, 2 s, 4 s ... up to the window). Otherwise exponential backoff with equal jitter, so
 * that callers failing together do not retry together.
 */
export function retryDelayMs(err: unknown, attempt: number, windowMs: number, backoff: BackoffOptions, random = Math.random): number {
  const retryAfter = err instanceof HubSpotRateLimitError || err instanceof HubSpotTransientError ? err.retryAfterMs : undefined;
  if (retryAfter !== undefined) return retryAfter + Math.floor(random() * 100);
  if (err instanceof HubSpotRateLimitError) return Math.min(windowMs, 1000 * 2 ** attempt) + Math.floor(random() * 250);
  const ceiling = Math.min(backoff.capMs, backoff.baseMs * 2 ** attempt);
  return Math.floor(ceiling / 2 + random() * (ceiling / 2));
}
