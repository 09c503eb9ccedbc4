import OpenAI from 'openai';
import { AgentError } from './errors.ts';

/** Maps the SDK's error classes (and anything else thrown during a call) onto our codes. */
export function mapOpenAIError(err: unknown): AgentError {
  if (err instanceof AgentError) return err;
  const message = err instanceof Error ? err.message : String(err);
  if (err instanceof OpenAI.APIConnectionTimeoutError) {
    return new AgentError('MODEL_TIMEOUT', `model call timed out: ${message}`, { cause: err });
  }
  if (err instanceof OpenAI.APIUserAbortError) {
    return new AgentError('MODEL_TIMEOUT', 'model call aborted', { cause: err });
  }
  if (err instanceof OpenAI.APIConnectionError) {
    return new AgentError('MODEL_UNAVAILABLE', `cannot reach the model server: ${message}`, { cause: err });
  }
  if (err instanceof OpenAI.APIError) {
    const status = err.status ?? 0;
    if (status === 429) {
      const retryAfterSeconds = retryAfter(err.headers);
      return new AgentError('MODEL_RATE_LIMIT', `model rate limited: ${message}`, {
        cause: err,
        ...(retryAfterSeconds === undefined ? {} : { retryAfterSeconds }),
      });
    }
    if (status === 401 || status === 403) return new AgentError('MODEL_AUTH', `model server rejected the credentials: ${message}`, { cause: err });
    if (status === 408 || status >= 500) return new AgentError('MODEL_UNAVAILABLE', `model server error ${status}: ${message}`, { cause: err });
    // Other 4xx (bad request, unknown model) will not get better on retry; UNAVAILABLE is the closest code
    // but it is marked not retryable through details so callers can tell.
    return new AgentError('MODEL_UNAVAILABLE', `model request rejected (${status}): ${message}`, { cause: err, details: { status, permanent: true } });
  }
  return new AgentError('MODEL_UNAVAILABLE', `model call failed: ${message}`, { cause: err });
}

function retryAfter(headers: Headers | undefined): number | undefined {
  const ms = headers?.get('retry-after-ms');
  if (ms && Number.isFinite(Number(ms))) return Number(ms) / 1000;
  const h = headers?.get('retry-after');
  if (!h) return undefined;
  const secs = Number(h);
  if (Number.isFinite(secs)) return Math.max(0, secs);
  const date = Date.parse(h);
  return Number.isFinite(date) ? Math.max(0, (date - Date.now()) / 1000) : undefined;
}
