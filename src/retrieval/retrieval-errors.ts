import { AppError } from '../errors.ts';

/**
 * Errors of the retrieval module. Codes are stable: the API maps `NOT_FOUND` to 404 and the CLI explains
 * `EMBEDDING_MODEL_CHANGED` instead of failing with a low-level dimension error on the first insert.
 */
export class EmbeddingModelChangedError extends AppError {
  /** `stored`/`wanted`: dimensions, or model names when a model of the same size replaced another. */
  constructor(what: string, stored: number | string, wanted: number | string, howToReindex: string) {
    super(
      'EMBEDDING_MODEL_CHANGED',
      typeof stored === 'number'
        ? `The vector store holds ${stored}-dimensional ${what} vectors but the embedder now produces ${wanted}: ` +
            `the embedding model (or EMBEDDING_DIMENSIONS) changed. ${howToReindex}`
        : `The vector store holds ${what} vectors of the embedding model "${stored}" but the embedder is now "${wanted}": ` +
            `vectors of two models cannot be compared, even of the same size. ${howToReindex}`,
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
  'Run `hubspot-ai backfill --reindex` to drop the old vectors and rebuild the index with the new model, ' +
  'or set EMBEDDING_MODEL / EMBEDDING_DIMENSIONS back to the model the store was built with.';
