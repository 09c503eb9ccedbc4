import type { Logger } from '../logging.ts';

/**
 * Process lifecycle of the long-running commands (`serve`, `worker`): wait for SIGTERM/SIGINT, then stop within
 * a grace period. A second signal ends the process at once; a shutdown that overruns its grace period by more
 * than `HARD_STOP_MARGIN_MS` is cut short, so an orchestrator's stop timeout never has to kill us.
 */

export const HARD_STOP_MARGIN_MS = 3_000;

/** Resolves with the first SIGINT/SIGTERM. A second one exits immediately (128 + signal number). */
export function untilSignal(logger: Logger): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    let received: NodeJS.Signals | undefined;
    const on = (sig: NodeJS.Signals) => {
      if (received) {
        logger.warn({ signal: sig }, 'second signal: exiting now without finishing the shutdown');
        logger.flush();
        process.exit(sig === 'SIGINT' ? 130 : 143);
      }
      received = sig;
      resolve(sig);
    };
    process.on('SIGINT', on);
    process.on('SIGTERM', on);
  });
}

/** A shutdown budget: `remaining()` is what is left of the grace period for the next step. */
export class ShutdownBudget {
  private readonly startedAt = performance.now();
  private readonly hardStop: NodeJS.Timeout;

  constructor(
    readonly graceMs: number,
    logger: Logger,
  ) {
    this.hardStop = setTimeout(() => {
      logger.error({ graceMs }, `shutdown did not finish within the grace period + ${HARD_STOP_MARGIN_MS} ms; exiting`);
      logger.flush();
      process.exit(1);
    }, graceMs + HARD_STOP_MARGIN_MS);
    this.hardStop.unref();
  }

  remaining(): number {
    return Math.max(0, this.graceMs - this.elapsed());
  }

  elapsed(): number {
    return Math.round(performance.now() - this.startedAt);
  }

  done(): void {
    clearTimeout(this.hardStop);
  }
}

/** Waits for `p` at most `ms`; true when it settled in time. The promise keeps running either way. */
export async function settlesWithin(p: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([p.then(() => true, () => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
