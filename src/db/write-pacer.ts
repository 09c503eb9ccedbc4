import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Paces a bulk writer on an SQLite file other processes write too. SQLite has one write lock per file and no
 * queue for it: a process that wants it while another holds it polls (busy_timeout), sleeping up to 100 ms between
 * tries, and better-sqlite3 blocks that process's whole event loop meanwhile. A backfill that commits a long
 * transaction and begins the next at once wins nearly every poll, so a webhook's small write in the serving process
 * waited hundreds of milliseconds behind it (`npm run bench:fairness`).
 *
 * A paced writer writes in short transactions and, after one that held the lock for `h` ms, leaves the lock free
 * for about as long before its next (at most `maxPauseMs`): its share of the lock stays at or below half while
 * others want it, and a waiting process finds it free within one of its polls. The pause is async, so the writer's
 * process keeps fetching and chunking meanwhile.
 *
 * Pacing costs a writer that is alone on the file: its transactions are short (more commits, more FTS5 segments)
 * and it pauses for nobody (a quiet `npm run bench:backfill` fell from 98 % to 80–92 % of its request budget). So
 * the pacer paces only while it has seen another writer: the file's write lock held by another connection when this
 * writer was about to begin (`writeLockHeldElsewhere` in sqlite.ts) within the last `contendedForMs`. Until then
 * `sliceSize()` is the long slice and `turn()` returns at once; the first sighting switches to short, paced
 * transactions, which let the other writer in promptly.
 */
export class WritePacer {
  private freeUntil = 0;
  private readonly minHoldMs: number;
  private readonly maxPauseMs: number;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<unknown>;
  private readonly contendedForMs: number;
  private readonly slices: { short: number; long: number };
  private contendedAt = Number.NEGATIVE_INFINITY;

  constructor(
    opts: {
      minHoldMs?: number;
      maxPauseMs?: number;
      now?: () => number;
      sleep?: (ms: number) => Promise<unknown>;
      /** How long one sighting of another writer keeps this writer paced. Default 10 s. */
      contendedForMs?: number;
      /** Rows per transaction while paced (short) and while alone (long). Default 32 and 256. */
      slices?: { short: number; long: number };
    } = {},
  ) {
    this.minHoldMs = opts.minHoldMs ?? 2;
    this.maxPauseMs = opts.maxPauseMs ?? 50;
    this.now = opts.now ?? (() => performance.now());
    this.sleep = opts.sleep ?? sleep;
    this.contendedForMs = opts.contendedForMs ?? 10_000;
    this.slices = opts.slices ?? { short: 32, long: 256 };
  }

  /** Whether another writer was seen on the file recently (then transactions are short and paced). */
  contended(): boolean {
    return this.now() - this.contendedAt < this.contendedForMs;
  }

  /** How many rows the next transaction should take. */
  sliceSize(): number {
    return this.contended() ? this.slices.short : this.slices.long;
  }

  /** Records that another connection held the file's write lock when this writer was about to begin. */
  sawOtherWriter(): void {
    this.contendedAt = this.now();
  }

  /** Waits until this writer may take the lock again (at once unless its last transaction held it for long). */
  async turn(): Promise<void> {
    // Several callers may wait at once: each looks again when it wakes, after the one before it wrote.
    if (!this.contended()) return;
    for (let wait = this.freeUntil - this.now(); wait > 0; wait = this.freeUntil - this.now()) await this.sleep(Math.ceil(wait));
  }

  /** Records that a transaction of this writer held the lock for `heldMs`. */
  held(heldMs: number): void {
    if (heldMs >= this.minHoldMs) this.freeUntil = this.now() + Math.min(heldMs, this.maxPauseMs);
  }
}
