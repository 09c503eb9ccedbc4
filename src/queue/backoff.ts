/**
 * Retry delay after a failed attempt: exponential with "equal jitter" (half fixed, half random), so that a burst
 * of jobs failing together on a HubSpot 429 does not come back as one synchronized burst, while each job still
 * waits at least half the nominal delay.
 */
export const DEFAULT_BACKOFF_BASE_MS = 1_000;
export const MAX_BACKOFF_MS = 15 * 60_000;

export function backoffDelayMs(
  failedAttempt: number,
  baseMs: number = DEFAULT_BACKOFF_BASE_MS,
  random: () => number = Math.random,
): number {
  const nominal = Math.min(MAX_BACKOFF_MS, baseMs * 2 ** Math.max(0, failedAttempt - 1));
  return Math.round(nominal / 2 + random() * (nominal / 2));
}

/** A handler may ask for a specific wait (e.g. HubSpot's Retry-After) by throwing an error carrying `retryAfterMs`. */
export function requestedRetryDelayMs(err: unknown): number | undefined {
  if (err && typeof err === 'object' && 'retryAfterMs' in err) {
    const v = (err).retryAfterMs;
    if (typeof v === 'number' && Number.isFinite(v) && v >= 0) return Math.min(v, MAX_BACKOFF_MS);
  }
  return undefined;
}
