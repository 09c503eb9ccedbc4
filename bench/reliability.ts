/**
 * `npm run reliability`: are lead-score proposals at confidence c right c ± 0.05 of the time?
 *
 *   npm run reliability -- --train-seeds 101,202,303 --train-companies 1000 --test-seeds 7,11,13,17,19 --test-companies 1000
 *
 * The scorer is trained as `hubspot-ai train-scorer` trains it (same code, 5 grouped folds, its validation and
 * confidence bound) on the training portals, then scores every closed deal of the test portals, which it never saw.
 * Each deal's confidence is the one the agent would propose for `ai_lead_score` (leadScoreProposals: the calibrated
 * probability of the implied outcome, capped at the scorer's held-out bound); it is right when the implied outcome
 * (won when p ≥ 0.5) is the recorded one. Printed: a reliability table (bins of 0.05 confidence: deals, mean
 * confidence, hit rate with its 95 % Wilson interval, within ± 0.05), the ECE of the confidences with a bootstrap
 * interval, and beside it two baselines: a constant confidence (the training hit rate, calibrated on average and
 * useless per deal) and the true probabilities of the generator (what a perfect model shows on these deals).
 *
 * Each bin also shows its expected hit rate: the mean, over its deals, of the generator's probability that the
 * implied outcome happens (pRecordedWin, or 1 − it). That is how often proposals at that confidence are right in
 * the long run, without the noise of which outcomes happened to be drawn; the observed hit rate differs from it by
 * sampling alone (its spread in a bin of 250 deals is ± 0.055 at 95 %). The goal is checked both ways: observed
 * (every bin of ≥ 30 deals within ± 0.05) and expected (the same on the expected hit rates). The true
 * probabilities' own largest observed bin gap on the same deals shows what sampling alone does to the first check.
 * Nothing here is fitted on the test seeds: the scorer, its calibration and its bound come from the training
 * portals (out-of-fold), the test seeds are only scored.
 */
import { parseArgs } from 'node:util';
import { leadScoreProposals } from '../src/agents/lead-score.ts';
import { scoreObservation } from '../src/agents/scorer/model.ts';
import { trainScorer } from '../src/agents/scorer/train.ts';
import { collectTrainingExamples, type LabelledExample } from '../src/agents/scorer/training-data.ts';
import { validationStatus, wilsonLower } from '../src/agents/scorer/validation.ts';
import { startSandbox } from '../src/sandbox/index.ts';
import type { TextStyle } from '../src/sandbox/phrasing/types.ts';
import { gatewayFor } from './lib/eval-scorer.ts';
import { bootstrap, round, type Interval } from './lib/eval-stats.ts';

const GOAL = 0.05;
const BIN = 0.05;

interface Point {
  /** The proposal's confidence. */
  c: number;
  right: boolean;
  /** The generator's probability that the proposal is right. */
  pRight: number;
}

interface Bin {
  from: number;
  to: number;
  n: number;
  meanConfidence: number;
  hitRate: number;
  hitRateCi: Interval;
  within: boolean;
  /** Mean probability, under the generator's truth, that the bin's proposals are right (no outcome noise). */
  expectedHitRate: number;
  expectedWithin: boolean;
}

function reliabilityBins(points: readonly Point[]): Bin[] {
  const bins: Bin[] = [];
  for (let from = 0.5; from < 1 - 1e-9; from += BIN) {
    const to = from + BIN;
    const inBin = points.filter((p) => p.c >= from - 1e-9 && (p.c < to - 1e-9 || (to >= 1 - 1e-9 && p.c <= 1)));
    if (inBin.length === 0) continue;
    const right = inBin.filter((p) => p.right).length;
    const meanConfidence = inBin.reduce((s, p) => s + p.c, 0) / inBin.length;
    const hitRate = right / inBin.length;
    const expectedHitRate = inBin.reduce((s, p) => s + p.pRight, 0) / inBin.length;
    bins.push({
      expectedHitRate,
      expectedWithin: Math.abs(expectedHitRate - meanConfidence) <= GOAL,
      from: round(from, 2),
      to: round(to, 2),
      n: inBin.length,
      meanConfidence,
      hitRate,
      hitRateCi: [wilsonLower(right, inBin.length), 1 - wilsonLower(inBin.length - right, inBin.length)],
      within: Math.abs(hitRate - meanConfidence) <= GOAL,
    });
  }
  return bins;
}

/** ECE over the table's bins: Σ (deals in bin / deals) · |hit rate − mean confidence|. */
function ece(points: readonly Point[]): number {
  return reliabilityBins(points).reduce((s, b) => s + (b.n / points.length) * Math.abs(b.hitRate - b.meanConfidence), 0);
}

/** Brier score of the confidences: low only when they are calibrated and tell right from wrong. */
function brier(points: readonly Point[]): number {
  return points.reduce((s, p) => s + (p.c - (p.right ? 1 : 0)) ** 2, 0) / Math.max(1, points.length);
}

async function examples(seed: number, companies: number, style: TextStyle): Promise<Array<LabelledExample & { pTrue: number }>> {
  const sb = await startSandbox({ port: 0, seed, companies, style, rateLimit: 0, whales: 0 });
  const gateway = gatewayFor(sb.url, sb.token);
  try {
    const truth = new Map(sb.groundTruth().deals.map((d) => [d.id, d.pRecordedWin]));
    // Accounts of different seeds share ids: keep their folds apart.
    return (await collectTrainingExamples(gateway)).map((e) => ({ ...e, groupId: `${seed}:${e.groupId}`, pTrue: truth.get(e.dealId) ?? 0.5 }));
  } finally {
    await gateway.close();
    await sb.close();
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: {
      'train-seeds': { type: 'string', default: '101,202,303' },
      'train-companies': { type: 'string', default: '1000' },
      'test-seeds': { type: 'string', default: '7,11,13,17,19' },
      'test-companies': { type: 'string', default: '1000' },
      style: { type: 'string', default: 'test' },
      json: { type: 'boolean', default: false },
    },
  });
  const ints = (v: string) => v.split(',').map(Number);
  const trainSeeds = ints(values['train-seeds']);
  const testSeeds = ints(values['test-seeds']);
  const style = values.style as TextStyle;
  if (style !== 'dev' && style !== 'test') throw new Error('--style: dev or test');
  if (testSeeds.some((s) => trainSeeds.includes(s))) throw new Error('--test-seeds must not overlap --train-seeds');
  const t0 = performance.now();
  const log = (m: string) => process.stderr.write(`[reliability ${((performance.now() - t0) / 1000).toFixed(0)}s] ${m}\n`);

  const train: LabelledExample[] = [];
  for (const s of trainSeeds) {
    log(`training portal seed ${s} (${values['train-companies']} companies)…`);
    train.push(...(await examples(s, Number(values['train-companies']), style)));
  }
  const { model } = trainScorer(train, { folds: 5 });
  const status = validationStatus(model.validation);
  const test: Array<LabelledExample & { pTrue: number }> = [];
  for (const s of testSeeds) {
    log(`test portal seed ${s} (${values['test-companies']} companies)…`);
    test.push(...(await examples(s, Number(values['test-companies']), style)));
  }

  const base = { portalId: '1', accountId: 'a', runId: 'r', agent: 'lead_score' as const, promptVersion: 'lead_score', model: 'offline', createdAt: new Date(0).toISOString() };
  const product: Point[] = test.map((e) => {
    const score = scoreObservation(model, e.observation);
    // The confidence the agent proposes, computed by the agent's own code.
    const proposal = leadScoreProposals({
      intent: { route: 'nurture', summary: '', reasons: [] }, score, observation: e.observation, scorer: model, base,
      target: { objectType: 'companies', objectId: 'a' }, current: {}, cited: [], contacts: [],
    }).find((p) => p.field === 'ai_lead_score')!;
    const saysWon = score.probability >= 0.5;
    return { c: proposal.confidence, right: saysWon === e.won, pRight: saysWon ? e.pTrue : 1 - e.pTrue };
  });
  const constant = product.reduce((s, p) => s + (p.right ? 1 : 0), 0) / Math.max(1, product.length);
  const oracle: Point[] = test.map((e) => ({ c: Math.max(e.pTrue, 1 - e.pTrue), right: e.pTrue >= 0.5 === e.won, pRight: Math.max(e.pTrue, 1 - e.pTrue) }));
  const maxGap = (bs: Bin[]) => Math.max(0, ...bs.filter((b) => b.n >= 30).map((b) => Math.abs(b.hitRate - b.meanConfidence)));
  const eceCi = bootstrap(product.length, (idx) => ece(idx.map((i) => product[i]!)), 500, 7);
  const bins = reliabilityBins(product);
  const result = {
    trainSeeds, testSeeds, style,
    trainDeals: train.length,
    testDeals: test.length,
    scorer: status.summary,
    validated: status.validated,
    confidenceBound: round(status.confidenceBound, 3),
    ece: round(ece(product), 4),
    brier: round(brier(product), 4),
    eceCi: [round(eceCi[0], 4), round(eceCi[1], 4)] as Interval,
    goal: `|hit rate − confidence| ≤ ${GOAL} (ECE and every bin with ≥ 30 deals)`,
    met: ece(product) <= GOAL && bins.every((b) => b.n < 30 || b.within),
    metInExpectation: bins.every((b) => b.n < 30 || b.expectedWithin),
    largestGap: round(maxGap(bins), 3),
    largestExpectedGap: round(Math.max(0, ...bins.filter((b) => b.n >= 30).map((b) => Math.abs(b.expectedHitRate - b.meanConfidence))), 3),
    bins: bins.map((b) => ({ ...b, meanConfidence: round(b.meanConfidence, 3), hitRate: round(b.hitRate, 3), expectedHitRate: round(b.expectedHitRate, 3), hitRateCi: [round(b.hitRateCi[0], 3), round(b.hitRateCi[1], 3)] as Interval })),
    baselines: {
      constantConfidence: { confidence: round(constant, 3), ece: round(ece(product.map((p) => ({ ...p, c: constant }))), 4), brier: round(brier(product.map((p) => ({ ...p, c: constant }))), 4), note: 'the test hit rate itself: calibrated by construction, says nothing per deal' },
      trueProbabilities: { ece: round(ece(oracle), 4), brier: round(brier(oracle), 4), largestGap: round(maxGap(reliabilityBins(oracle)), 3), note: "the generator's own probabilities: the ECE and largest bin gap that sampling noise alone gives on these deals" },
    },
  };
  if (values.json) {
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    return;
  }
  const lines = [
    `Lead-score confidence reliability (${style} style): trained on seeds ${trainSeeds.join(',')} (${train.length} closed deals),`,
    `tested on seeds ${testSeeds.join(',')} (${test.length} closed deals it never saw).`,
    `Scorer: ${status.summary}`,
    '',
    'confidence  deals  mean conf  hit rate [95% CI]    ±0.05  expected  ±0.05',
    ...result.bins.map((b) => `${b.from.toFixed(2)}–${b.to.toFixed(2)}  ${String(b.n).padStart(5)}  ${b.meanConfidence.toFixed(3).padStart(9)}  ${b.hitRate.toFixed(3)} [${b.hitRateCi[0].toFixed(3)}–${b.hitRateCi[1].toFixed(3)}]  ${(b.within ? 'yes' : b.n < 30 ? 'n<30' : 'NO').padStart(5)}  ${b.expectedHitRate.toFixed(3).padStart(8)}  ${(b.expectedWithin ? 'yes' : b.n < 30 ? 'n<30' : 'NO').padStart(5)}`),
    '',
    `ECE ${result.ece.toFixed(3)} [${result.eceCi[0].toFixed(3)}–${result.eceCi[1].toFixed(3)}], Brier ${result.brier.toFixed(3)}`,
    `goal, observed hit rates: ${result.met ? 'met' : 'NOT met'} (largest bin gap ${result.largestGap.toFixed(3)}; the true probabilities' own: ${result.baselines.trueProbabilities.largestGap.toFixed(3)})`,
    `goal, expected hit rates: ${result.metInExpectation ? 'met' : 'NOT met'} (largest bin gap ${result.largestExpectedGap.toFixed(3)})`,
    `baselines: constant ${result.baselines.constantConfidence.confidence.toFixed(3)}: ECE ${result.baselines.constantConfidence.ece.toFixed(3)}, Brier ${result.baselines.constantConfidence.brier.toFixed(3)};`,
    `  true probabilities: ECE ${result.baselines.trueProbabilities.ece.toFixed(3)}, Brier ${result.baselines.trueProbabilities.brier.toFixed(3)} (noise floor, ${test.length} deals)`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
