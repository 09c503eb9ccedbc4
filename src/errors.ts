/**
 * Base error for everything the product throws on purpose. Subclasses set `name` and a stable `code` so that
 * logs, API answers and CLI exit codes can be derived from them without string matching.
 */
export class AppError extends Error {
  readonly code: string;
  readonly details?: unknown;

  constructor(code: string, message: string, options?: { cause?: unknown; details?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.details = options?.details;
    Object.setPrototypeOf(this, new.target.prototype);
  }
}

/** Invalid configuration: the message lists every problem and how to fix it. */
export class ConfigError extends AppError {
  readonly issues: string[];
  constructor(issues: string[]) {
    super('CONFIG_INVALID', `Invalid configuration:\n${issues.map((i) => `  - ${i}`).join('\n')}`);
    this.issues = issues;
  }
}

export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
