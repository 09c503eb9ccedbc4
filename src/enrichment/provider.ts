import { AppError } from '../errors.ts';

/**
 * The enrichment provider port: firmographics and buying signals of a company from a data vendor, by domain.
 * Adapters: the HTTP adapter (http-provider.ts) for a vendor API configured by URL and key, and the sandbox
 * provider (the same protocol served by the sandbox portal, which knows the ground truth). The enrichment agent
 * treats what a provider says as one source among two, never as the truth.
 */

export interface ProviderFacts {
  /** HubSpot's `industry` enumeration value (e.g. `COMPUTER_SOFTWARE`), when known. */
  industry: string | null;
  numberofemployees: number | null;
  techStack: string[];
  intentSignals: string[];
  /** The vendor's own match score (0–1) when it gives one: informative, not a calibrated probability. */
  matchScore: number | null;
}

export interface EnrichmentProvider {
  /** `sandbox`, or the host of the configured vendor API: recorded as the source of every value it gives. */
  readonly name: string;
  /** What the provider knows of the company with this domain; null when it knows none. */
  lookup(company: { domain: string; name?: string | null }, signal?: AbortSignal): Promise<ProviderFacts | null>;
  close(): Promise<void>;
}

export type EnrichmentErrorCode = 'ENRICHMENT_AUTH' | 'ENRICHMENT_BAD_REQUEST' | 'ENRICHMENT_RATE_LIMIT' | 'ENRICHMENT_UNAVAILABLE' | 'ENRICHMENT_TIMEOUT' | 'ENRICHMENT_BAD_RESPONSE';

const RETRYABLE: ReadonlySet<EnrichmentErrorCode> = new Set(['ENRICHMENT_RATE_LIMIT', 'ENRICHMENT_UNAVAILABLE', 'ENRICHMENT_TIMEOUT']);

export class EnrichmentProviderError extends AppError {
  declare readonly code: EnrichmentErrorCode;
  readonly status: number | null;
  readonly retryAfterMs?: number;

  constructor(code: EnrichmentErrorCode, message: string, opts: { status?: number | null; retryAfterMs?: number; cause?: unknown } = {}) {
    super(code, message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.status = opts.status ?? null;
    if (opts.retryAfterMs !== undefined) this.retryAfterMs = opts.retryAfterMs;
  }

  /** Rate limits, 5xx and timeouts may pass: the job is retried. A bad key or a refused request will not. */
  get retryable(): boolean {
    return RETRYABLE.has(this.code);
  }
}
