import type { DealFeatures, LeadModel } from './types.ts';

/**
 * The logistic model that decides deal outcomes. A closed deal is won with probability
 * pWin = 1 / (1 + exp(-(intercept + Σ coefficient·feature))); the features are observable in the portal
 * (segment, contacts' roles, associated meetings/e-mails/calls), so a scorer can learn them, and the best any
 * scorer can do is rank by the true pWin: that is the Bayes-optimal AUC reported in the ground truth.
 */

export const LEAD_MODEL_INTERCEPT = -2.2;
export const LEAD_MODEL_COEFFICIENTS: Record<keyof DealFeatures, number> = {
  fit: 2.6,
  champion: 1.2,
  meetings: 0.45,
  inboundEmails: 0.2,
  staleMonths: -0.5,
  competitor: -0.8,
};

export const LEAD_MODEL_DESCRIPTION =
  'logit(pWin) = intercept + Σ coefficients[f]·features[f]. fit: segment fit to the ideal customer profile (0..1, ' +
  'software and mid-market fit best); champion: 1 if a contact with a champion/decision-maker title is on the deal; ' +
  'meetings: meetings associated with the deal; inboundEmails: incoming e-mails associated with the deal; ' +
  'staleMonths: months from the last deal activity to the close date; competitor: 1 if a competitor was named on ' +
  "one of the deal's calls. Closed deals are won when a seeded uniform draw is below pWin.";

export function pWin(f: DealFeatures): number {
  let z = LEAD_MODEL_INTERCEPT;
  for (const k of Object.keys(LEAD_MODEL_COEFFICIENTS) as Array<keyof DealFeatures>) z += LEAD_MODEL_COEFFICIENTS[k] * f[k];
  return 1 / (1 + Math.exp(-z));
}

/** Mann-Whitney AUC of `scores` against binary `labels` (ties count one half). */
export function auc(scores: number[], labels: boolean[]): number {
  const idx = scores.map((s, i) => [s, labels[i] === true] as const).sort((a, b) => a[0] - b[0]);
  let pos = 0;
  let neg = 0;
  let rankSum = 0;
  for (let i = 0; i < idx.length; ) {
    let j = i;
    while (j < idx.length && idx[j]![0] === idx[i]![0]) j++;
    const avgRank = (i + 1 + j) / 2;
    for (let k = i; k < j; k++) {
      if (idx[k]![1]) {
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
 * Expected AUC of ranking by the true probabilities when outcomes are drawn from them: the pair (i, j) counts
 * when i is won and j lost, which happens with probability p_i(1 - p_j). Ratio of expectations, O(n log n).
 */
export function expectedAuc(p: number[]): number {
  const sorted = [...p].sort((a, b) => a - b);
  let num = 0;
  let den = 0;
  let lossMassBelow = 0;
  let totalLoss = 0;
  for (const q of sorted) totalLoss += 1 - q;
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    let tieLoss = 0;
    let tieWin = 0;
    while (j < sorted.length && sorted[j] === sorted[i]) {
      tieLoss += 1 - sorted[j]!;
      tieWin += sorted[j]!;
      j++;
    }
    num += tieWin * lossMassBelow + 0.5 * (tieWin * tieLoss - sumSelf(sorted, i, j));
    den += tieWin * (totalLoss - 0) - sumSelf(sorted, i, j);
    lossMassBelow += tieLoss;
    i = j;
  }
  return den > 0 ? num / den : 0.5;
}

/** Σ p(1-p) over a tie block: a deal is never paired with itself. */
function sumSelf(sorted: number[], i: number, j: number): number {
  let s = 0;
  for (let k = i; k < j; k++) s += sorted[k]! * (1 - sorted[k]!);
  return s;
}

export function leadModel(closed: Array<{ pWin: number; won: boolean }>): LeadModel {
  return {
    description: LEAD_MODEL_DESCRIPTION,
    intercept: LEAD_MODEL_INTERCEPT,
    coefficients: { ...LEAD_MODEL_COEFFICIENTS },
    bayesAuc: round(auc(closed.map((d) => d.pWin), closed.map((d) => d.won))),
    expectedBayesAuc: round(expectedAuc(closed.map((d) => d.pWin))),
    closedDeals: closed.length,
  };
}

function round(x: number): number {
  return Math.round(x * 10000) / 10000;
}
