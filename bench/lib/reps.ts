import { parseArgs } from 'node:util';

/**
 * What every bench prints the same way: `--reps N` (or BENCH_REPEATS) repetitions, a goal that must hold in every
 * one of them, and the spread (min–max) of the repetitions beside it.
 */
export function repsOption(defaultReps: number): number {
  const { values } = parseArgs({ options: { reps: { type: 'string' } }, strict: false, allowPositionals: true });
  const raw = typeof values.reps === 'string' ? values.reps : process.env.BENCH_REPEATS;
  const n = raw === undefined ? defaultReps : Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--reps must be a whole number of at least 1, got "${raw}"`);
  return n;
}

export const spread = (xs: number[], f: (x: number) => string = (x) => x.toFixed(2)): string => `${f(Math.min(...xs))}–${f(Math.max(...xs))}`;

export const verdict = (ok: boolean): string => (ok ? 'met' : 'NOT MET');
