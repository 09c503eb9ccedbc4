import type { HubSpotGateway } from '../../hubspot/gateway.ts';
import { silentLogger, type Logger } from '../../logging.ts';
import type { ScorerModel } from './model.ts';
import type { ScorerStore } from './scorer-store.ts';
import { trainScorer } from './train.ts';
import { collectTrainingExamples } from './training-data.ts';
import { validationStatus, VALIDATION_BAR } from './validation.ts';

/**
 * `hubspot-ai train-scorer`: reads the portal's closed-won and closed-lost deals, fits the calibrated lead
 * scorer, prints its held-out validation (AUC with its interval, calibration, the confidence it earned) and
 * whether it may write without a person, and stores it in the database as the portal's current scorer.
 */
export async function trainScorerCommand(deps: {
  gateway: HubSpotGateway;
  store: ScorerStore;
  logger?: Logger;
  /** Where the report goes (the CLI passes console.log). */
  print?: (line: string) => void;
  folds?: number;
}): Promise<{ model: ScorerModel; id: number }> {
  const logger = deps.logger ?? silentLogger;
  const print = deps.print ?? ((line: string) => logger.info(line));
  print('Reading closed deals and their accounts…');
  const examples = await collectTrainingExamples(deps.gateway, {
    onProgress: (done, total) => logger.debug({ done, total }, 'account histories read'),
  });
  const won = examples.filter((e) => e.won).length;
  print(`${examples.length} closed deals (${won} won, ${examples.length - won} lost) in ${new Set(examples.map((e) => e.accountId)).size} accounts`);
  const { model } = trainScorer(examples, { folds: deps.folds ?? 5 });
  const id = await deps.store.save(await deps.gateway.portalId(), model);
  for (const line of scorerReportLines(model)) print(line);
  print(`Stored as lead scorer #${id} (the current one for this portal)`);
  return { model, id };
}

/** The validation of a scorer in a few lines of at most 80 columns. */
export function scorerReportLines(model: ScorerModel): string[] {
  const e = model.evaluation;
  const v = model.validation;
  const status = validationStatus(v);
  const lines = [
    `Held-out (${e.folds}-fold, grouped by account): AUC ${e.auc.toFixed(3)}` +
      (v ? ` (95% CI ${v.aucInterval[0].toFixed(2)}–${v.aucInterval[1].toFixed(2)})` : ''),
    `  ECE ${e.ece.toFixed(3)}  Brier ${e.brier.toFixed(3)}  confidence bound ${status.confidenceBound.toFixed(2)}`,
  ];
  const top = model.featureNames
    .map((name, i) => ({ name, w: model.weights[i] ?? 0 }))
    .sort((a, b) => Math.abs(b.w) - Math.abs(a.w))
    .slice(0, 4)
    .map((f) => `${f.name.slice(0, 30)} ${f.w >= 0 ? '+' : ''}${f.w.toFixed(2)}`);
  lines.push('Strongest features (standardized weights):');
  for (let i = 0; i < top.length; i += 2) lines.push(`  ${top.slice(i, i + 2).join(', ')}`);
  if (status.validated) lines.push(`Validated: its scores may be written automatically (confidence ≤ ${status.confidenceBound.toFixed(2)}).`);
  else {
    lines.push('NOT validated: every score it proposes waits for a person (model_unvalidated).');
    lines.push(`  Needs: AUC interval above ${VALIDATION_BAR.minAucLow}, ≥ ${VALIDATION_BAR.minClosedDeals} closed deals.`);
  }
  return lines;
}
