import { createHash } from 'node:crypto';
import LogisticRegression from 'ml-logistic-regression';
import { Matrix } from 'ml-matrix';
import { AppError } from '../../errors.ts';
import { featureNames, featureSpace, vectorize, type FeatureSpace, type Observation } from './features.ts';
import { buildVocabulary, EncodedTexts, TEXT_FEATURES, type EncodedFit, type TextFitOptions } from './text-model.ts';
import { auc, brierScore, expectedCalibrationError } from './evaluation.ts';
import { SCORER_MODEL_VERSION, sigmoid, standardize, type ScorerModel } from './model.ts';
import { bootstrapAucInterval, heldOutConfidenceBound } from './validation.ts';

/**
 * Fits the lead scorer: logistic regression (ml-logistic-regression, full-batch gradient ascent on the
 * log-likelihood) on standardized features plus an intercept column. Logistic regression fitted by maximum
 * likelihood is calibrated in-sample by construction, so no Platt/isotonic step is stacked on top; calibration
 * is measured instead, out of fold: K folds grouped by account (an account's deals never sit on both sides),
 * and the ECE and AUC reported are those of the out-of-fold probabilities.
 */

export interface TrainingExample {
  observation: Observation;
  won: boolean;
  /** Account id: folds are grouped by it. */
  groupId: string;
}

export interface TrainOptions {
  folds?: number;
  seed?: number;
  numSteps?: number;
  /**
   * Ridge strength λ on the standardized weights (not the intercept). The library has no penalty option, so
   * it is added as a data-augmentation prior: per feature, two pseudo-rows x = ±c·e_j labelled won and lost,
   * whose log-likelihood is ≈ −λ·w_j² for c = 2√λ. A few hundred deals with a dozen features need it: the
   * unpenalized fit overfits the held-out folds (lower AUC, worse calibration).
   */
  l2?: number;
  /** The training date recorded with the model (tests pin it). */
  now?: Date;
  /**
   * Learn from the history's words (text-model.ts) when every example carries them (default true). The text
   * models' logits enter the main model out-of-fold, and the held-out figures re-fit them inside each fold.
   */
  text?: boolean;
  textOptions?: TextFitOptions;
}

export interface TrainResult {
  model: ScorerModel;
  /** Out-of-fold probabilities, aligned with the input examples. */
  heldOut: { probabilities: number[]; labels: boolean[] };
}

const MIN_EXAMPLES = 20;

interface Fitted {
  means: number[];
  stds: number[];
  intercept: number;
  weights: number[];
}

function fit(rows: number[][], labels: boolean[], numSteps: number, l2: number): Fitted {
  const d = rows[0]?.length ?? 0;
  const means = Array.from({ length: d }, (_, j) => rows.reduce((s, r) => s + (r[j] ?? 0), 0) / rows.length);
  const stds = Array.from({ length: d }, (_, j) => {
    const v = rows.reduce((s, r) => s + ((r[j] ?? 0) - (means[j] ?? 0)) ** 2, 0) / rows.length;
    // A constant column (e.g. an industry absent from this fold) gets weight 0 rather than NaN.
    return Math.sqrt(v) || 1;
  });
  const data = rows.map((r) => [1, ...standardize(r, means, stds)]);
  const targets = labels.map((y) => (y ? 1 : 0));
  if (l2 > 0) {
    const c = 2 * Math.sqrt(l2);
    for (let j = 0; j < d; j++) {
      const pseudo = Array.from({ length: d + 1 }, (_, k) => (k === j + 1 ? c : 0));
      data.push(pseudo, pseudo);
      targets.push(1, 0);
    }
  }
  const X = new Matrix(data);
  const Y = Matrix.columnVector(targets);
  // The library sums (not averages) the gradient: a step of ~1/n keeps the update scale independent of n.
  const lr = 1 / data.length;
  const lrModel = new LogisticRegression({ numSteps, learningRate: lr });
  lrModel.train(X, Y);
  // Two classes, one-vs-all: classifier 0 is trained with target 1 for every label that is not 0 (i.e. won).
  const w = lrModel.classifiers[0]?.weights.to1DArray() ?? [];
  return { means, stds, intercept: w[0] ?? 0, weights: w.slice(1) };
}

function predict(f: Fitted, row: number[]): number {
  const z = standardize(row, f.means, f.stds);
  return sigmoid(f.intercept + z.reduce((s, v, i) => s + v * (f.weights[i] ?? 0), 0));
}

function foldOf(groupId: string, folds: number, seed: number): number {
  const h = createHash('sha256').update(`${seed}:${groupId}`).digest();
  return h.readUInt32BE(0) % folds;
}

export function trainScorer(examples: TrainingExample[], opts: TrainOptions = {}): TrainResult {
  const folds = opts.folds ?? 5;
  const seed = opts.seed ?? 1;
  const numSteps = opts.numSteps ?? 1500;
  const l2 = opts.l2 ?? 4;
  const positives = examples.filter((e) => e.won).length;
  if (examples.length < MIN_EXAMPLES || positives === 0 || positives === examples.length) {
    throw new AppError(
      'SCORER_TRAINING_DATA',
      `Need at least ${MIN_EXAMPLES} closed deals with both won and lost outcomes (got ${examples.length}, ${positives} won)`,
    );
  }
  const space: FeatureSpace = featureSpace(examples.map((e) => e.observation));
  const rows = examples.map((e) => vectorize(e.observation, space));
  const labels = examples.map((e) => e.won);
  const groups = examples.map((e) => e.groupId);
  const text = opts.text !== false && examples.every((e) => e.observation.terms) ? new TextInputs(examples, groups, opts.textOptions) : null;

  const probabilities = new Array<number>(examples.length).fill(0.5);
  const foldIds = examples.map((e) => foldOf(e.groupId, folds, seed));
  for (let k = 0; k < folds; k++) {
    const trainIdx = foldIds.flatMap((f, i) => (f === k ? [] : [i]));
    const testIdx = foldIds.flatMap((f, i) => (f === k ? [i] : []));
    const trainLabels = trainIdx.map((i) => labels[i] === true);
    if (testIdx.length === 0 || trainLabels.every((y) => y) || trainLabels.every((y) => !y)) continue;
    let trainRows = trainIdx.map((i) => rows[i]!);
    let testRows = testIdx.map((i) => rows[i]!);
    if (text) {
      // Inside the fold as in the final fit: out-of-fold text logits to fit on, text models of the whole fold to test.
      const oof = text.outOfFold(trainIdx, labels, folds, seed + 1 + k);
      const fitted = text.fit(trainIdx, labels);
      trainRows = trainIdx.map((i, n) => [...rows[i]!, ...oof[n]!]);
      testRows = testIdx.map((i) => [...rows[i]!, ...text.logits(fitted, i)]);
    }
    const fitted = fit(trainRows, trainLabels, numSteps, l2);
    testIdx.forEach((i, n) => (probabilities[i] = predict(fitted, testRows[n]!)));
  }

  const all = examples.map((_, i) => i);
  const finalRows = text ? (() => {
    const oof = text.outOfFold(all, labels, folds, seed);
    return rows.map((r, i) => [...r, ...oof[i]!]);
  })() : rows;
  const final = fit(finalRows, labels, numSteps, l2);
  const textModels = text ? text.models(text.fit(all, labels)) : undefined;
  const trainedAt = (opts.now ?? new Date()).toISOString();
  const names = [...featureNames(space), ...(text ? TEXT_FEATURES : [])];
  const evaluation = {
    auc: auc(probabilities, labels),
    ece: expectedCalibrationError(probabilities, labels),
    brier: brierScore(probabilities, labels),
    n: examples.length,
    folds,
    positives,
  };
  const model: ScorerModel = {
    version: SCORER_MODEL_VERSION,
    trainedAt,
    space,
    featureNames: names,
    ...final,
    ...(textModels ? { text: textModels } : {}),
    evaluation,
    validation: {
      trainedAt,
      closedDeals: examples.length,
      won: positives,
      folds,
      auc: evaluation.auc,
      aucInterval: bootstrapAucInterval(probabilities, labels, { seed }),
      ece: evaluation.ece,
      brier: evaluation.brier,
      features: names,
      confidenceBound: heldOutConfidenceBound(probabilities, labels),
    },
    trainingSize: examples.length,
  };
  return { model, heldOut: { probabilities, labels } };
}

/** The two text channels (the deal's words, the account's words), encoded once for every fit of the cross-fitting. */
class TextInputs {
  private readonly deal: EncodedTexts;
  private readonly account: EncodedTexts;

  constructor(
    examples: TrainingExample[],
    private readonly groups: string[],
    private readonly options: TextFitOptions = {},
  ) {
    const channel = (c: 'deal' | 'account') => {
      const terms = examples.map((e) => e.observation.terms?.[c] ?? []);
      return new EncodedTexts(buildVocabulary(terms, groups, options), terms);
    };
    this.deal = channel('deal');
    this.account = channel('account');
  }

  fit(idx: number[], labels: boolean[]): [EncodedFit, EncodedFit] {
    return [this.deal.fit(idx, labels, this.options), this.account.fit(idx, labels, this.options)];
  }

  logits(f: [EncodedFit, EncodedFit], i: number): [number, number] {
    return [this.deal.logit(f[0], i), this.account.logit(f[1], i)];
  }

  models(f: [EncodedFit, EncodedFit]) {
    return { deal: this.deal.toModel(f[0]), account: this.account.toModel(f[1]) };
  }

  /** Text logits of the examples `idx`, each from text models fitted without its account's fold (grouped folds). */
  outOfFold(idx: number[], labels: boolean[], folds: number, seed: number): Array<[number, number]> {
    const inner = idx.map((i) => foldOf(this.groups[i]!, folds, seed));
    const out = new Array<[number, number]>(idx.length);
    for (let k = 0; k < folds; k++) {
      const fitIdx = idx.filter((_, n) => inner[n] !== k);
      if (fitIdx.length === idx.length) continue;
      const f = this.fit(fitIdx, labels);
      idx.forEach((i, n) => {
        if (inner[n] === k) out[n] = this.logits(f, i);
      });
    }
    return out;
  }
}
