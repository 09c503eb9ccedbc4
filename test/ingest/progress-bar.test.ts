import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createProgressReporter, progressLine } from '../../src/ingest/progress.ts';

/** A terminal of `columns` that keeps what was drawn. */
function terminal(columns: number) {
  const writes: string[] = [];
  const stream = Object.assign(
    new Writable({
      write(chunk: Buffer, _enc, done) {
        writes.push(chunk.toString());
        done();
      },
    }),
    { isTTY: true, columns },
  ) as unknown as NodeJS.WriteStream;
  // The last drawn line, without cursor and erase sequences.
  const escapes = new RegExp(`${String.fromCharCode(27)}(\\[[0-9;?]*[A-Za-z]|[78])`, 'g');
  const lastLine = () => writes.map((w) => w.replace(escapes, '')).filter((w) => w.includes('accounts')).at(-1) ?? '';
  return { stream, lastLine };
}

const width = (s: string) => [...s].length;

describe('backfill progress bar on a terminal', () => {
  it('keeps every figure, ETA included, inside an 80-column terminal for a large portal', () => {
    const t = terminal(80);
    const progress = createProgressReporter({ stream: t.stream, tty: true });
    progress.start({ mode: 'full', resumed: false });
    const snapshot = { accountsDone: 12_345, accountsKnown: 20_000, pagingDone: true, records: 987_654, http429: 12, elapsedMs: 800_000 };
    progress.update(snapshot);
    progress.stop(snapshot);
    const line = t.lastLine();
    expect(line).toMatch(/^\[█+░+\] 12345\/20000 accounts, 987654 records, 1235\/s, ETA 8m16s, 12 × 429$/);
    expect(width(line)).toBeLessThan(80);
  });

  it('gives the bar what the figures leave (up to 40 cells), none in a very narrow terminal, and names 429s only once there are some', () => {
    const figures = { accountsDone: 1, accountsTotal: 4, records: 40, recordsPerSecond: 20, etaText: '6s', http429: 0 };
    expect(progressLine(figures, 120)).toBe(`[${'█'.repeat(10)}${'░'.repeat(30)}] 1/4 accounts, 40 records, 20.0/s, ETA 6s`);
    const narrow = progressLine(figures, 50);
    // The last column stays free: a character there makes some terminals wrap.
    expect(width(narrow)).toBe(49);
    expect(narrow).toMatch(/^\[██░{4}\] 1\/4 accounts/);
    expect(progressLine(figures, 40)).toBe('1/4 accounts, 40 records, 20.0/s, ETA 6s');
    expect(progressLine({ ...figures, http429: 3 }, 120)).toMatch(/ETA 6s, 3 × 429$/);
    expect(progressLine({ ...figures, accountsDone: 0, accountsTotal: 0 }, 80)).toMatch(/^\[░+\] 0\/0 accounts/);
  });

  it('shows an unknown ETA as "?", not as a lower bound of it', () => {
    const t = terminal(80);
    const progress = createProgressReporter({ stream: t.stream, tty: true });
    progress.update({ accountsDone: 0, accountsKnown: 80, pagingDone: false, records: 0, http429: 0, elapsedMs: 500 });
    expect(t.lastLine()).toMatch(/ETA \?$/);
  });
});
