import OpenAI from 'openai';
import { EmbeddingError } from './embedding-error.ts';

/**
 * Maps what the `openai` SDK throws into EmbeddingError. The SDK's own retries are off (maxRetries: 0) so that
 * ours apply one policy, honour Retry-After, and can hand long waits to the job queue.
 */
export function toEmbeddingError(err: unknown, model: string): EmbeddingError {
  if (err instanceof EmbeddingError) return err;
  if (err instanceof OpenAI.APIConnectionTimeoutError) {
    return new EmbeddingError('MODEL_UNAVAILABLE', `Embedding request to ${model} timed out`, { cause: err });
  }
  if (err instanceof OpenAI.APIUserAbortError) {
    return new EmbeddingError('MODEL_UNAVAILABLE', `Embedding request to ${model} was aborted`, { cause: err, retryable: false });
  }
  if (err instanceof OpenAI.APIConnectionError) {
    return new EmbeddingError('MODEL_UNAVAILABLE', `Cannot reach the embedding server: ${err.message}`, { cause: err });
  }
  if (err instanceof OpenAI.APIError) {
    const status = err.status;
    const detail = `${status ?? ''} ${err.message}`.trim();
    if (status === 429) {
      // An exhausted quota answers 429 too, but waiting does not refill it.
      const quota = err.code === 'insufficient_quota';
      return new EmbeddingError('MODEL_RATE_LIMIT', `Embedding rate limit (${model}): ${detail}`, {
        cause: err,
        status,
        retryable: !quota,
        ...retryAfter(err.headers),
      });
    }
    if (status === 401 || status === 403) {
      return new EmbeddingError('MODEL_AUTH', `Embedding server refused the credentials (${detail}): check OPENAI_API_KEY`, { cause: err, status });
    }
    if (status !== undefined && status >= 400 && status < 500 && status !== 408) {
      return new EmbeddingError('MODEL_BAD_REQUEST', `Embedding request rejected (${model}): ${detail}`, { cause: err, status });
    }
    return new EmbeddingError('MODEL_UNAVAILABLE', `Embedding server error (${model}): ${detail}`, { cause: err, status, ...retryAfter(err.headers) });
  }
  if (err instanceof SyntaxError) {
    // A truncated or garbled body (a proxy cutting the response) is usually transient.
    return new EmbeddingError('MODEL_BAD_RESPONSE', `Embedding server sent an unreadable response: ${err.message}`, { cause: err, retryable: true });
  }
  const message = err instanceof Error ? err.message : String(err);
  return new EmbeddingError('MODEL_BAD_RESPONSE', `Embedding call failed: ${message}`, { cause: err });
}

function retryAfter(headers: Headers | undefined): { retryAfterMs?: number } {
  const ms = Number(headers?.get('retry-after-ms'));
  if (headers?.get('retry-after-ms') && Number.isFinite(ms) && ms >= 0) return { retryAfterMs: ms };
  const raw = headers?.get('retry-after');
  if (!raw) return {};
  const seconds = Number(raw);
  if (Number.isFinite(seconds) && seconds >= 0) return { retryAfterMs: seconds * 1000 };
  const date = Date.parse(raw);
  return Number.isNaN(date) ? {} : { retryAfterMs: Math.max(0, date - Date.now()) };
}
