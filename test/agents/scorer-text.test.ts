import { describe, expect, it } from 'vitest';
import { auc } from '../../src/agents/scorer/evaluation.ts';
import type { Observation } from '../../src/agents/scorer/features.ts';
import { scoreObservation } from '../../src/agents/scorer/model.ts';
import { fitTextModel, textLogit, textTerms } from '../../src/agents/scorer/text-model.ts';
import { trainScorer, type TrainingExample } from '../../src/agents/scorer/train.ts';

/**
 * What only the history's words say: deals whose outcome depends on a sentence no CRM field records. The scorer
 * learns it from its training deals (no phrase is built in), ranks held-out deals better with it than without,
 * and does not learn from noise: with labels that nothing predicts, the text inputs earn no held-out AUC (the
 * cross-fitting keeps a deal's own label out of the text score it is fitted on).
 */

function lcg(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648;
  };
}

const FILLER = ['we reviewed the rollout plan', 'the team met on thursday', 'pricing sheet attached', 'notes from the onboarding call', 'following up on the pilot', 'the dashboard looked fine'];
const NEEDS = { audit: 'our auditors keep asking for evidence trails', growth: 'we are opening three new regions next year', churn: 'users stopped logging in after the first month' } as const;

function deals(n: number, seed: number, opts: { noise?: boolean } = {}): { examples: TrainingExample[]; truth: number[] } {
  const r = lcg(seed);
  const examples: TrainingExample[] = [];
  const truth: number[] = [];
  for (let a = 0; a < n / 2; a++) {
    const need = (['audit', 'growth', 'churn'] as const)[Math.floor(r() * 3)]!;
    const accountText = [NEEDS[need], ...Array.from({ length: 4 }, () => FILLER[Math.floor(r() * FILLER.length)]!)];
    for (let d = 0; d < 2; d++) {
      const budget = r() < 0.3;
      const meetings = Math.floor(r() * 4);
      const dealText = [FILLER[Math.floor(r() * FILLER.length)]!, ...(budget ? ['good news: finance signed off the spend'] : [])];
      const z = -1 + 0.4 * meetings + (budget ? 1.5 : 0) + (need === 'audit' ? 1 : need === 'churn' ? -1 : 0);
      const p = 1 / (1 + Math.exp(-z));
      const o: Observation = {
        industry: 'software', sizeBand: 'smb', seniorBuyer: 0, meetings, inboundEmails: 1, outboundEmails: 1, calls: 1, notes: 0, staleMonths: 1, competitorMentioned: 0,
        terms: { deal: textTerms(dealText), account: textTerms([...accountText, ...dealText]) },
      };
      truth.push(p);
      examples.push({ observation: o, won: opts.noise ? r() < 0.4 : r() < p, groupId: `acct-${a}` });
    }
  }
  return { examples, truth };
}

describe('lead scorer text inputs', () => {
  it('turns texts into unigrams and bigrams, lower-cased, without bare numbers', () => {
    expect(textTerms(['Finance signed off 2 weeks ago'])).toEqual(['finance', 'signed', 'finance signed', 'off', 'signed off', 'weeks', 'ago', 'weeks ago']);
  });

  it('learns which words go with won deals from the deals alone', () => {
    const { examples } = deals(600, 3);
    const m = fitTextModel(examples.map((e) => e.observation.terms!.deal), examples.map((e) => e.won), examples.map((e) => e.groupId));
    expect(m.weights['signed off']).toBeGreaterThan(0.15);
    expect(textLogit(m, textTerms(['finance signed off the spend']))).toBeGreaterThan(textLogit(m, textTerms(['pricing sheet attached'])));
  });

  it('ranks held-out deals better with the history words than without', () => {
    const train = deals(800, 5).examples;
    const test = deals(400, 6);
    const labels = test.examples.map((e) => e.won);
    const withText = trainScorer(train, { folds: 3, numSteps: 300 }).model;
    const without = trainScorer(train, { folds: 3, numSteps: 300, text: false }).model;
    expect(withText.featureNames.slice(-2)).toEqual(['dealWording', 'accountWording']);
    expect(without.featureNames).not.toContain('dealWording');
    const aucWith = auc(test.examples.map((e) => scoreObservation(withText, e.observation).probability), labels);
    const aucWithout = auc(test.examples.map((e) => scoreObservation(without, e.observation).probability), labels);
    expect(aucWith).toBeGreaterThan(aucWithout + 0.08);
    expect(aucWith).toBeGreaterThan(auc(test.truth, labels) - 0.05);
    // The held-out figure recorded at training time re-fits the text models inside each fold.
    expect(withText.evaluation.auc).toBeGreaterThan(without.evaluation.auc + 0.08);
  });

  it('earns no held-out AUC from text when the labels are noise', () => {
    const { examples } = deals(600, 9, { noise: true });
    const { model } = trainScorer(examples, { folds: 3, numSteps: 300 });
    expect(model.evaluation.auc).toBeLessThan(0.58);
  });
});
