import type { HubSpotGateway } from '../../hubspot/gateway.ts';
import { silentLogger, type Logger } from '../../logging.ts';
import { saveScorer, type ScorerModel } from './model.ts';
import { trainScorer } from './train.ts';
import { collectTrainingExamples } from './training-data.ts';

/**
 * `hubspot-ai train-scorer`: reads the portal's closed-won and closed-lost deals, fits the calibrated lead
 * scorer, prints held-out AUC and calibration error, and saves `DATA_DIR/scorer.json`.
 */
export async function trainScorerCommand(deps: {
  gateway: HubSpotGateway;
  dataDir: string;
  logger?: Logger;
  /** Where the report goes (the CLI passes console.log). */
  print?: (line: string) => void;
  folds?: number;
}): Promise<{ model: ScorerModel; file: string }> {
  const logger = deps.logger ?? silentLogger;
  const print = deps.print ?? ((line: string) => logger.info(line));
  print('Reading closed deals and their accounts…');
  const examples = await collectTrainingExamples(deps.gateway, {
    onProgress: (done, total) => logger.debug({ done, total }, 'account histories read'),
  });
  const won = examples.filter((e) => e.won).length;
  print(`${examples.length} closed deals (${won} won, ${examples.length - won} lost) in ${new Set(examples.map((e) => e.accountId)).size} accounts`);
  const { model } = trainScorer(examples, { folds: deps.folds ?? 5 });
  const file = saveScorer(deps.dataDir, model);
  const e = model.evaluation;
  print(`Held-out (${e.folds}-fold, grouped by account): AUC ${e.auc.toFixed(3)}  ECE ${e.ece.toFixed(3)}  Brier ${e.brier.toFixed(3)}`);
  const top = model.featureNames
    .map((name, i) => ({ name, w: model.weights[i] ?? 0 }))
    .sort((a, b) => Math.abs(b.w) - Math.abs(a.w))
    .slice(0, 6)
    .map((f) => `${f.name} ${f.w >= 0 ? '+' : ''}${f.w.toFixed(2)}`)
    .join(', ');
  print(`Strongest features (standardized weights): ${top}`);
  print(`Saved ${file}`);
  return { model, file };
}
