import { vectorize, type FeatureSpace, type Observation } from './features.ts';
import { textLogit, type TextModel } from './text-model.ts';
import type { ScorerValidation } from './validation.ts';

/**
 * The trained scorer as stored in the database (scorer-store.ts): plain numbers in JSON, so inference needs no ML
 * library and a person can read and diff it.
 */

export const SCORER_MODEL_VERSION = 'lead-scorer/v1';

export interface ScorerModel {
  version: typeof SCORER_MODEL_VERSION;
  trainedAt: string;
  space: FeatureSpace;
  featureNames: string[];
  /** Standardization fitted on the training set. */
  means: number[];
  stds: number[];
  intercept: number;
  weights: number[];
  /** Text models of the deal's and the account's words; their logits are the last two inputs (absent: no text). */
  text?: { deal: TextModel; account: TextModel };
  /** Held-out quality measured at training time (shown by `train-scorer` and in the eval). */
  evaluation: { auc: number; ece: number; brier: number; n: number; folds: number; positives: number };
  /**
   * Held-out validation (validation.ts): AUC interval, calibration, closed deals, training date, features and the
   * confidence bound. Missing in models saved before it was recorded: such a scorer counts as unvalidated.
   */
  validation?: ScorerValidation;
  trainingSize: number;
}

export interface Score {
  /** Calibrated probability of winning. */
  probability: number;
  /** 0–100, the probability in percent, rounded. */
  score: number;
  /** Per-feature contribution to the logit (weight × standardized value), largest magnitude first. */
  contributions: Array<{ feature: string; value: number; contribution: number }>;
}

export function sigmoid(z: number): number {
  return 1 / (1 + Math.exp(-z));
}

export function standardize(x: number[], means: number[], stds: number[]): number[] {
  return x.map((v, i) => (v - (means[i] ?? 0)) / (stds[i] || 1));
}

export function scoreObservation(model: ScorerModel, o: Observation): Score {
  const raw = [...vectorize(o, model.space), ...(model.text ? [textLogit(model.text.deal, o.terms?.deal ?? []), textLogit(model.text.account, o.terms?.account ?? [])] : [])];
  const z = standardize(raw, model.means, model.stds);
  const contributions = z.map((v, i) => ({ feature: model.featureNames[i] ?? `f${i}`, value: raw[i] ?? 0, contribution: (model.weights[i] ?? 0) * v }));
  const logit = model.intercept + contributions.reduce((s, c) => s + c.contribution, 0);
  const probability = sigmoid(logit);
  contributions.sort((a, b) => Math.abs(b.contribution) - Math.abs(a.contribution));
  return { probability, score: Math.round(probability * 100), contributions };
}
