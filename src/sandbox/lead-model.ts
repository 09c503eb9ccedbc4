import type { NeedCluster } from './phrasing/types.ts';
import type { DealFeatures, LeadModel } from './types.ts';

/**
 * The model that decides deal outcomes. A closed deal is won with probability
 * pWin = 1 / (1 + exp(-(intercept + Σ coefficient·feature + Σ interaction·a·b))), and then its recorded outcome is
 * flipped with probability LABEL_NOISE (deals marked lost that were won, and the reverse: CRM data entry).
 *
 * Only some drivers are visible in CRM fields (segment, contacts' roles, associated meetings/e-mails/calls). Two
 * are not: the account's hidden need cluster (it only shapes the history's wording) and a confirmed budget (said
 * in one e-mail's text). So a scorer trained on CRM fields cannot reproduce the truth; the best any scorer can do
 * is rank by the true probability: the Bayes AUC reported in the ground truth.
 */

export const LEAD_MODEL_INTERCEPT = -2.3;
export const LEAD_MODEL_COEFFICIENTS: Record<keyof DealFeatures, number> = {
  fit: 2.4,
  champion: 0.7,
  meetings: 0.3,
  inboundEmails: 0.15,
  staleMonths: -0.5,
  competitor: -1.1,
  needFit: 1.0,
  budgetConfirmed: 0.9,
};
export const LEAD_MODEL_INTERACTIONS: LeadModel['interactions'] = [
  // A champion matters more the more the buying group meets; a competitor hurts less where the fit is strong.
  { a: 'champion', b: 'meetings', coefficient: 0.35 },
  { a: 'competitor', b: 'fit', coefficient: 0.7 },
];
export const LABEL_NOISE = 0.05;

/** Hidden need clusters' fit to the product (a driver no CRM field shows). */
export const NEED_FIT: Record<NeedCluster, number> = { compliance: 0.8, integration: 0.5, scale: 0.2, adoption: -0.2, expansion: -0.5, cost: -0.8 };

export const LEAD_MODEL_DESCRIPTION =
  'logit(pWin) = intercept + Σ coefficients[f]·features[f] + Σ interactions (a·b·coefficient); the recorded outcome ' +
  'is then flipped with probability labelNoise. Visible in the CRM: fit (segment fit to the ideal customer profile), ' +
  'champion (a champion/decision-maker title on the deal), meetings and inboundEmails associated with the deal, ' +
  "staleMonths (last deal activity to close date), competitor (named on one of the deal's calls). Not in any CRM " +
  "field: needFit (the account's hidden need cluster, visible only in how its history is worded) and " +
  'budgetConfirmed (said in one e-mail). pRecordedWin = labelNoise + (1 − 2·labelNoise)·pWin is the probability of ' +
  'the recorded label; Bayes AUC ranks by it.';

export function pWin(f: DealFeatures): number {
  let z = LEAD_MODEL_INTERCEPT;
  for (const k of Object.keys(LEAD_MODEL_COEFFICIENTS) as Array<keyof DealFeatures>) z += LEAD_MODEL_COEFFICIENTS[k] * f[k];
  for (const i of LEAD_MODEL_INTERACTIONS) z += i.coefficient * f[i.a] * f[i.b];
  return 1 / (1 + Math.exp(-z));
}

/** Probability that the recorded outcome is `won`: the true win probability seen through label noise. */
export function pRecordedWin(p: number, noise = LABEL_NOISE): number {
  return noise + (1 - 2 * noise) * p;
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

/** `closed[].p` is the probability of the recorded label (pRecordedWin); `won` the recorded outcome. */
export function leadModel(closed: Array<{ p: number; won: boolean }>): LeadModel {
  return {
    description: LEAD_MODEL_DESCRIPTION,
    intercept: LEAD_MODEL_INTERCEPT,
    coefficients: { ...LEAD_MODEL_COEFFICIENTS },
    interactions: LEAD_MODEL_INTERACTIONS.map((i) => ({ ...i })),
    labelNoise: LABEL_NOISE,
    bayesAuc: round(auc(closed.map((d) => d.p), closed.map((d) => d.won))),
    expectedBayesAuc: round(expectedAuc(closed.map((d) => d.p))),
    closedDeals: closed.length,
  };
}

function round(x: number): number {
  return Math.round(x * 10000) / 10000;
}
