import { AppError } from '../errors.ts';
import { parseRetryAfter, readHeader } from './rate-limit-headers.ts';

/**
 * Typed HubSpot failures. Callers branch on the class (or `code`), never on messages:
 * - auth: stop, the token or a scope must be fixed by a human;
 * - not found: the record is gone, handle it as a deletion;
 * - rate limited: retried by the gateway; a DAILY limit stops the run (resume tomorrow from the checkpoint);
 * - transient: 5xx, timeouts, dropped connections; retried by the gateway, then retryable by the job queue;
 * - invalid request: a bug or bad input on our side; retrying cannot help.
 */
export class HubSpotError extends AppError {
  /** HTTP status, when HubSpot answered. */
  readonly status: number | undefined;
  /** Whether trying the same request again later can succeed. */
  readonly retryable: boolean;
  readonly operation: string | undefined;
  /** HubSpot's correlation id: quote it to HubSpot support. */
  readonly correlationId: string | undefined;

  constructor(
    code: string,
    message: string,
    opts: { status?: number; retryable: boolean; operation?: string; correlationId?: string; cause?: unknown; details?: unknown },
  ) {
    super(code, message, { cause: opts.cause, details: opts.details });
    this.status = opts.status;
    this.retryable = opts.retryable;
    this.operation = opts.operation;
    this.correlationId = opts.correlationId;
  }
}

export class HubSpotAuthError extends HubSpotError {
  /** Scopes HubSpot said are missing (403), empty when it did not name them or the token itself is bad. */
  readonly missingScopes: string[];
  constructor(message: string, opts: { status: number; missingScopes?: string[]; operation?: string; correlationId?: string; cause?: unknown }) {
    super('HUBSPOT_AUTH', message, { ...opts, retryable: false });
    this.missingScopes = opts.missingScopes ?? [];
  }
}

export class HubSpotNotFoundError extends HubSpotError {
  constructor(message: string, opts: { operation?: string; correlationId?: string; cause?: unknown } = {}) {
    super('HUBSPOT_NOT_FOUND', message, { ...opts, status: 404, retryable: false });
  }
}

export class HubSpotRateLimitError extends HubSpotError {
  /** From `Retry-After`, when HubSpot sent one. */
  readonly retryAfterMs: number | undefined;
  /** HubSpot's `policyName`: TEN_SECONDLY_ROLLING, SECONDLY (search), DAILY, ... */
  readonly policy: string;
  constructor(
    message: string,
    opts: { policy: string; retryAfterMs?: number; operation?: string; correlationId?: string; cause?: unknown },
    code = 'HUBSPOT_RATE_LIMITED',
    retryable = true,
  ) {
    super(code, message, { ...opts, status: 429, retryable });
    this.policy = opts.policy;
    this.retryAfterMs = opts.retryAfterMs;
  }
}

/** The portal's daily request budget is spent: nothing succeeds before it resets, so the gateway never retries it. */
export class HubSpotDailyLimitError extends HubSpotRateLimitError {
  constructor(message: string, opts: { retryAfterMs?: number; operation?: string; correlationId?: string; cause?: unknown }) {
    super(message, { ...opts, policy: 'DAILY' }, 'HUBSPOT_DAILY_LIMIT', false);
  }
}

export class HubSpotTransientError extends HubSpotError {
  readonly retryAfterMs: number | undefined;
  /**
   * True when the request certainly never reached HubSpot (connection refused): even a non-idempotent call
   * such as a create can then be retried without risking a duplicate.
   */
  readonly notSent: boolean;
  constructor(
    message: string,
    opts: { status?: number; retryAfterMs?: number; notSent?: boolean; operation?: string; correlationId?: string; cause?: unknown } = {},
  ) {
    super('HUBSPOT_TRANSIENT', message, { ...opts, retryable: true });
    this.retryAfterMs = opts.retryAfterMs;
    this.notSent = opts.notSent ?? false;
  }
}

export class HubSpotInvalidRequestError extends HubSpotError {
  /** HubSpot's own explanation (`message`), e.g. which property is unknown. */
  readonly hubspotMessage: string | undefined;
  /** HubSpot's `category`, e.g. VALIDATION_ERROR, OBJECT_ALREADY_EXISTS. */
  readonly category: string | undefined;
  constructor(message: string, opts: { status: number; hubspotMessage?: string; category?: string; operation?: string; correlationId?: string; cause?: unknown; details?: unknown }) {
    super('HUBSPOT_INVALID_REQUEST', message, { ...opts, retryable: false });
    this.hubspotMessage = opts.hubspotMessage;
    this.category = opts.category;
  }
}

/** An HTTP answer that was not a success, as seen on the wire. */
export interface FailedResponse {
  status: number;
  headers: Record<string, string>;
  /** Parsed JSON body when it was JSON, else the raw text (or undefined when empty). */
  body: unknown;
}

interface HubSpotErrorBody {
  message?: string;
  category?: string;
  subCategory?: string;
  correlationId?: string;
  policyName?: string;
  errorType?: string;
  errors?: Array<{ message?: string; context?: Record<string, unknown> }>;
}

function asErrorBody(body: unknown): HubSpotErrorBody {
  return body && typeof body === 'object' ? body : {};
}

/** Scopes named by a 403: in `errors[].context.requiredScopes` / `requiredGranularScopes`, or in the message. */
function missingScopesOf(body: HubSpotErrorBody): string[] {
  const scopes = new Set<string>();
  for (const e of body.errors ?? []) {
    for (const key of ['requiredScopes', 'requiredGranularScopes', 'requiredScopeSets', 'scopes']) {
      const v = e.context?.[key];
      const list = Array.isArray(v) ? v.flat() : [];
      for (const s of list) if (typeof s === 'string' && s) scopes.add(s);
    }
  }
  if (scopes.size === 0 && body.message) {
    // Older answers only say it in prose: "... requires one of the following scopes: [crm.objects.contacts.read]".
    const m = /scopes?[^[]*\[([^\]]+)\]/i.exec(body.message);
    for (const s of m?.[1]?.split(',') ?? []) if (s.trim()) scopes.add(s.trim());
  }
  return [...scopes];
}

/** Which rate-limit policy a 429 is about. The SDK's error model drops `policyName`, so we also read the prose. */
export function rateLimitPolicyOf(body: HubSpotErrorBody, headers: Record<string, string>): string {
  if (body.policyName) return body.policyName.toUpperCase();
  const message = body.message ?? '';
  if (/daily/i.test(message) || readHeader(headers, 'x-hubspot-ratelimit-daily-remaining') === '0') return 'DAILY';
  if (/ten_secondly|ten secondly/i.test(message)) return 'TEN_SECONDLY_ROLLING';
  if (/secondly/i.test(message)) return 'SECONDLY';
  return 'UNKNOWN';
}

/** Maps a non-2xx answer to our error types. */
export function errorFromResponse(res: FailedResponse, operation: string, now = Date.now()): HubSpotError {
  const body = asErrorBody(res.body);
  const hubspotMessage = body.message ?? (typeof res.body === 'string' && res.body ? res.body.slice(0, 300) : undefined);
  const correlationId = body.correlationId;
  const retryAfterMs = parseRetryAfter(readHeader(res.headers, 'retry-after'), now);
  const said = hubspotMessage ? `: ${hubspotMessage}` : '';
  const common = { operation, correlationId };

  if (res.status === 401) {
    return new HubSpotAuthError(
      `HubSpot rejected the access token during ${operation} (401${body.category ? ` ${body.category}` : ''}): it is invalid, expired or revoked. ` +
        `With a private app (the default) set HUBSPOT_ACCESS_TOKEN to a valid token; with the public app (HUBSPOT_AUTH=oauth) install the app on the portal again${said}`,
      { ...common, status: 401 },
    );
  }
  if (res.status === 403) {
    const missingScopes = missingScopesOf(body);
    const what = missingScopes.length
      ? `the app is missing the scope(s) ${missingScopes.join(', ')}; add them to the private app and update HUBSPOT_ACCESS_TOKEN`
      : 'the token is not allowed to do this (a missing scope or a portal restriction)';
    return new HubSpotAuthError(`HubSpot refused ${operation} (403): ${what}${said}`, { ...common, status: 403, missingScopes });
  }
  if (res.status === 404) return new HubSpotNotFoundError(`Not found in HubSpot (${operation})${said}`, common);
  if (res.status === 429) {
    const policy = rateLimitPolicyOf(body, res.headers);
    if (policy === 'DAILY') {
      return new HubSpotDailyLimitError(
        `HubSpot's daily API limit for this portal is used up (${operation}); the run stops here and resumes from its checkpoint once the limit resets (midnight in the portal's time zone)${said}`,
        { ...common, retryAfterMs },
      );
    }
    return new HubSpotRateLimitError(`HubSpot rate limit ${policy} hit (${operation})${said}`, { ...common, policy, retryAfterMs });
  }
  if (res.status >= 500 || res.status === 408) {
    return new HubSpotTransientError(`HubSpot answered ${res.status} to ${operation}${said}`, { ...common, status: res.status, retryAfterMs });
  }
  return new HubSpotInvalidRequestError(`HubSpot rejected ${operation} (${res.status}${body.category ? ` ${body.category}` : ''})${said}`, {
    ...common,
    status: res.status,
    hubspotMessage,
    category: body.category,
    details: body.errors,
  });
}

/** Socket-level failures worth retrying; ECONNREFUSED means nothing was sent. */
const NETWORK_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH', 'ECONNABORTED', 'ERR_STREAM_PREMATURE_CLOSE']);

/** A failure below HTTP (node-fetch's FetchError or a raw socket error), if `err` is one. */
export function networkErrorOf(err: unknown, operation: string): HubSpotTransientError | undefined {
  if (!(err instanceof Error)) return undefined;
  const e = err as Error & { code?: unknown; errno?: unknown; type?: unknown };
  const code = typeof e.code === 'string' ? e.code : typeof e.errno === 'string' ? e.errno : undefined;
  const isFetchSystemError = e.name === 'FetchError' && (e.type === 'system' || e.type === 'request-timeout' || e.type === 'body-timeout');
  if (!isFetchSystemError && !(code && NETWORK_CODES.has(code))) return undefined;
  return new HubSpotTransientError(`Network error talking to HubSpot (${operation}): ${e.message}`, {
    operation,
    notSent: code === 'ECONNREFUSED',
    cause: err,
  });
}
