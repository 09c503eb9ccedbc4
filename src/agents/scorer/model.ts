import fs from 'node:fs';
import path from 'node:path';
import { AppError } from '../../errors.ts';
import { vectorize, type FeatureSpace, type Observation } from './features.ts';

/**
 * The trained scorer as saved to `DATA_DIR/scorer.json`: plain numbers, so inference needs no ML library and
 * the file can be read and diffed by a person.
 */

export const SCORER_FILE = 'scorer.json';
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
  /** Held-out quality measured at training time (shown by `train-scorer` and in the eval). */
  evaluation: { auc: number; ece: number; brier: number; n: number; folds: number; positives: number };
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
  const raw = vectorize(o, model.space);
  const z = standardize(raw, model.means, model.stds);
  const contributions = z.map((v, i) => ({ feature: model.featureNames[i] ?? `f${i}`, value: raw[i] ?? 0, contribution: (model.weights[i] ?? 0) * v }));
  const logit = model.intercept + contributions.reduce((s, c) => s + c.contribution, 0);
  const probability = sigmoid(logit);
  contributions.sort((a, b) => Math.abs(b.contribution) - Math.abs(a.contribution));
  return { probability, score: Math.round(probability * 100), contributions };
}

export function saveScorer(dataDir: string, model: ScorerModel): string {
  fs.mkdirSync(dataDir, { recursive: true });
  const file = path.join(dataDir, SCORER_FILE);
  // Write then rename: a worker reading the model never sees half a file.
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(model, null, 2));
  fs.renameSync(tmp, file);
  return file;
}

/** The saved model, or null when `train-scorer` has not run yet. */
export function loadScorer(dataDir: string): ScorerModel | null {
  const file = path.join(dataDir, SCORER_FILE);
  if (!fs.existsSync(file)) return null;
  const model = JSON.parse(fs.readFileSync(file, 'utf8')) as ScorerModel;
  if (model.version !== SCORER_MODEL_VERSION) {
    throw new AppError('SCORER_VERSION', `${file} is ${String(model.version)}; retrain with \`hubspot-ai train-scorer\``);
  }
  return model;
}
