import { auc } from './evaluation.ts';

/**
 * What a lead scorer has shown on held-out data, and whether that is enough to let it write without a person.
 *
 * Recorded once, at training time, from the out-of-fold probabilities (folds grouped by account):
 *   - AUC with a 95 % bootstrap interval (the deals resampled with replacement),
 *   - calibration (ECE, Brier), the number of closed deals and won ones, the training date, the feature list,
 *   - the confidence bound: the highest accuracy the scorer demonstrably reached on held-out deals, the 95 %
 *     Wilson lower bound of the hit rate of its most confident predictions (at least 20 deals, or a tenth). No
 *     confidence derived from this scorer may exceed it, whatever the fitted probability says.
 * A scorer is validated when the interval's lower end is above 0.6 and it was trained on at least 200 closed
 * deals; otherwise its proposals wait for a person with the reason `model_unvalidated` and these figures.
 */

export const VALIDATION_BAR = { minAucLow: 0.6, minClosedDeals: 200 } as const;

export interface ScorerValidation {
  trainedAt: string;
  closedDeals: number;
  won: number;
  folds: number;
  auc: number;
  /** 95 % bootstrap percentile interval of the held-out AUC. */
  aucInterval: [number, number];
  ece: number;
  brier: number;
  features: string[];
  /** The highest confidence this scorer has earned on held-out data (0–1). */
  confidenceBound: number;
}

export interface ValidationStatus {
  validated: boolean;
  confidenceBound: number;
  /** The figures, and what is missing when not validated: shown to reviewers and in reports. */
  summary: string;
}

/** Deterministic PRNG (mulberry32): a training run reports the same interval each time. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

/** Percentile bootstrap interval of the AUC (resamples without both classes are skipped). */
export function bootstrapAucInterval(probs: readonly number[], labels: readonly boolean[], opts: { resamples?: number; level?: number; seed?: number } = {}): [number, number] {
  const n = probs.length;
  const resamples = opts.resamples ?? 1000;
  const level = opts.level ?? 0.95;
  const rnd = random(opts.seed ?? 1);
  const values: number[] = [];
  const p = new Array<number>(n);
  const y = new Array<boolean>(n);
  for (let b = 0; b < resamples; b++) {
    let pos = 0;
    for (let i = 0; i < n; i++) {
      const k = Math.floor(rnd() * n);
      p[i] = probs[k]!;
      y[i] = labels[k] === true;
      if (y[i]) pos++;
    }
    if (pos === 0 || pos === n) continue;
    values.push(auc(p, y));
  }
  if (values.length === 0) return [0, 1];
  values.sort((a, b) => a - b);
  return [quantile(values, (1 - level) / 2), quantile(values, 1 - (1 - level) / 2)];
}

/** Wilson score interval's lower end for `k` successes in `n` trials (z = 1.96). */
export function wilsonLower(k: number, n: number, z = 1.96): number {
  if (n === 0) return 0;
  const phat = k / n;
  const z2 = z * z;
  return Math.max(0, (phat + z2 / (2 * n) - z * Math.sqrt((phat * (1 - phat) + z2 / (4 * n)) / n)) / (1 + z2 / n));
}

/**
 * The highest confidence the scorer has earned: over its most confident held-out predictions (the top k by
 * max(p, 1 − p), k at least 20 deals or a tenth of them), the best 95 % lower bound on how often the implied
 * outcome (won when p ≥ 0.5, lost otherwise) was right.
 */
export function heldOutConfidenceBound(probs: readonly number[], labels: readonly boolean[]): number {
  const rows = probs
    .map((p, i) => ({ c: Math.max(p, 1 - p), right: p >= 0.5 === (labels[i] === true) }))
    .sort((a, b) => b.c - a.c);
  const minGroup = Math.max(20, Math.ceil(rows.length / 10));
  let best = 0;
  let right = 0;
  for (let k = 1; k <= rows.length; k++) {
    if (rows[k - 1]!.right) right++;
    if (k >= minGroup) best = Math.max(best, wilsonLower(right, k));
  }
  return best;
}

export function validationStatus(v: ScorerValidation | undefined | null): ValidationStatus {
  if (!v) return { validated: false, confidenceBound: 0, summary: 'no validated lead scorer: run `hubspot-ai train-scorer`' };
  const [lo, hi] = v.aucInterval;
  const figures = `held-out AUC ${v.auc.toFixed(2)} (95% CI ${lo.toFixed(2)}–${hi.toFixed(2)}), ECE ${v.ece.toFixed(3)}, ${v.closedDeals} closed deals, trained ${v.trainedAt.slice(0, 10)}`;
  const missing: string[] = [];
  if (!(lo > VALIDATION_BAR.minAucLow)) missing.push(`the AUC interval reaches down to ${lo.toFixed(2)} (needs > ${VALIDATION_BAR.minAucLow})`);
  if (v.closedDeals < VALIDATION_BAR.minClosedDeals) missing.push(`${v.closedDeals} closed deals (needs ≥ ${VALIDATION_BAR.minClosedDeals})`);
  const bound = Math.min(1, Math.max(0, v.confidenceBound));
  if (missing.length === 0) return { validated: true, confidenceBound: bound, summary: `scorer validated: ${figures}; confidence capped at ${bound.toFixed(2)}` };
  return { validated: false, confidenceBound: bound, summary: `scorer not validated: ${missing.join('; ')}; ${figures}` };
}

/** A confidence from this scorer: never above what it showed on held-out data. */
export function boundedConfidence(confidence: number, status: ValidationStatus): number {
  return Math.max(0, Math.min(confidence, status.confidenceBound));
}
