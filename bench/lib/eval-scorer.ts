import { auc, brierScore, expectedCalibrationError, logLoss } from '../../src/agents/scorer/evaluation.ts';
import { scoreObservation, type ScorerModel } from '../../src/agents/scorer/model.ts';
import { trainScorer } from '../../src/agents/scorer/train.ts';
import { collectTrainingExamples, type LabelledExample } from '../../src/agents/scorer/training-data.ts';
import { createHubSpotGateway } from '../../src/hubspot/create-gateway.ts';
import type { HubSpotGateway } from '../../src/hubspot/gateway.ts';
import { startSandbox } from '../../src/sandbox/index.ts';
import { expectedAuc } from '../../src/sandbox/lead-model.ts';
import type { TextStyle } from '../../src/sandbox/phrasing/types.ts';
import type { GroundTruth } from '../../src/sandbox/types.ts';
import { bootstrap, mean, seededRandom, type Interval } from './eval-stats.ts';

/**
 * The lead scorer, trained as `hubspot-ai train-scorer` trains it (same features, same code) on portals of other
 * seeds, and tested on the eval's portal, whose deals it never saw. The truth it is compared with is the
 * generator's probability of each recorded outcome (hidden drivers and label noise included):
 *   - AUC with a bootstrap interval, beside the Bayes AUC of the true probabilities on the same deals and the
 *     expected Bayes AUC over label redraws (what ranking by the truth gives on average, not one draw);
 *   - log-loss gap: mean KL(true ‖ scorer) in nats, the extra log-loss the scorer pays per deal in expectation
 *     (0 for a perfect scorer, no label noise in the measure);
 *   - ECE with a goal sized so that a correct model passes: the 95th percentile of the true probabilities' own
 *     ECE when labels are redrawn from them, on the same number of deals;
 *   - a reliability diagram (SVG).
 */

export interface ScorerMetrics {
  deals: number;
  won: number;
  auc: number;
  aucCi: Interval;
  bayesAuc: number;
  expectedBayesAuc: number;
  aucGapToExpectedBayes: number;
  ece: number;
  eceCi: Interval;
  /** ECE a correct model stays under in 95% of label redraws at this number of deals. */
  eceGoal: number;
  brier: number;
  logLoss: number;
  trueLogLoss: number;
  /** Mean KL(true ‖ scorer), nats per deal. */
  logLossGap: number;
  logLossGapCi: Interval;
}

const EPS = 1e-9;
const clamp = (x: number) => Math.min(1 - EPS, Math.max(EPS, x));

export function klBernoulli(p: number, q: number): number {
  const a = clamp(p);
  const b = clamp(q);
  return a * Math.log(a / b) + (1 - a) * Math.log((1 - a) / (1 - b));
}

/** Metrics of forecasts `q` against recorded outcomes `y`, with the true probabilities `p` of those outcomes. */
export function scorerMetrics(q: readonly number[], y: readonly boolean[], p: readonly number[], seed = 7): ScorerMetrics {
  const n = q.length;
  const pick = <T>(xs: readonly T[], idx: number[]) => idx.map((i) => xs[i]!);
  const kl = q.map((qi, i) => klBernoulli(p[i]!, qi));
  const rand = seededRandom(seed);
  const redraws: number[] = [];
  for (let r = 0; r < 200; r++) {
    const y2 = p.map((pi) => rand() < pi);
    redraws.push(expectedCalibrationError(p, y2));
  }
  redraws.sort((a, b) => a - b);
  const a = auc(q, y);
  const eb = expectedAuc([...p]);
  return {
    deals: n,
    won: y.filter(Boolean).length,
    auc: a,
    aucCi: bootstrap(n, (idx) => auc(pick(q, idx), pick(y, idx)), 500, seed),
    bayesAuc: auc(p, y),
    expectedBayesAuc: eb,
    aucGapToExpectedBayes: eb - a,
    ece: expectedCalibrationError(q, y),
    eceCi: bootstrap(n, (idx) => expectedCalibrationError(pick(q, idx), pick(y, idx)), 500, seed),
    eceGoal: redraws[Math.floor(redraws.length * 0.95)] ?? 0,
    brier: brierScore(q, y),
    logLoss: logLoss(q, y),
    trueLogLoss: logLoss(p, y),
    logLossGap: mean(kl),
    logLossGapCi: bootstrap(n, (idx) => mean(pick(kl, idx)), 500, seed),
  };
}

// Several test seeds with the same --train-seeds read each training portal once per run.
const trainedModels = new Map<string, { product: ScorerModel; crmOnly: ScorerModel }>();
const trainingPortals = new Map<string, Promise<LabelledExample[]>>();

function examplesOf(seed: number, companies: number, style: TextStyle): Promise<LabelledExample[]> {
  const key = `${seed}/${companies}/${style}`;
  let p = trainingPortals.get(key);
  if (!p) trainingPortals.set(key, (p = readExamples(seed, companies, style)));
  return p;
}

async function readExamples(seed: number, companies: number, style: TextStyle): Promise<LabelledExample[]> {
  const sb = await startSandbox({ port: 0, seed, companies, style, rateLimit: 0, whales: 0 });
  const gateway = gatewayFor(sb.url, sb.token);
  try {
    // Accounts of different seeds share ids: keep their folds apart.
    return (await collectTrainingExamples(gateway)).map((e) => ({ ...e, groupId: `${seed}:${e.groupId}` }));
  } finally {
    await gateway.close();
    await sb.close();
  }
}

export function gatewayFor(baseUrl: string, accessToken: string): HubSpotGateway {
  return createHubSpotGateway({ baseUrl, accessToken, rateLimitPer10s: 10_000, searchPerSecond: 50, timeoutMs: 30_000, maxRetries: 4 });
}

export interface ScorerEval {
  trainSeeds: number[];
  trainDeals: number;
  model: ScorerModel;
  metrics: ScorerMetrics;
  /** The same trainer on the CRM fields only (no history words): the baseline beside the product's AUC. */
  crmOnlyAuc: number;
  crmOnlyAucCi: Interval;
  /** Per test deal: forecast, recorded outcome, true probability (for the reliability diagram). */
  points: Array<{ q: number; y: boolean; p: number }>;
}

export async function evaluateScorer(testGateway: HubSpotGateway, truth: GroundTruth, opts: { trainSeeds: number[]; trainCompanies: number; style: TextStyle; log?: (m: string) => void }): Promise<ScorerEval> {
  const train: LabelledExample[] = [];
  for (const s of opts.trainSeeds) {
    opts.log?.(`scorer: reading closed deals of training portal seed ${s} (${opts.trainCompanies} companies)…`);
    train.push(...(await examplesOf(s, opts.trainCompanies, opts.style)));
  }
  // The same training portals (explicit --train-seeds) give the same models: fit them once per run. Beside the
  // product's scorer, the same trainer without the history's words (the CRM fields only) is the baseline.
  const key = `${opts.trainSeeds.join(',')}/${opts.trainCompanies}/${opts.style}`;
  let models = trainedModels.get(key);
  if (!models) {
    opts.log?.(`scorer: training on ${train.length} deals (with and without the history's words)…`);
    models = { product: trainScorer(train, { folds: 5 }).model, crmOnly: trainScorer(train, { folds: 5, text: false }).model };
    trainedModels.set(key, models);
  }
  const { product: model, crmOnly } = models;
  const test = await collectTrainingExamples(testGateway);
  const truthOf = new Map(truth.deals.map((d) => [d.id, d.pRecordedWin]));
  const scored = test.filter((e) => truthOf.has(e.dealId));
  const points = scored.map((e) => ({ q: scoreObservation(model, e.observation).probability, y: e.won, p: truthOf.get(e.dealId)! }));
  const y = points.map((x) => x.y);
  const baseline = scored.map((e) => scoreObservation(crmOnly, e.observation).probability);
  return {
    trainSeeds: opts.trainSeeds,
    trainDeals: train.length,
    model,
    metrics: scorerMetrics(points.map((x) => x.q), y, points.map((x) => x.p)),
    crmOnlyAuc: auc(baseline, y),
    crmOnlyAucCi: bootstrap(y.length, (idx) => auc(idx.map((i) => baseline[i]!), idx.map((i) => y[i]!)), 500, 7),
    points,
  };
}

export function reliabilitySvg(points: ReadonlyArray<{ q: number; y: boolean; p: number }>, title: string): string {
  const W = 520;
  const H = 440;
  const m = { l: 56, r: 16, t: 36, b: 52 };
  const x = (v: number) => m.l + v * (W - m.l - m.r);
  const yv = (v: number) => H - m.b - v * (H - m.t - m.b);
  const bins = Array.from({ length: 10 }, (_, i) => points.filter((pt) => Math.min(9, Math.floor(pt.q * 10)) === i));
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`);
  parts.push(`<rect width="${W}" height="${H}" fill="#fff"/>`);
  parts.push(`<text x="${W / 2}" y="20" text-anchor="middle" font-size="14">${escapeXml(title)}</text>`);
  for (let i = 0; i <= 10; i += 2) {
    const v = i / 10;
    parts.push(`<line x1="${x(v)}" y1="${yv(0)}" x2="${x(v)}" y2="${yv(1)}" stroke="#eee"/><line x1="${x(0)}" y1="${yv(v)}" x2="${x(1)}" y2="${yv(v)}" stroke="#eee"/>`);
    parts.push(`<text x="${x(v)}" y="${yv(0) + 16}" text-anchor="middle">${v.toFixed(1)}</text><text x="${x(0) - 8}" y="${yv(v) + 4}" text-anchor="end">${v.toFixed(1)}</text>`);
  }
  parts.push(`<line x1="${x(0)}" y1="${yv(0)}" x2="${x(1)}" y2="${yv(1)}" stroke="#999" stroke-dasharray="4 4"/>`);
  parts.push(`<text x="${W / 2}" y="${H - 12}" text-anchor="middle">scorer's predicted win probability (decile bins; dot area = deals)</text>`);
  parts.push(`<text transform="translate(16 ${H / 2}) rotate(-90)" text-anchor="middle">observed win rate (recorded outcomes)</text>`);
  const maxN = Math.max(1, ...bins.map((b) => b.length));
  bins.forEach((b) => {
    if (b.length === 0) return;
    const mq = mean(b.map((pt) => pt.q));
    const obs = mean(b.map((pt) => (pt.y ? 1 : 0)));
    const mp = mean(b.map((pt) => pt.p));
    // Wilson 95% interval of the observed rate.
    const z = 1.96;
    const n = b.length;
    const c = (obs + (z * z) / (2 * n)) / (1 + (z * z) / n);
    const h = (z * Math.sqrt((obs * (1 - obs)) / n + (z * z) / (4 * n * n))) / (1 + (z * z) / n);
    parts.push(`<line x1="${x(mq)}" y1="${yv(Math.max(0, c - h))}" x2="${x(mq)}" y2="${yv(Math.min(1, c + h))}" stroke="#2563eb" stroke-width="1.5"/>`);
    parts.push(`<circle cx="${x(mq)}" cy="${yv(obs)}" r="${3 + 7 * Math.sqrt(n / maxN)}" fill="#2563eb" fill-opacity="0.75"><title>${n} deals: predicted ${mq.toFixed(3)}, observed ${obs.toFixed(3)}, true ${mp.toFixed(3)}</title></circle>`);
    parts.push(`<rect x="${x(mq) - 4}" y="${yv(mp) - 4}" width="8" height="8" fill="none" stroke="#dc2626" stroke-width="1.5"/>`);
  });
  parts.push(`<circle cx="${m.l + 14}" cy="${m.t + 10}" r="5" fill="#2563eb"/><text x="${m.l + 24}" y="${m.t + 14}">observed (95% interval)</text>`);
  parts.push(`<rect x="${m.l + 9}" y="${m.t + 24}" width="10" height="10" fill="none" stroke="#dc2626" stroke-width="1.5"/><text x="${m.l + 24}" y="${m.t + 33}">mean true probability in the bin</text>`);
  parts.push('</svg>');
  return parts.join('\n');
}

function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
