/**
 * The one error format of the HTTP API: `{ error: { code, message, details?, requestId } }`, with stable codes
 * from this registry. Routes throw `apiError('NOT_FOUND', 'account 42 not found')`.
 */
export const API_ERRORS = {
  BAD_REQUEST: 400,
  VALIDATION_FAILED: 400,
  INVALID_JSON: 400,
  INVALID_WEBHOOK: 400,
  UNAUTHORIZED: 401,
  INVALID_SIGNATURE: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  CONFLICT: 409,
  STALE: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  RATE_LIMITED: 429,
  INTERNAL: 500,
  NOT_IMPLEMENTED: 501,
  UNAVAILABLE: 503,
  // The model answered, but not usefully: a bad gateway from the caller's point of view.
  OUTPUT_PARSING_FAILURE: 502,
  MODEL_REFUSAL: 502,
  MODEL_AUTH: 502,
  // The model (or HubSpot) is busy or down: worth retrying later.
  MODEL_RATE_LIMIT: 503,
  MODEL_TIMEOUT: 503,
  MODEL_UNAVAILABLE: 503,
  HUBSPOT_UNAVAILABLE: 503,
  // The portal spent its model quota for the period: no model call until it ends.
  MODEL_QUOTA_SPENT: 429,
} as const;

export type ApiErrorCode = keyof typeof API_ERRORS;

export class ApiError extends Error {
  readonly code: ApiErrorCode;
  readonly statusCode: number;
  readonly details?: unknown;
  /** Response headers that go with the error (`Retry-After` on a 503). */
  readonly headers?: Record<string, string>;
  constructor(code: ApiErrorCode, message: string, details?: unknown, headers?: Record<string, string>) {
    super(message);
    this.name = 'ApiError';
    this.code = code;
    this.statusCode = API_ERRORS[code];
    this.details = details;
    if (headers) this.headers = headers;
    Object.setPrototypeOf(this, ApiError.prototype);
  }
}

export function apiError(code: ApiErrorCode, message: string, details?: unknown, headers?: Record<string, string>): ApiError {
  return new ApiError(code, message, details, headers);
}
