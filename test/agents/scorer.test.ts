import { describe, expect, it } from 'vitest';
import { auc, expectedCalibrationError } from '../../src/agents/scorer/evaluation.ts';
import type { Observation } from '../../src/agents/scorer/features.ts';
import { scoreObservation } from '../../src/agents/scorer/model.ts';
import { liveReport } from '../../src/agents/scorer/live-report.ts';
import { ContainerMetrics } from '../../src/metrics.ts';
import { currentScorer, SqlScorerStore } from '../../src/agents/scorer/scorer-store.ts';
import { trainScorer, type TrainingExample } from '../../src/agents/scorer/train.ts';
import { bootstrapAucInterval, heldOutConfidenceBound, validationStatus, wilsonLower } from '../../src/agents/scorer/validation.ts';
import { createSql, type SqlHandle } from '../../src/db/sql.ts';
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

  it('records its held-out validation: AUC interval, calibration, closed deals, date, features, confidence bound', () => {
    const v = model.validation!;
    expect(v.closedDeals).toBe(900);
    expect(v.won).toBe(labels.filter(Boolean).length);
    expect(v.features).toEqual(model.featureNames);
    expect(v.trainedAt).toBe(model.trainedAt);
    expect(v.aucInterval[0]).toBeLessThan(v.auc);
    expect(v.aucInterval[1]).toBeGreaterThan(v.auc);
    // The bound is what the most confident held-out predictions achieved, never more than their hit rate.
    const conf = heldOut.probabilities.map((p, i) => ({ c: Math.max(p, 1 - p), right: p >= 0.5 === heldOut.labels[i] }));
    const atOrAbove = conf.filter((x) => x.c >= v.confidenceBound);
    if (atOrAbove.length >= 20) expect(atOrAbove.filter((x) => x.right).length / atOrAbove.length).toBeGreaterThan(v.confidenceBound - 0.1);
    expect(v.confidenceBound).toBeGreaterThan(0.6);
    expect(v.confidenceBound).toBeLessThan(1);
    const status = validationStatus(v);
    expect(status.validated).toBe(true);
    expect(status.summary).toMatch(/held-out AUC 0\.\d\d \(95% CI 0\.\d\d–0\.\d\d\), ECE 0\.\d{3}, 900 closed deals/);
  });

  it('is not validated on few deals or when its AUC interval reaches down to 0.6', () => {
    const few = trainScorer(examples.slice(0, 120), { folds: 5, numSteps: 300 }).model;
    const fewStatus = validationStatus(few.validation);
    expect(fewStatus.validated).toBe(false);
    expect(fewStatus.summary).toContain('120 closed deals (needs ≥ 200)');
    // Outcomes unrelated to the features: the interval straddles 0.5.
    const r = lcg(5);
    const noise = trainScorer(examples.map((e) => ({ ...e, won: r() < 0.4 })), { folds: 5, numSteps: 300 }).model;
    const noiseStatus = validationStatus(noise.validation);
    expect(noise.validation!.aucInterval[0]).toBeLessThan(0.6);
    expect(noiseStatus.validated).toBe(false);
    expect(noiseStatus.summary).toMatch(/AUC interval reaches down to 0\.\d\d \(needs > 0\.6\)/);
    // A model saved before validation was recorded cannot write either.
    expect(validationStatus(undefined)).toMatchObject({ validated: false, confidenceBound: 0 });
  });

  it('bootstrap interval and Wilson bound behave at the edges', () => {
    expect(bootstrapAucInterval([0.9, 0.8, 0.2, 0.1], [true, true, false, false], { resamples: 200 })).toEqual([1, 1]);
    expect(wilsonLower(0, 10)).toBe(0);
    expect(wilsonLower(20, 20)).toBeCloseTo(0.839, 2);
    // Fewer than 20 held-out deals show nothing: bound 0.
    expect(heldOutConfidenceBound([0.9, 0.1], [true, false])).toBe(0);
  });

  for (const backend of ['sqlite', 'postgres'] as const) {
    it.skipIf(backend === 'postgres' && !process.env.DATABASE_URL)(`is stored in ${backend}; the newest row is current and a retrain is picked up`, async () => {
      const dir = tempDir('hsai-scorer-db-');
      const schema = `scorer_${process.pid}_${Date.now()}`;
      const handle: SqlHandle = await createSql(backend === 'postgres' ? { databaseUrl: process.env.DATABASE_URL, dataDir: dir.dir, schema } : { dataDir: dir.dir });
      try {
        const store = new SqlScorerStore(handle);
        expect(await store.latest('p1')).toBeNull();
        let now = 0;
        const current = currentScorer(store, async () => 'p1', 1_000, () => now);
        expect(await current()).toBeNull();
        const first = await store.save('p1', model);
        await store.save('p2', { ...model, intercept: 42 });
        expect((await store.latest('p1'))?.id).toBe(first);
        const loaded = (await store.latest('p1'))!.model;
        const o = examples[0]!.observation;
        expect(scoreObservation(loaded, o)).toEqual(scoreObservation(model, o));
        expect(loaded.validation).toEqual(model.validation);
        now += 1_000;
        expect((await current())?.intercept).toBe(model.intercept);
        const second = await store.save('p1', { ...model, intercept: model.intercept + 1 });
        expect(second).toBeGreaterThan(first);
        expect((await current())?.intercept).toBe(model.intercept); // checked at most once a second
        now += 1_000;
        expect((await current())?.intercept).toBe(model.intercept + 1);
        // A second process sees the same scorer.
        expect((await new SqlScorerStore(handle).latest('p1'))?.id).toBe(second);
        // Its figures, and those of the latest live report, are what /metrics exposes.
        expect(await store.figures('p1')).toEqual({
          validated: 1, confidence_bound: model.validation!.confidenceBound, heldout_auc: model.validation!.auc, heldout_auc_low: model.validation!.aucInterval[0], closed_deals: 900,
        });
        const live = liveReport([], [], model.validation!);
        await store.saveReport('p1', {
          ...live, proposed: { ...live.proposed, n: 40, auc: 0.7, ece: 0.05 }, aucDrift: 0.1, eceDrift: 0.02, retrain: true,
          confidence: { n: 40, meanConfidence: 0.8, hitRate: 0.6, hitRateInterval: [0.45, 0.74], gap: 0.2, overconfident: true },
        });
        expect(await store.figures('p1')).toMatchObject({
          live_outcomes: 40, live_auc: 0.7, live_ece: 0.05, auc_drift: 0.1, retrain: 1, ece_drift: 0.02, confidence_gap: 0.2, confidence_outcomes: 40, overconfident: 1,
        });
        const scoped = new ContainerMetrics();
        const stop = scoped.collectScorerFigures(async () => ({ ...(await store.figures('p1')), not_a_figure: 3 }));
        try {
          const metric = await scoped.registry.getSingleMetricAsString('hubspot_ai_lead_scorer');
          expect(metric).toMatch(/hubspot_ai_lead_scorer\{figure="auc_drift"\} 0\.1/);
          expect(metric).toMatch(/hubspot_ai_lead_scorer\{figure="confidence_gap"\} 0\.2/);
          expect(metric).toMatch(/hubspot_ai_lead_scorer\{figure="overconfident"\} 1/);
          // Only documented figures become label values.
          expect(metric).not.toContain('not_a_figure');
        } finally {
          stop();
          scoped.close();
        }
      } finally {
        if (backend === 'postgres') await handle.db.schema.dropSchema(schema).ifExists().cascade().execute();
        await handle.close();
        dir.cleanup();
      }
    });
  }

  it('refuses to train without both outcomes', () => {
    const allWon = examples.slice(0, 50).map((e) => ({ ...e, won: true }));
    expect(() => trainScorer(allWon)).toThrow(/both won and lost/);
  });
});
