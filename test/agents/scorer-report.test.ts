import { describe, expect, it } from 'vitest';
import { confidenceReliability, liveReport, liveReportLines, pairScoresWithOutcomes, type ClosedOutcome, type LiveScore } from '../../src/agents/scorer/live-report.ts';
import { scoresFromAudit } from '../../src/writeback/scorer-report/scores-from-audit.ts';
import type { ScorerValidation } from '../../src/agents/scorer/validation.ts';
import type { AuditEntry } from '../../src/writeback/audit-store.ts';

/** `hubspot-ai scorer report`: live scores against the outcomes of deals that closed after them. */

const validation: ScorerValidation = {
  trainedAt: '2026-10-01T00:00:00.000Z', closedDeals: 300, won: 120, folds: 5, auc: 0.8, aucInterval: [0.74, 0.86], ece: 0.04, brier: 0.18, features: ['meetings'], confidenceBound: 0.82,
};

function lcg(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648;
  };
}

/** n accounts scored on day 1, their deals closed on day 10; `informative` decides whether scores predict outcomes. */
function world(n: number, informative: boolean, seed = 3): { scores: LiveScore[]; outcomes: ClosedOutcome[] } {
  const r = lcg(seed);
  const scores: LiveScore[] = [];
  const outcomes: ClosedOutcome[] = [];
  for (let i = 0; i < n; i++) {
    const p = r();
    scores.push({ accountId: `a${i}`, at: '2026-11-01T00:00:00.000Z', probability: p, written: i % 2 === 0 });
    outcomes.push({ dealId: `d${i}`, accountId: `a${i}`, closedAt: '2026-11-10T00:00:00.000Z', won: r() < (informative ? p : 0.4) });
  }
  return { scores, outcomes };
}

describe('scorer report', () => {
  it('pairs each closed deal with the newest score of its account proposed before it closed', () => {
    const scores: LiveScore[] = [
      { accountId: 'a', at: '2026-11-01T00:00:00Z', probability: 0.2, written: false },
      { accountId: 'a', at: '2026-11-05T00:00:00Z', probability: 0.7, written: true },
      { accountId: 'a', at: '2026-11-20T00:00:00Z', probability: 0.9, written: true },
      { accountId: 'b', at: '2026-11-20T00:00:00Z', probability: 0.9, written: true },
    ];
    const outcomes: ClosedOutcome[] = [
      { dealId: '1', accountId: 'a', closedAt: '2026-11-10T00:00:00Z', won: true },
      { dealId: '2', accountId: 'b', closedAt: '2026-11-10T00:00:00Z', won: false },
    ];
    const pairs = pairScoresWithOutcomes(scores, outcomes);
    expect(pairs).toHaveLength(1);
    expect(pairs[0]!.score.probability).toBe(0.7);
  });

  it('reads proposed and written scores from the audit log, ignoring dry runs and other fields', () => {
    const base = { id: 1, at: '2026-11-01T00:00:00.000Z', agent: 'lead_score', accountId: '7', field: 'ai_lead_score', dryRun: false } as unknown as AuditEntry;
    const entries = [
      { ...base, event: 'decided', proposalId: 'p1', proposedValue: '64' },
      { ...base, event: 'applied', proposalId: 'p1', proposedValue: '64' },
      { ...base, event: 'decided', proposalId: 'p2', proposedValue: '30' },
      { ...base, event: 'decided', proposalId: 'p3', proposedValue: '30', dryRun: true },
      { ...base, event: 'decided', proposalId: 'p4', proposedValue: 'route_to_sdr', field: 'ai_recommendation' },
    ] as AuditEntry[];
    expect(scoresFromAudit(entries)).toEqual([
      { accountId: '7', at: base.at, probability: 0.64, written: true },
      { accountId: '7', at: base.at, probability: 0.3, written: false },
    ]);
  });

  it('finds no drift when live scores predict as validated, and says to retrain when they stopped predicting', () => {
    const good = world(340, true);
    const ok = liveReport(good.scores, good.outcomes, validation);
    expect(ok.proposed.n).toBe(340);
    expect(ok.written.n).toBe(170);
    expect(ok.proposed.auc!).toBeGreaterThan(0.7);
    expect(ok.retrain).toBe(false);
    const bad = world(400, false);
    const drifted = liveReport(bad.scores, bad.outcomes.slice(0, 300), validation);
    expect(drifted.proposed.auc!).toBeLessThan(0.65);
    expect(drifted.aucDrift!).toBeGreaterThan(0.15);
    expect(drifted.retrain).toBe(true);
    expect(drifted.advice.join(' ')).toMatch(/below the held-out interval 0\.74–0\.86: retrain/);
    for (const line of liveReportLines(drifted)) expect(line.length).toBeLessThanOrEqual(80);
  });

  it('does not judge on too few outcomes', () => {
    const few = world(10, true);
    const r = liveReport(few.scores, few.outcomes, validation);
    expect(r.retrain).toBe(false);
    expect(r.advice[0]).toMatch(/Only 10 closed deals had a score/);
  });

  it('checks the proposals\' confidence against outcomes: held when calibrated, retrain when demonstrably too high', () => {
    // Calibrated: the confidence is the probability of the implied outcome, and outcomes are drawn from it.
    const good = world(400, true, 5);
    const calibrated = liveReport(good.scores.map((s) => ({ ...s, confidence: Math.max(s.probability, 1 - s.probability) })), good.outcomes, validation);
    expect(calibrated.confidence.n).toBe(400);
    expect(calibrated.confidence.overconfident).toBe(false);
    expect(calibrated.confidence.gap!).toBeLessThan(0.08);
    expect(calibrated.eceDrift).not.toBeNull();
    // Over-confident: proposals said 0.9 while outcomes ignore the score.
    const bad = world(400, false, 5);
    const over = liveReport(bad.scores.map((s) => ({ ...s, confidence: 0.9 })), bad.outcomes.slice(0, 300), validation);
    expect(over.confidence.overconfident).toBe(true);
    expect(over.confidence.gap!).toBeGreaterThan(0.25);
    expect(over.retrain).toBe(true);
    expect(over.advice.join(' ')).toMatch(/at a mean confidence of 90%: the confidences are too high; retrain/);
    const lines = liveReportLines(over);
    expect(lines.join('\n')).toMatch(/Confidence: 300 proposals, mean 0\.90/);
    for (const line of lines) expect(line.length).toBeLessThanOrEqual(80);
  });

  it('confidence reliability: the gap is the binned |right rate − confidence|; a miss within noise is not over-confidence', () => {
    expect(confidenceReliability([])).toMatchObject({ n: 0, gap: null, overconfident: false });
    const pts = [...Array.from({ length: 6 }, () => ({ confidence: 0.6, right: true })), ...Array.from({ length: 4 }, () => ({ confidence: 0.6, right: false }))];
    expect(confidenceReliability(pts).gap).toBeCloseTo(0, 10);
    const low = confidenceReliability([...Array.from({ length: 5 }, () => ({ confidence: 0.8, right: true })), ...Array.from({ length: 5 }, () => ({ confidence: 0.8, right: false }))]);
    expect(low.gap).toBeCloseTo(0.3, 10);
    expect(low.overconfident).toBe(false); // 10 outcomes: the interval still reaches 0.75
  });
});
