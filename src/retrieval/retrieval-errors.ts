import { AppError } from '../errors.ts';

/**
 * Errors of the retrieval module. Codes are stable: the API maps `NOT_FOUND` to 404 and the CLI explains
 * `EMBEDDING_MODEL_CHANGED` instead of failing with a low-level dimension error on the first insert.
 */
export class EmbeddingModelChangedError extends AppError {
  constructor(what: string, stored: number, wanted: number, howToReindex: string) {
    super(
      'EMBEDDING_MODEL_CHANGED',
      `The vector store holds ${stored}-dimensional ${what} vectors but the embedder now produces ${wanted}: ` +
        `the embedding model (or EMBEDDING_DIMENSIONS) changed. ${howToReindex}`,
      { details: { what, stored, wanted } },
    );
  }
}

export class AccountNotFoundError extends AppError {
  constructor(portalId: string, accountId: string) {
    super('NOT_FOUND', `account ${accountId} has no profile in portal ${portalId} (not ingested yet?)`, {
      details: { portalId, accountId },
    });
  }
}

/** A vector backend failed. `retryable` is true for timeouts, 429 and 5xx, so jobs can back off. */
export class VectorStoreError extends AppError {
  readonly retryable: boolean;
  readonly status?: number;
  constructor(message: string, opts: { cause?: unknown; retryable?: boolean; status?: number } = {}) {
    super('VECTOR_STORE_ERROR', message, { cause: opts.cause, details: { status: opts.status } });
    this.retryable = opts.retryable ?? false;
    this.status = opts.status;
  }
}

export const REINDEX_HINT =
  'Reindex: drop the old vectors with `store.reset()` (the CLI `hubspot-ai backfill --reindex`) and run a backfill, ' +
  'or set EMBEDDING_MODEL / EMBEDDING_DIMENSIONS back to the model the store was built with.';
