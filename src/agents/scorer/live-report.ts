import { wrapWords } from '../../core/wrap.ts';
import { auc, brierScore, expectedCalibrationError } from './evaluation.ts';
import { bootstrapAucInterval, wilsonLower, type ScorerValidation } from './validation.ts';

/**
 * `hubspot-ai scorer report`: as deals close, their outcomes are compared with the lead scores proposed for their
 * accounts before they closed (the newest score proposed at or before the close date). Two views: every score
 * proposed (also while the scorer was unvalidated and its scores waited for review) and the scores written to
 * HubSpot. Figures: AUC with its bootstrap interval, ECE, Brier and a reliability table; drift is the live AUC and
 * ECE against the scorer's held-out validation. Pure functions here; the command reads the audit log and HubSpot.
 */

export interface LiveScore {
  accountId: string;
  at: string;
  /** The proposed score / 100. */
  probability: number;
  /** Whether this proposal was applied to HubSpot. */
  written: boolean;
  /** The proposal's confidence (the calibrated probability of the implied outcome, capped); absent in old entries. */
  confidence?: number;
}

export interface ClosedOutcome {
  dealId: string;
  accountId: string;
  closedAt: string;
  won: boolean;
}

export interface LiveFigures {
  n: number;
  won: number;
  auc: number | null;
  aucInterval: [number, number] | null;
  ece: number | null;
  brier: number | null;
  /** Equal-width bins of the score: mean score and observed win rate. */
  reliability: Array<{ from: number; to: number; n: number; meanScore: number; winRate: number }>;
}

/**
 * Whether the confidence the proposals carried held: a proposal is right when the outcome it implies (won at a score
 * ≥ 50) happened. The promise is that proposals at confidence c are right c ± 0.05 of the time.
 */
export interface ConfidenceReliability {
  n: number;
  meanConfidence: number | null;
  hitRate: number | null;
  /** 95 % Wilson interval of the hit rate. */
  hitRateInterval: [number, number] | null;
  /** Σ (n_b / n)·|hit rate − mean confidence| over bins of 0.05 confidence: the live counterpart of the goal. */
  gap: number | null;
  /** The hit rate's whole interval lies below mean confidence − 0.05: the confidences are demonstrably too high. */
  overconfident: boolean;
}

export interface LiveReport {
  proposed: LiveFigures;
  written: LiveFigures;
  validation: ScorerValidation | null;
  /** Held-out AUC minus live AUC (all proposed scores); positive means the scorer got worse. */
  aucDrift: number | null;
  /** Live ECE minus held-out ECE (all proposed scores); positive means calibration got worse. */
  eceDrift: number | null;
  /** How the confidence of the proposals that carried one held against outcomes. */
  confidence: ConfidenceReliability;
  retrain: boolean;
  advice: string[];
}

/** Each closed deal with the newest score of its account proposed at or before it closed. */
export function pairScoresWithOutcomes(scores: readonly LiveScore[], outcomes: readonly ClosedOutcome[]): Array<{ score: LiveScore; outcome: ClosedOutcome }> {
  const byAccount = new Map<string, LiveScore[]>();
  for (const s of scores) byAccount.set(s.accountId, [...(byAccount.get(s.accountId) ?? []), s]);
  for (const list of byAccount.values()) list.sort((a, b) => a.at.localeCompare(b.at));
  const pairs: Array<{ score: LiveScore; outcome: ClosedOutcome }> = [];
  for (const o of outcomes) {
    const before = (byAccount.get(o.accountId) ?? []).filter((s) => Date.parse(s.at) <= Date.parse(o.closedAt));
    const last = before[before.length - 1];
    if (last) pairs.push({ score: last, outcome: o });
  }
  return pairs;
}

export function liveFigures(probs: readonly number[], labels: readonly boolean[]): LiveFigures {
  const n = probs.length;
  const won = labels.filter(Boolean).length;
  const both = won > 0 && won < n;
  const reliability: LiveFigures['reliability'] = [];
  for (let b = 0; b < 5; b++) {
    const from = b / 5;
    const to = (b + 1) / 5;
    const idx = probs.flatMap((p, i) => (p >= from && (p < to || (b === 4 && p <= 1)) ? [i] : []));
    if (idx.length === 0) continue;
    reliability.push({
      from, to, n: idx.length,
      meanScore: idx.reduce((s, i) => s + probs[i]!, 0) / idx.length,
      winRate: idx.filter((i) => labels[i]).length / idx.length,
    });
  }
  return {
    n,
    won,
    auc: both ? auc(probs, labels) : null,
    aucInterval: both ? bootstrapAucInterval(probs, labels, { resamples: 500 }) : null,
    ece: n > 0 ? expectedCalibrationError(probs, labels, Math.min(10, Math.max(1, Math.floor(n / 10)))) : null,
    brier: n > 0 ? brierScore(probs, labels) : null,
    reliability,
  };
}

/** How far the live hit rate may sit from the proposals' confidence (the reliability goal, ± 0.05). */
export const CONFIDENCE_TOLERANCE = 0.05;

export function confidenceReliability(points: ReadonlyArray<{ confidence: number; right: boolean }>): ConfidenceReliability {
  const n = points.length;
  if (n === 0) return { n, meanConfidence: null, hitRate: null, hitRateInterval: null, gap: null, overconfident: false };
  const right = points.filter((p) => p.right).length;
  const meanConfidence = points.reduce((s, p) => s + p.confidence, 0) / n;
  const hitRate = right / n;
  const bins = new Map<number, { n: number; c: number; right: number }>();
  for (const p of points) {
    const b = Math.min(19, Math.floor(p.confidence / 0.05 + 1e-9));
    const x = bins.get(b) ?? { n: 0, c: 0, right: 0 };
    x.n++;
    x.c += p.confidence;
    if (p.right) x.right++;
    bins.set(b, x);
  }
  let gap = 0;
  for (const x of bins.values()) gap += (x.n / n) * Math.abs(x.right / x.n - x.c / x.n);
  const interval: [number, number] = [wilsonLower(right, n), 1 - wilsonLower(n - right, n)];
  return { n, meanConfidence, hitRate, hitRateInterval: interval, gap, overconfident: interval[1] < meanConfidence - CONFIDENCE_TOLERANCE };
}

/** Below this many scored outcomes the live figures are too noisy to act on. */
export const MIN_LIVE_OUTCOMES = 30;

export function liveReport(scores: readonly LiveScore[], outcomes: readonly ClosedOutcome[], validation: ScorerValidation | null): LiveReport {
  const pairs = pairScoresWithOutcomes(scores, outcomes);
  const written = pairs.filter((p) => p.score.written);
  const proposed = liveFigures(pairs.map((p) => p.score.probability), pairs.map((p) => p.outcome.won));
  const writtenFigures = liveFigures(written.map((p) => p.score.probability), written.map((p) => p.outcome.won));
  const aucDrift = validation && proposed.auc !== null ? validation.auc - proposed.auc : null;
  const eceDrift = validation && proposed.ece !== null ? proposed.ece - validation.ece : null;
  const confidence = confidenceReliability(
    pairs.flatMap((p) => (p.score.confidence === undefined ? [] : [{ confidence: p.score.confidence, right: p.score.probability >= 0.5 === p.outcome.won }])),
  );
  const advice: string[] = [];
  let retrain = false;
  if (!validation) advice.push('No trained scorer: run `hubspot-ai train-scorer`.');
  if (proposed.n < MIN_LIVE_OUTCOMES) advice.push(`Only ${proposed.n} closed deals had a score before they closed (need ${MIN_LIVE_OUTCOMES} to judge drift).`);
  else if (validation) {
    if (proposed.aucInterval && proposed.aucInterval[1] < validation.aucInterval[0]) {
      retrain = true;
      advice.push(`Live AUC ${proposed.auc!.toFixed(2)} is below the held-out interval ${validation.aucInterval[0].toFixed(2)}–${validation.aucInterval[1].toFixed(2)}: retrain.`);
    }
    if (proposed.ece !== null && proposed.ece > Math.max(0.1, validation.ece * 2)) {
      retrain = true;
      advice.push(`Live calibration error ${proposed.ece.toFixed(3)} is over twice the held-out ${validation.ece.toFixed(3)} (or over 0.10): retrain.`);
    }
    if (confidence.n >= MIN_LIVE_OUTCOMES && confidence.overconfident) {
      retrain = true;
      const [lo, hi] = confidence.hitRateInterval!;
      advice.push(`Proposals were right ${(confidence.hitRate! * 100).toFixed(0)}% of the time (95% CI ${(lo * 100).toFixed(0)}–${(hi * 100).toFixed(0)}%) at a mean confidence of ${(confidence.meanConfidence! * 100).toFixed(0)}%: the confidences are too high; retrain.`);
    }
    if (outcomes.length >= validation.closedDeals * 1.25) {
      retrain = true;
      advice.push(`${outcomes.length} deals have closed, ${validation.closedDeals} at training: retrain to learn from the newer ones.`);
    }
    if (!retrain) advice.push('Live scores agree with the held-out validation: no need to retrain.');
  }
  return { proposed, written: writtenFigures, validation, aucDrift, eceDrift, confidence, retrain, advice };
}

/** The report in lines of at most 80 columns. */
export function liveReportLines(r: LiveReport): string[] {
  const fmt = (x: number | null, d = 3) => (x === null ? '–' : x.toFixed(d));
  const row = (name: string, f: LiveFigures) =>
    `${name.padEnd(9)}${String(f.n).padStart(5)}${String(f.won).padStart(6)}  ${fmt(f.auc, 2).padStart(4)} ${f.aucInterval ? `(${fmt(f.aucInterval[0], 2)}–${fmt(f.aucInterval[1], 2)})` : '           '}  ${fmt(f.ece).padStart(5)}  ${fmt(f.brier).padStart(5)}`;
  const v = r.validation;
  const lines = [
    'Live lead scores against the deals that closed after them',
    `${'scores'.padEnd(9)}${'deals'.padStart(5)}${'won'.padStart(6)}  AUC  (95% CI)       ECE    Brier`,
    row('proposed', r.proposed),
    row('written', r.written),
  ];
  if (v) {
    lines.push(`${'held-out'.padEnd(9)}${String(v.closedDeals).padStart(5)}${String(v.won).padStart(6)}  ${v.auc.toFixed(2)} (${v.aucInterval[0].toFixed(2)}–${v.aucInterval[1].toFixed(2)})  ${v.ece.toFixed(3).padStart(5)}  ${v.brier.toFixed(3).padStart(5)}`);
  }
  if (r.proposed.reliability.length) {
    lines.push('Reliability (proposed): score band → mean score, win rate, deals');
    for (const b of r.proposed.reliability) {
      lines.push(`  ${String(Math.round(b.from * 100)).padStart(3)}–${String(Math.round(b.to * 100)).padEnd(3)}  ${(b.meanScore * 100).toFixed(0).padStart(3)}  ${(b.winRate * 100).toFixed(0).padStart(3)}%  ${String(b.n).padStart(4)}`);
    }
  }
  if (r.aucDrift !== null) lines.push(`AUC drift (held-out − live): ${r.aucDrift >= 0 ? '+' : ''}${r.aucDrift.toFixed(2)}`);
  if (r.eceDrift !== null) lines.push(`ECE drift (live − held-out): ${r.eceDrift >= 0 ? '+' : ''}${r.eceDrift.toFixed(3)}`);
  const c = r.confidence;
  if (c.n > 0 && c.hitRate !== null && c.hitRateInterval && c.meanConfidence !== null && c.gap !== null) {
    lines.push(...wrapWords(
      `Confidence: ${c.n} proposals, mean ${c.meanConfidence.toFixed(2)}, right ${c.hitRate.toFixed(2)} (95% CI ${c.hitRateInterval[0].toFixed(2)}–${c.hitRateInterval[1].toFixed(2)}), gap ${c.gap.toFixed(3)} (goal ≤ ${CONFIDENCE_TOLERANCE})`,
      { rest: '  ' },
    ));
  }
  for (const a of r.advice) lines.push(...wrapWords(a, { rest: '  ' }));
  return lines;
}
