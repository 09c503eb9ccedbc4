/** Meaningful exit codes of `hubspot-ai` (documented in the README). */
export const EXIT = {
  OK: 0,
  /** A runtime failure: the message says what happened. */
  FAILURE: 1,
  /** Bad command-line usage (unknown option, missing argument). */
  USAGE: 2,
  /** Invalid configuration: every problem is listed. */
  CONFIG: 3,
  /** A dependency (HubSpot, OpenAI, Redis, PostgreSQL, Qdrant) refused or is unreachable. */
  DEPENDENCY: 4,
  /** Stopped early but resumable (e.g. HubSpot's daily limit): run the same command again later. */
  RESUMABLE: 5,
  /** `doctor` found problems. */
  CHECK_FAILED: 6,
} as const;

/** An error that carries the exit code the CLI should end with. */
export class CliExit extends Error {
  constructor(
    readonly exitCode: number,
    message: string,
  ) {
    super(message);
    this.name = 'CliExit';
  }
}
