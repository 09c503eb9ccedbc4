import { afterAll, describe, expect, it } from 'vitest';
import { auc, expectedCalibrationError } from '../../src/agents/scorer/evaluation.ts';
import type { Observation } from '../../src/agents/scorer/features.ts';
import { loadScorer, saveScorer, scoreObservation } from '../../src/agents/scorer/model.ts';
import { trainScorer, type TrainingExample } from '../../src/agents/scorer/train.ts';
import { tempDir } from '../support/tmp.ts';

/**
 * The scorer on synthetic deals drawn from a known logistic model: it must rank close to the true
 * probabilities and its held-out probabilities must be calibrated about as well as the truth itself.
 */

function lcg(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648;
  };
}

function synthetic(n: number, seed: number): { examples: TrainingExample[]; truth: number[] } {
  const r = lcg(seed);
  const fits: Record<string, number> = { A: 0.9, B: 0.6, C: 0.3 };
  const examples: TrainingExample[] = [];
  const truth: number[] = [];
  for (let i = 0; i < n; i++) {
    const industry = ['A', 'B', 'C'][i % 3]!;
    const o: Observation = {
      industry,
      sizeBand: (['smb', 'mid-market', 'enterprise'] as const)[Math.floor(r() * 3)]!,
      seniorBuyer: r() < 0.5 ? 1 : 0,
      meetings: Math.floor(r() * 5),
      inboundEmails: Math.floor(r() * 6),
      outboundEmails: Math.floor(r() * 6),
      calls: Math.floor(r() * 3),
      notes: Math.floor(r() * 3),
      staleMonths: r() * 3,
      competitorMentioned: r() < 0.3 ? 1 : 0,
    };
    const z = -2.2 + 2.6 * fits[industry]! + 1.2 * o.seniorBuyer + 0.45 * o.meetings + 0.2 * o.inboundEmails - 0.5 * o.staleMonths - 0.8 * o.competitorMentioned;
    const p = 1 / (1 + Math.exp(-z));
    truth.push(p);
    examples.push({ observation: o, won: r() < p, groupId: `acct-${i}` });
  }
  return { examples, truth };
}

const tmp = tempDir('hsai-scorer-');
afterAll(() => tmp.cleanup());

describe('lead scorer', () => {
  const { examples, truth } = synthetic(900, 11);
  const { model, heldOut } = trainScorer(examples, { folds: 5, numSteps: 1500 });
  const labels = examples.map((e) => e.won);

  it('ranks held-out deals close to the Bayes-optimal ranking', () => {
    const bayes = auc(truth, labels);
    expect(model.evaluation.auc).toBeGreaterThan(bayes - 0.03);
    expect(model.evaluation.auc).toBeCloseTo(auc(heldOut.probabilities, heldOut.labels), 10);
  });

  it('is calibrated out of fold about as well as the true probabilities are', () => {
    const floor = expectedCalibrationError(truth, labels);
    expect(model.evaluation.ece).toBeLessThan(Math.max(0.05, floor + 0.02));
  });

  it('learns the direction of every real effect', () => {
    const w = (name: string) => model.weights[model.featureNames.indexOf(name)]!;
    expect(w('seniorBuyer')).toBeGreaterThan(0);
    expect(w('meetings')).toBeGreaterThan(0);
    expect(w('staleMonths')).toBeLessThan(0);
    expect(w('competitorMentioned')).toBeLessThan(0);
    expect(w('industry=C')).toBeLessThan(0);
  });

  it('saves to DATA_DIR/scorer.json and scores the same after loading', () => {
    saveScorer(tmp.dir, model);
    const loaded = loadScorer(tmp.dir);
    expect(loaded).not.toBeNull();
    const o = examples[0]!.observation;
    const a = scoreObservation(model, o);
    const b = scoreObservation(loaded!, o);
    expect(b).toEqual(a);
    expect(a.score).toBe(Math.round(a.probability * 100));
    expect(a.score).toBeGreaterThanOrEqual(0);
    expect(a.score).toBeLessThanOrEqual(100);
  });

  it('refuses to train without both outcomes', () => {
    const allWon = examples.slice(0, 50).map((e) => ({ ...e, won: true }));
    expect(() => trainScorer(allWon)).toThrow(/both won and lost/);
  });

  it('has no model before train-scorer ran', () => {
    const empty = tempDir('hsai-noscorer-');
    expect(loadScorer(empty.dir)).toBeNull();
    empty.cleanup();
  });
});
