import { describe, expect, it } from 'vitest';
import { aggregate, perSeedTable, renderReport, tQuantile975, type EvalReport } from '../../bench/lib/eval-report.ts';
import { parseEvalArgs } from '../../bench/lib/eval-args.ts';

/** `npm run eval -- --seeds a,b,c`: mean ± spread per figure, an interval over seeds, and every seed's own row. */

function report(seed: number, auc: number, recall: number): EvalReport {
  return {
    seed,
    companies: 40,
    style: 'test',
    embedder: 'offline',
    embeddingModel: 'offline-hash-v1',
    accounts: 50 + seed,
    chunks: 1000,
    productRetrievalMode: 'bm25',
    callSummary: { calls: 80 + seed, nextStepRecall: recall, nextStepRecallCi: [recall - 0.05, recall + 0.05], nextStepPrecision: 0.8, objectionRecall: 0.6 },
    scorer: { deals: 100, auc, aucCi: [auc - 0.1, auc + 0.1], expectedBayesAuc: 0.77, aucGap: 0.77 - auc, ece: 0.05, eceGoal: 0.09, trainSeeds: [seed + 101, seed + 202], reliabilitySvg: `eval-out/reliability-seed${seed}-test.svg` },
    seconds: 10,
  };
}

describe('eval report across seeds', () => {
  const reports = [report(7, 0.7, 0.8), report(11, 0.74, 0.9), report(13, 0.72, 0.85)];
  const out = aggregate(reports) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

  it('gives every figure its mean, sample spread, range and a t-interval over seeds', () => {
    const a = out.scorer.auc;
    expect(a.mean).toBeCloseTo(0.72, 6);
    expect(a.spread).toBeCloseTo(0.02, 6);
    expect([a.min, a.max]).toEqual([0.7, 0.74]);
    const half = tQuantile975(2) * (0.02 / Math.sqrt(3));
    expect(a.seedCi[0]).toBeCloseTo(0.72 - half, 3);
    expect(a.seedCi[1]).toBeCloseTo(0.72 + half, 3);
    expect(out.seeds).toEqual([7, 11, 13]);
  });

  it('averages bootstrap bounds but lists what cannot be averaged per seed', () => {
    expect(out.callSummary.nextStepRecallCi).toEqual([0.8, 0.9]);
    expect(out.scorer.trainSeeds).toEqual([[108, 209], [112, 213], [114, 215]]);
    expect(out.scorer.reliabilitySvg).toHaveLength(3);
    expect(out.style).toBe('test');
    expect(out.perSeed).toHaveLength(3);
  });

  it('prints a row per seed under the mean ± spread table', () => {
    const text = renderReport(out, reports);
    expect(text).toContain('0.720 ± 0.020');
    expect(text).toContain('mean ± sd over seeds');
    const table = perSeedTable(reports).split('\n');
    expect(table).toHaveLength(2 + 3);
    expect(table[2]).toMatch(/^7 +57 /);
    expect(table[3]).toContain('0.740 [0.64–0.84]');
  });

  it('parses --modes in a fixed order and refuses unknown modes', () => {
    expect(parseEvalArgs([]).modes).toEqual(['hybrid', 'bm25', 'dense']);
    expect(parseEvalArgs(['--modes', 'dense, hybrid,dense']).modes).toEqual(['hybrid', 'dense']);
    expect(() => parseEvalArgs(['--modes', 'hybrid,vector'])).toThrow(/unknown retrieval mode "vector"/);
    expect(() => parseEvalArgs(['--modes', ','])).toThrow(/at least one/);
  });

  it('prints a mode left out by --modes as not run, and no goal verdict without hybrid', () => {
    const task = (hybrid: number | null) => ({ questions: 10, modes: hybrid === null ? ['bm25'] : ['hybrid', 'bm25'], hybrid, bm25: 0.95, dense: null, newestK: 0.4, randomK: 0.3, positionPrior: 0.35, intervals: { hybrid: hybrid === null ? null : [0.8, 1], bm25: [0.9, 1], dense: null, newestK: [0.3, 0.5], positionPrior: [0.3, 0.4] } });
    const { scorer: _scorer, ...base } = report(7, 0.7, 0.8);
    const one: EvalReport = { ...base, retrieval: { reply_draft: task(null), lead_score: task(0.92) } };
    const text = renderReport(one, [one]);
    const row = (name: string) => text.split('\n').find((l) => l.includes(name))!;
    expect(row('reply_draft')).toContain('hybrid not run · bm25 0.950 · dense not run');
    expect(row('reply_draft')).toMatch(/≥ 0\.9 and best baseline \+ 0\.15 +-$/);
    expect(row('lead_score')).toContain('hybrid 0.920 [0.80–1.00] · bm25 0.950 · dense not run');
    expect(row('lead_score')).toMatch(/yes/);
    // Across seeds a mode not run stays null, and the per-seed table shows the mode that ran.
    const two = [{ ...one, retrieval: { reply_draft: task(null) } }, { ...one, seed: 11, retrieval: { reply_draft: task(null) } }];
    const agg = aggregate(two) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(agg.retrieval.reply_draft.hybrid).toBeNull();
    expect(agg.retrieval.reply_draft.intervals.dense).toBeNull();
    expect(agg.retrieval.reply_draft.bm25.mean).toBeCloseTo(0.95, 6);
    expect(perSeedTable(two)).toContain('reply_draft bm25 (best baseline)');
  });

  it('parses --seeds and refuses training seeds that are test seeds', () => {
    expect(parseEvalArgs(['--seeds', '7,11,13']).seeds).toEqual([7, 11, 13]);
    expect(() => parseEvalArgs(['--seeds', '7,11', '--train-seeds', '11,20'])).toThrow(/test seed/);
  });
});
