import { auc, brierScore, expectedCalibrationError } from '../../src/agents/scorer/evaluation.ts';
import type { ScorerModel } from '../../src/agents/scorer/model.ts';
import { trainScorer } from '../../src/agents/scorer/train.ts';
import { collectTrainingExamples } from '../../src/agents/scorer/training-data.ts';
import type { HubSpotGateway } from '../../src/hubspot/gateway.ts';
import type { GroundTruth } from '../../src/sandbox/index.ts';

/**
 * Lead scorer on held-out accounts (5-fold out-of-fold probabilities, folds grouped by account), next to the
 * ground truth's Bayes-optimal AUC. The true pWin's own ECE on the same deals is printed as the noise floor:
 * with a few hundred deals, even perfect probabilities show a calibration error of that size.
 */
export interface ScorerScores {
  deals: number;
  won: number;
  auc: number;
  ece: number;
  brier: number;
  bayesAucReported: number;
  bayesAucSameDeals: number;
  bayesEceSameDeals: number;
  trainMs: number;
  model: ScorerModel;
}

export async function evaluateScorer(gateway: HubSpotGateway, truth: GroundTruth): Promise<ScorerScores> {
  const examples = await collectTrainingExamples(gateway);
  const t0 = performance.now();
  const { heldOut, model } = trainScorer(examples, { folds: 5 });
  const trainMs = performance.now() - t0;
  const pWin = new Map(truth.deals.map((d) => [d.id, d.pWin]));
  const truthP = examples.map((e) => pWin.get(e.dealId) ?? 0.5);
  return {
    deals: examples.length,
    won: examples.filter((e) => e.won).length,
    auc: auc(heldOut.probabilities, heldOut.labels),
    ece: expectedCalibrationError(heldOut.probabilities, heldOut.labels),
    brier: brierScore(heldOut.probabilities, heldOut.labels),
    bayesAucReported: truth.leadModel.bayesAuc,
    bayesAucSameDeals: auc(truthP, heldOut.labels),
    bayesEceSameDeals: expectedCalibrationError(truthP, heldOut.labels),
    trainMs,
    model,
  };
}
