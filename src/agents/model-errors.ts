import { AgentError } from './errors.ts';

/**
 * Maps whatever a LangChain chat model throws onto our codes. Provider packages bring their own SDKs (and
 * `@langchain/openai` its own copy of `openai`), so nothing here uses `instanceof` on a foreign class: the mapping
 * reads the shape every provider SDK shares (an HTTP `status`, `headers`, LangChain's `lc_error_code`, the error's
 * name and class name).
 */

interface ForeignError {
  name?: unknown;
  message?: unknown;
  status?: unknown;
  statusCode?: unknown;
  code?: unknown;
  lc_error_code?: unknown;
  headers?: unknown;
  response?: { status?: unknown; headers?: unknown };
  cause?: unknown;
}

/** Class names of the SDK errors for "could not reach the server" (openai, anthropic and friends share them). */
const CONNECTION = /APIConnectionError|FetchError|ECONNREFUSED|ECONNRESET|ENOTFOUND|EAI_AGAIN|socket hang up|fetch failed|other side closed/i;

export function mapModelError(err: unknown): AgentError {
  if (err instanceof AgentError) return err;
  const e = (err ?? {}) as ForeignError;
  const message = err instanceof Error ? err.message : String(err);
  const className = err && typeof err === 'object' ? err.constructor?.name ?? '' : '';
  const name = typeof e.name === 'string' ? e.name : '';

  if (name === 'TimeoutError' || /ConnectionTimeout/.test(className) || (/timed? ?out/i.test(message) && statusOf(e) === undefined)) {
    return new AgentError('MODEL_TIMEOUT', `model call timed out: ${message}`, { cause: err });
  }
  if (name === 'AbortError' || /UserAbort/.test(className)) {
    return new AgentError('MODEL_TIMEOUT', 'model call aborted', { cause: err });
  }
  const status = statusOf(e);
  if (status === 429 || e.lc_error_code === 'MODEL_RATE_LIMIT') {
    const retryAfterSeconds = retryAfter(e.headers ?? e.response?.headers);
    return new AgentError('MODEL_RATE_LIMIT', `model rate limited: ${message}`, { cause: err, ...(retryAfterSeconds === undefined ? {} : { retryAfterSeconds }) });
  }
  if (status === 401 || status === 403 || e.lc_error_code === 'MODEL_AUTHENTICATION') {
    return new AgentError('MODEL_AUTH', `model server rejected the credentials: ${message}`, { cause: err });
  }
  if (status !== undefined && (status === 408 || status >= 500)) {
    return new AgentError('MODEL_UNAVAILABLE', `model server error ${status}: ${message}`, { cause: err });
  }
  if (status !== undefined && status >= 400) {
    // Bad request, unknown model or deployment: the same request will be answered the same way. UNAVAILABLE is the
    // closest code; `permanent` tells callers not to retry.
    return new AgentError('MODEL_UNAVAILABLE', `model request rejected (${status}): ${message}`, { cause: err, details: { status, permanent: true } });
  }
  if (err instanceof SyntaxError) {
    // An HTTP body that is not JSON (a proxy's error page, a cut connection): the server, not the model's answer.
    return new AgentError('MODEL_UNAVAILABLE', `model server answered with an unreadable body: ${message}`, { cause: err });
  }
  if (CONNECTION.test(className) || CONNECTION.test(message) || CONNECTION.test(causeCode(e.cause))) {
    return new AgentError('MODEL_UNAVAILABLE', `cannot reach the model server: ${message}`, { cause: err });
  }
  return new AgentError('MODEL_UNAVAILABLE', `model call failed: ${message}`, { cause: err });
}

function causeCode(cause: unknown): string {
  const code = (cause as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' ? code : '';
}

function statusOf(e: ForeignError): number | undefined {
  for (const v of [e.status, e.statusCode, e.response?.status]) {
    if (typeof v === 'number' && Number.isInteger(v)) return v;
  }
  return undefined;
}

/** `retry-after-ms`, then `retry-after` in seconds or as an HTTP date; Headers or a plain object. */
export function retryAfter(headers: unknown): number | undefined {
  const get = (key: string): string | undefined => {
    if (!headers || typeof headers !== 'object') return undefined;
    const h = headers as { get?: (k: string) => string | null } & Record<string, unknown>;
    if (typeof h.get === 'function') return h.get(key) ?? undefined;
    const v = h[key] ?? h[key.toLowerCase()];
    return typeof v === 'string' ? v : undefined;
  };
  const ms = get('retry-after-ms');
  if (ms && Number.isFinite(Number(ms))) return Number(ms) / 1000;
  const h = get('retry-after');
  if (!h) return undefined;
  const secs = Number(h);
  if (Number.isFinite(secs)) return Math.max(0, secs);
  const date = Date.parse(h);
  return Number.isFinite(date) ? Math.max(0, (date - Date.now()) / 1000) : undefined;
}
