/** Small statistics for the eval: seeded bootstrap intervals, means and spreads. Deterministic: reruns print the same. */

export function mean(xs: readonly number[]): number {
  return xs.length === 0 ? 0 : xs.reduce((a, b) => a + b, 0) / xs.length;
}

export function std(xs: readonly number[]): number {
  if (xs.length < 2) return 0;
  const m = mean(xs);
  return Math.sqrt(xs.reduce((s, x) => s + (x - m) ** 2, 0) / (xs.length - 1));
}

/** A seeded uniform stream (LCG): enough for resampling, reproducible across runs. */
export function seededRandom(seed = 0x9e3779b9): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

export type Interval = [number, number];

/**
 * 95% percentile bootstrap interval of `stat` over resamples of `n` items (indices passed to `stat`).
 * `rounds` 1,000 keeps the eval fast; the interval's own error is then ~0.005 on a proportion.
 */
export function bootstrap(n: number, stat: (idx: number[]) => number, rounds = 1000, seed = 7): Interval {
  if (n === 0) return [0, 0];
  const rand = seededRandom(seed);
  const values: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const idx = Array.from({ length: n }, () => Math.floor(rand() * n));
    values.push(stat(idx));
  }
  values.sort((a, b) => a - b);
  return [values[Math.floor(rounds * 0.025)]!, values[Math.min(rounds - 1, Math.floor(rounds * 0.975))]!];
}

/** Bootstrap interval of the mean of per-item values. */
export function meanInterval(xs: readonly number[], seed = 7): Interval {
  return bootstrap(xs.length, (idx) => mean(idx.map((i) => xs[i]!)), 1000, seed);
}

export function round(x: number, digits = 4): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

export function roundInterval(i: Interval, digits = 3): Interval {
  return [round(i[0], digits), round(i[1], digits)];
}
