import cliProgress from 'cli-progress';
import { silentLogger, type Logger } from '../logging.ts';

/**
 * Progress of a backfill: a live bar on a terminal, periodic structured log lines otherwise (CI, containers,
 * `--json`), so that a long run is observable wherever it runs.
 */
export interface ProgressSnapshot {
  /** Accounts fully indexed (this run). */
  accountsDone: number;
  /** Accounts discovered by paging so far; final once `pagingDone`. */
  accountsKnown: number;
  /** False while pages are still being listed: the ETA is then a lower bound. */
  pagingDone: boolean;
  /** CRM records ingested (account records, their contacts, deals, tickets and engagements). */
  records: number;
  http429: number;
  elapsedMs: number;
}

export interface ProgressReporter {
  start(info: { mode: 'full' | 'since'; resumed: boolean }): void;
  update(snapshot: ProgressSnapshot): void;
  stop(snapshot: ProgressSnapshot): void;
}

export interface ProgressRates {
  recordsPerSecond: number;
  /** Seconds left at the current account rate; null until there is a rate to extrapolate from. */
  etaSeconds: number | null;
}

export function progressRates(s: ProgressSnapshot): ProgressRates {
  const seconds = s.elapsedMs / 1000;
  const recordsPerSecond = seconds > 0 ? s.records / seconds : 0;
  const accountRate = seconds > 0 ? s.accountsDone / seconds : 0;
  const remaining = Math.max(0, s.accountsKnown - s.accountsDone);
  const etaSeconds = accountRate > 0 ? remaining / accountRate : null;
  return { recordsPerSecond, etaSeconds };
}

export function formatDuration(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return '?';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

/** A reporter that shows nothing (library callers, tests). */
export const silentProgress: ProgressReporter = {
  start: () => undefined,
  update: () => undefined,
  stop: () => undefined,
};

/** What the terminal bar shows beside the bar itself. */
export interface ProgressFigures {
  accountsDone: number;
  accountsTotal: number;
  records: number;
  recordsPerSecond: number;
  etaText: string;
  http429: number;
}

/**
 * One line of the terminal bar, narrower than `columns` (a character in the last column makes some terminals wrap):
 * the figures first (a terminal cuts what overflows, and the ETA is what people watch a long run for), the bar in
 * what they leave, 5 to 40 cells, or no bar in a very narrow terminal. 429s appear once HubSpot has answered one.
 */
export function progressLine(f: ProgressFigures, columns: number): string {
  const rate = f.recordsPerSecond >= 100 ? f.recordsPerSecond.toFixed(0) : f.recordsPerSecond.toFixed(1);
  const text = `${f.accountsDone}/${f.accountsTotal} accounts, ${f.records} records, ${rate}/s, ETA ${f.etaText}` +
    (f.http429 > 0 ? `, ${f.http429} × 429` : '');
  const room = columns - [...text].length - 4;
  if (room < 5) return text;
  const width = Math.min(40, room);
  const done = f.accountsTotal > 0 ? Math.round((Math.min(f.accountsDone, f.accountsTotal) / f.accountsTotal) * width) : 0;
  return `[${'█'.repeat(done)}${'░'.repeat(width - done)}] ${text}`;
}

class TerminalProgress implements ProgressReporter {
  private readonly bar: cliProgress.SingleBar;
  private started = false;

  constructor(stream: NodeJS.WriteStream) {
    this.bar = new cliProgress.SingleBar(
      {
        stream,
        // Drawn by progressLine at the terminal's current width (cli-progress cuts, not wraps, a longer line).
        format: (_options, params, payload: Omit<ProgressFigures, 'accountsDone' | 'accountsTotal'>) =>
          progressLine({ ...payload, accountsDone: params.value, accountsTotal: params.total }, params.maxWidth),
        hideCursor: true,
        clearOnComplete: false,
        // Redraws are throttled by cli-progress itself; updates can come as fast as batches finish.
        fps: 5,
      },
      cliProgress.Presets.shades_classic,
    );
  }

  start(): void {
    // The bar appears with the first batch: before paging found any account its total would read 0/0.
  }

  update(s: ProgressSnapshot): void {
    if (!this.started) {
      this.bar.start(Math.max(1, s.accountsKnown), 0, { records: 0, recordsPerSecond: 0, etaText: '?', http429: 0 });
      this.started = true;
    }
    const { recordsPerSecond, etaSeconds } = progressRates(s);
    this.bar.setTotal(Math.max(s.accountsKnown, s.accountsDone));
    this.bar.update(s.accountsDone, {
      records: s.records,
      recordsPerSecond,
      // While paging continues more accounts will appear: the ETA can only grow.
      etaText: etaSeconds === null ? '?' : `${s.pagingDone ? '' : '≥'}${formatDuration(etaSeconds)}`,
      http429: s.http429,
    });
  }

  stop(s: ProgressSnapshot): void {
    this.update({ ...s, pagingDone: true });
    this.bar.stop();
    this.started = false;
  }
}

class LogProgress implements ProgressReporter {
  private lastLogAt = 0;

  constructor(
    private readonly logger: Logger,
    private readonly intervalMs: number,
  ) {}

  start(info: { mode: 'full' | 'since'; resumed: boolean }): void {
    this.logger.info(info, 'backfill started');
  }

  update(s: ProgressSnapshot): void {
    const now = Date.now();
    if (now - this.lastLogAt < this.intervalMs) return;
    this.lastLogAt = now;
    this.log(s, 'backfill progress');
  }

  stop(s: ProgressSnapshot): void {
    this.log(s, 'backfill finished');
  }

  private log(s: ProgressSnapshot, msg: string): void {
    const { recordsPerSecond, etaSeconds } = progressRates(s);
    this.logger.info(
      {
        accountsDone: s.accountsDone,
        accountsKnown: s.accountsKnown,
        pagingDone: s.pagingDone,
        records: s.records,
        recordsPerSecond: Math.round(recordsPerSecond * 10) / 10,
        etaSeconds: etaSeconds === null ? null : Math.round(etaSeconds),
        http429: s.http429,
      },
      msg,
    );
  }
}

/**
 * The bar when `stream` is a terminal, structured logs otherwise. `tty: false` forces logs (e.g. with `--json`,
 * whose stdout must stay machine-readable while a human may still watch stderr).
 */
export function createProgressReporter(opts: {
  logger?: Logger;
  stream?: NodeJS.WriteStream;
  tty?: boolean;
  logIntervalMs?: number;
} = {}): ProgressReporter {
  const stream = opts.stream ?? process.stderr;
  const tty = opts.tty ?? Boolean(stream.isTTY);
  if (tty) return new TerminalProgress(stream);
  return new LogProgress(opts.logger ?? silentLogger, opts.logIntervalMs ?? 5_000);
}
