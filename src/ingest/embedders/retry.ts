import type { Logger } from '../../logging.ts';
import { EmbeddingError } from './embedding-error.ts';

export interface RetryPolicy {
  /** Retries after the first attempt. */
  maxRetries: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** A Retry-After longer than this is not waited out in-process: the error goes to the job queue instead. */
  maxRetryAfterMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { maxRetries: 5, baseDelayMs: 500, maxDelayMs: 20_000, maxRetryAfterMs: 60_000 };

/**
 * Runs `attempt` until it succeeds, throws a non-retryable EmbeddingError, or retries run out. Waits honour the
 * provider's Retry-After; otherwise exponential backoff with jitter in [delay/2, delay] so that workers hitting
 * the same limit do not retry in lockstep.
 */
export async function withRetries<T>(
  attempt: (n: number) => Promise<T>,
  policy: RetryPolicy,
  opts: { logger?: Logger; what?: string; random?: () => number } = {},
): Promise<T> {
  const random = opts.random ?? Math.random;
  for (let n = 0; ; n += 1) {
    try {
      return await attempt(n);
    } catch (err) {
      if (!(err instanceof EmbeddingError) || !err.retryable || n >= policy.maxRetries) throw err;
      if (err.retryAfterMs !== undefined && err.retryAfterMs > policy.maxRetryAfterMs) throw err;
      const backoff = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** n);
      const delay = err.retryAfterMs ?? backoff / 2 + (random() * backoff) / 2;
      opts.logger?.warn({ code: err.code, status: err.status, attempt: n + 1, delayMs: Math.round(delay) }, `${opts.what ?? 'request'} failed, retrying`);
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}
