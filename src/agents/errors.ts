import { AppError } from '../errors.ts';

/**
 * Agent and model failures. A string-literal code union (not subclasses per cause) so the job handler can map
 * a code to "retry later" or "fail now" without instanceof chains, and so the audit log stores a stable code.
 */
export type AgentErrorCode =
  | 'OUTPUT_PARSING_FAILURE'
  | 'MODEL_RATE_LIMIT'
  | 'MODEL_TIMEOUT'
  | 'MODEL_UNAVAILABLE'
  | 'MODEL_AUTH'
  | 'MODEL_REFUSAL'
  /** The portal's model token or cost quota for the period is spent (agents/model-quota.ts): not retried. */
  | 'MODEL_QUOTA_SPENT';

/** Codes worth retrying later: the model or its server may recover. The others need a human or a code fix. */
const RETRYABLE: ReadonlySet<AgentErrorCode> = new Set(['MODEL_RATE_LIMIT', 'MODEL_TIMEOUT', 'MODEL_UNAVAILABLE']);

export class AgentError extends AppError {
  declare readonly code: AgentErrorCode;
  /** Seconds the server asked us to wait (429 Retry-After), when it said. */
  readonly retryAfterSeconds?: number;

  constructor(
    code: AgentErrorCode,
    message: string,
    options?: { cause?: unknown; details?: unknown; retryAfterSeconds?: number },
  ) {
    super(code, message, options);
    if (options?.retryAfterSeconds !== undefined) this.retryAfterSeconds = options.retryAfterSeconds;
  }

  /** Read by the job queue (`requestedRetryDelayMs`): a 429's Retry-After becomes the job's retry delay. */
  get retryAfterMs(): number | undefined {
    return this.retryAfterSeconds === undefined ? undefined : this.retryAfterSeconds * 1000;
  }

  /** False for codes that need a human, and for request errors (4xx) the server will answer the same way again. */
  get retryable(): boolean {
    const permanent = (this.details as { permanent?: boolean } | undefined)?.permanent === true;
    return RETRYABLE.has(this.code) && !permanent;
  }
}

export function isAgentError(err: unknown, code?: AgentErrorCode): err is AgentError {
  return err instanceof AgentError && (code === undefined || err.code === code);
}
