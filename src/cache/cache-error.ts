import { AppError } from '../errors.ts';

/** The cache backend failed (Redis unreachable, SQLite file unwritable). Retryable: the job queue tries again. */
export class CacheError extends AppError {
  readonly retryable = true;
  constructor(message: string, options?: { cause?: unknown }) {
    super('CACHE_UNAVAILABLE', message, options);
  }
}
