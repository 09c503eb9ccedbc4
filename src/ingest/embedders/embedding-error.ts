import { AppError } from '../../errors.ts';

export type EmbeddingErrorCode =
  | 'MODEL_RATE_LIMIT'
  | 'MODEL_UNAVAILABLE'
  | 'MODEL_AUTH'
  | 'MODEL_BAD_RESPONSE'
  /** The provider rejected the request itself (unknown model, invalid dimensions): retrying cannot help. */
  | 'MODEL_BAD_REQUEST';

/**
 * Failure of an embedding provider. `retryable` tells the job queue whether running the job again later can help;
 * `retryAfterMs` carries the provider's Retry-After when it gave one.
 */
export class EmbeddingError extends AppError {
  declare readonly code: EmbeddingErrorCode;
  readonly retryable: boolean;
  readonly retryAfterMs: number | undefined;
  readonly status: number | undefined;

  constructor(
    code: EmbeddingErrorCode,
    message: string,
    options: { cause?: unknown; retryable?: boolean; retryAfterMs?: number; status?: number } = {},
  ) {
    super(code, message, { cause: options.cause });
    this.retryable = options.retryable ?? (code === 'MODEL_RATE_LIMIT' || code === 'MODEL_UNAVAILABLE');
    this.retryAfterMs = options.retryAfterMs;
    this.status = options.status;
  }
}
