import { AppError } from '../errors.ts';
import type { Logger } from '../logging.ts';
import { ContainerMetrics } from '../metrics.ts';
import { NO_TRACING, type Tracing } from '../tracing.ts';
import { errorFromResponse, HubSpotError, HubSpotRateLimitError, HubSpotTransientError, networkErrorOf } from './errors.ts';
import type { AccessTokenSource } from './access-token-source.ts';
import type { GatewayStats } from './gateway.ts';
import { readRateLimitHeaders } from './rate-limit-headers.ts';
import type { RateLimiter } from './rate-limiter.ts';
import { runInExchange, type Exchange } from './request-context.ts';
import { retryDelayMs, shouldRetry, type BackoffOptions } from './retry-policy.ts';
import type { LimitKind } from './window-store.ts';

export interface CallSpec<T> {
  /** Stable name for logs and the `operation` metric label, e.g. `objects.batchRead`. */
  operation: string;
  /** `search` for the CRM search endpoints (their own 5/s limit). Default `burst`. */
  kind?: LimitKind;
  /** Whether running the call twice is harmless. Default true. See retry-policy.ts. */
  idempotent?: boolean;
  /** Sends the request once. Runs inside an Exchange scope (see request-context.ts). */
  send: () => Promise<T>;
}

export interface ExecutorOptions {
  timeoutMs: number;
  maxRetries: number;
  backoff: BackoffOptions;
  sleep: (ms: number) => Promise<void>;
  logger: Logger;
  /** OAuth: the token for each attempt, renewed once after a 401. Unset: the SDK's fixed private-app token. */
  auth?: AccessTokenSource;
  /** The container's metrics (HubSpot calls, 429s); default a fresh set of this executor's own. */
  metrics?: ContainerMetrics | undefined;
  tracing?: Tracing | undefined;
}

class AttemptTimedOut extends Error {}

/**
 * Runs every HubSpot call of a gateway: takes a slot from the rate limiter, bounds the attempt with a timeout,
 * maps failures to typed errors, retries what can be retried, and keeps the counters.
 */
export class RequestExecutor {
  private readonly counters: Omit<GatewayStats, 'historyReads'> = { requests: 0, http429: 0, retries: 0, errors: 0 };
  private closed = false;
  private readonly metrics: ContainerMetrics;
  private readonly tracing: Tracing;

  constructor(
    private readonly limiter: RateLimiter,
    private readonly opts: ExecutorOptions,
  ) {
    this.metrics = opts.metrics ?? new ContainerMetrics();
    this.tracing = opts.tracing ?? NO_TRACING;
  }

  stats(): Omit<GatewayStats, 'historyReads'> {
    return { ...this.counters };
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.limiter.close();
  }

  call<T>(spec: CallSpec<T>): Promise<T> {
    return this.tracing.withSpan(`hubspot ${spec.operation}`, { 'hubspot.operation': spec.operation }, () => this.run(spec));
  }

  private async run<T>(spec: CallSpec<T>): Promise<T> {
    const kind = spec.kind ?? 'burst';
    const auth = this.opts.auth;
    // A token another process refreshed may be rejected too: the second renewal always refreshes (portal-tokens.ts).
    let renewals = 0;
    for (let attempt = 0; ; attempt++) {
      if (this.closed) throw new AppError('HUBSPOT_GATEWAY_CLOSED', `The HubSpot gateway is closed (${spec.operation})`);
      let token: string | undefined;
      let result: { ok: true; value: T } | { ok: false; error: unknown };
      try {
        token = auth ? await auth.token() : undefined;
        result = await this.attempt(spec, kind, token);
      } catch (err) {
        // The OAuth token endpoint failing is HubSpot being unavailable: retried like any transient failure.
        if (!(err instanceof HubSpotTransientError)) throw err;
        result = { ok: false, error: err };
      }
      if (result.ok) return result.value;
      const err = result.error;

      // An OAuth token HubSpot no longer takes (expired early, revoked): renew it once and go again at once.
      if (auth && token !== undefined && renewals < 2 && err instanceof HubSpotError && err.status === 401) {
        renewals++;
        this.opts.logger.info({ operation: spec.operation, renewal: renewals }, 'HubSpot answered 401; renewing the access token');
        await auth.renewAfterUnauthorized(token);
        attempt--;
        continue;
      }

      if (err instanceof HubSpotRateLimitError) {
        this.counters.http429++;
        this.metrics.hubspot429.inc({ policy: err.policy });
      }
      if (!shouldRetry(err, attempt, this.opts.maxRetries, spec.idempotent ?? true)) {
        this.counters.errors++;
        throw err;
      }
      const delay = retryDelayMs(err, attempt, this.limiter.limits().burst.windowMs, this.opts.backoff);
      // Everyone using this token holds off, not only this caller: the window is shared.
      if (err instanceof HubSpotRateLimitError) await this.limiter.pause(kind, delay);
      this.counters.retries++;
      this.opts.logger.warn(
        { operation: spec.operation, attempt: attempt + 1, delayMs: delay, status: err instanceof HubSpotError ? err.status : undefined, err: (err as Error).message },
        'HubSpot call failed; retrying',
      );
      await this.opts.sleep(delay);
    }
  }

  private async attempt<T>(spec: CallSpec<T>, kind: LimitKind, token: string | undefined): Promise<{ ok: true; value: T } | { ok: false; error: unknown }> {
    const permit = await this.limiter.acquire(kind);
    const controller = new AbortController();
    const exchange: Exchange = { signal: controller.signal, ...(token !== undefined ? { accessToken: token } : {}) };
    const timer = setTimeout(() => controller.abort(), this.opts.timeoutMs);
    let onAbort: (() => void) | undefined;
    // The hook in request-context.ts destroys the socket; this makes sure the caller is released even if the
    // SDK were to swallow that error and never settle.
    const timedOut = new Promise<never>((_, reject) => {
      onAbort = () => reject(new AttemptTimedOut());
      controller.signal.addEventListener('abort', onAbort, { once: true });
    });
    this.counters.requests++;
    try {
      const value = await Promise.race([runInExchange(exchange, spec.send), timedOut]);
      this.record(spec.operation, exchange, 'ok');
      return { ok: true, value };
    } catch (raw) {
      const error = this.classify(raw, exchange, controller.signal.aborted, spec.operation);
      this.record(spec.operation, exchange, controller.signal.aborted ? 'timeout' : 'network');
      return { ok: false, error };
    } finally {
      clearTimeout(timer);
      if (onAbort) controller.signal.removeEventListener('abort', onAbort);
      await permit.release();
      await this.observe(exchange);
    }
  }

  private classify(raw: unknown, exchange: Exchange, timedOut: boolean, operation: string): unknown {
    if (timedOut) {
      return new HubSpotTransientError(`HubSpot did not answer ${operation} within ${this.opts.timeoutMs} ms`, { operation, cause: raw });
    }
    if (raw instanceof HubSpotError) return raw;
    const sdk = raw as { code?: unknown; body?: unknown; headers?: unknown } | null;
    const status = exchange.status ?? (typeof sdk?.code === 'number' ? sdk.code : undefined);
    if (status !== undefined && status >= 400) {
      return errorFromResponse(
        {
          status,
          headers: exchange.headers ?? (sdk?.headers as Record<string, string> | undefined) ?? {},
          body: exchange.errorBody !== undefined ? parseBody(exchange.errorBody) : sdk?.body,
        },
        operation,
      );
    }
    // Anything else (a bug, an unexpected payload) is not ours to retry: surface it as it is.
    return networkErrorOf(raw, operation) ?? raw;
  }

  private record(operation: string, exchange: Exchange, fallback: 'ok' | 'timeout' | 'network'): void {
    const status = exchange.status !== undefined ? `${Math.floor(exchange.status / 100)}xx` : fallback === 'ok' ? '2xx' : fallback;
    this.metrics.hubspotRequests.inc({ operation, status });
  }

  private async observe(exchange: Exchange): Promise<void> {
    const limits = exchange.headers ? readRateLimitHeaders(exchange.headers) : undefined;
    if (!limits) return;
    try {
      await this.limiter.observe(limits);
    } catch (err) {
      // The answer is already in hand; losing one adaptation step must not fail the call.
      this.opts.logger.warn({ err: (err as Error).message }, 'could not record HubSpot rate-limit headers');
    }
  }
}

function parseBody(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}
