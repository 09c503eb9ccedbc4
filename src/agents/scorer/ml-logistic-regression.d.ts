// ml-logistic-regression 2.0.0 ships no types; this covers what train.ts uses.
declare module 'ml-logistic-regression' {
  import type { Matrix } from 'ml-matrix';

  interface TwoClassClassifier {
    weights: Matrix;
    testScores(features: Matrix): number[];
  }

  export default class LogisticRegression {
    constructor(options?: { numSteps?: number; learningRate?: number });
    numberClasses: number;
    classifiers: TwoClassClassifier[];
    train(X: Matrix, Y: Matrix): void;
    predict(X: Matrix): number[];
  }
}
