/** Ranking and calibration metrics for binary probability forecasts. */

/** Mann-Whitney AUC (ties count one half); 0.5 when a class is missing. */
export function auc(scores: readonly number[], labels: readonly boolean[]): number {
  const pairs = scores.map((s, i) => [s, labels[i] === true] as const).sort((a, b) => a[0] - b[0]);
  let pos = 0;
  let neg = 0;
  let rankSum = 0;
  for (let i = 0; i < pairs.length; ) {
    let j = i;
    while (j < pairs.length && pairs[j]![0] === pairs[i]![0]) j++;
    const avgRank = (i + 1 + j) / 2;
    for (let k = i; k < j; k++) {
      if (pairs[k]![1]) {
        pos++;
        rankSum += avgRank;
      } else neg++;
    }
    i = j;
  }
  if (pos === 0 || neg === 0) return 0.5;
  return (rankSum - (pos * (pos + 1)) / 2) / (pos * neg);
}

/**
 * Expected calibration error with equal-mass bins: Σ (n_b / n)·|mean(p) − mean(y)| over bins. Equal-mass (not
 * equal-width) bins so that no bin is nearly empty, which on a few hundred deals would dominate the error.
 */
export function expectedCalibrationError(probs: readonly number[], labels: readonly boolean[], bins = 10): number {
  const n = probs.length;
  if (n === 0) return 0;
  const order = probs.map((p, i) => [p, labels[i] ? 1 : 0] as const).sort((a, b) => a[0] - b[0]);
  let ece = 0;
  for (let b = 0; b < bins; b++) {
    const lo = Math.floor((b * n) / bins);
    const hi = Math.floor(((b + 1) * n) / bins);
    if (hi <= lo) continue;
    let sp = 0;
    let sy = 0;
    for (let i = lo; i < hi; i++) {
      sp += order[i]![0];
      sy += order[i]![1];
    }
    ece += Math.abs(sp - sy) / n;
  }
  return ece;
}

export function brierScore(probs: readonly number[], labels: readonly boolean[]): number {
  if (probs.length === 0) return 0;
  return probs.reduce((s, p, i) => s + (p - (labels[i] ? 1 : 0)) ** 2, 0) / probs.length;
}

export function logLoss(probs: readonly number[], labels: readonly boolean[]): number {
  if (probs.length === 0) return 0;
  const eps = 1e-12;
  return -probs.reduce((s, p, i) => s + (labels[i] ? Math.log(Math.max(eps, p)) : Math.log(Math.max(eps, 1 - p))), 0) / probs.length;
}
