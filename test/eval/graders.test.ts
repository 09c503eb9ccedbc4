import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AgentDeps, AgentTrigger } from '../../src/agents/agent-types.ts';
import { OfflineProvider } from '../../src/agents/offline-provider.ts';
import { HISTORY_SOURCE_TYPES } from '../../src/retrieval/context-builder.ts';
import { generatePortal, startSandbox } from '../../src/sandbox/index.ts';
import type { GroundTruth } from '../../src/sandbox/types.ts';
import { emptyGrade, gradeCall, rate } from '../../bench/lib/eval-call-summary.ts';
import { gradeClaims } from '../../bench/lib/eval-grounding.ts';
import { evaluateRetrieval, expectedRandomHit, positionPriorHits } from '../../bench/lib/eval-retrieval.ts';
import { scorerMetrics } from '../../bench/lib/eval-scorer.ts';
import { openEvalStack, type EvalStack } from '../../bench/lib/eval-stack.ts';
import { seededRandom } from '../../bench/lib/eval-stats.ts';
import { hasTerms, supports } from '../../bench/lib/grade-text.ts';
import { tempDir } from '../support/tmp.ts';

/**
 * Every grader of `npm run eval` can fail: an extractor that returns nothing, a retriever that returns random
 * chunks, a citation to an unrelated chunk and a scorer that answers 0.5 all score badly, while the truth itself
 * scores well. Without this, a figure of 1.000 could mean the grader cannot tell.
 */

const none = { nextSteps: [], objections: [], risks: [], competitors: [] };
const item = (text: string, owner: string | null = null) => ({ text, owner, dueDate: null, evidence: ['c1'] });

describe('call-summary grader', () => {
  const calls = generatePortal({ seed: 5, companies: 30, whales: 0, style: 'test' }).groundTruth.calls.filter((c) => c.labels.nextSteps.length > 0);
  const bodies = new Map(generatePortal({ seed: 5, companies: 30, whales: 0, style: 'test' }).objects.calls.map((o) => [o.id, o.properties.hs_call_body ?? '']));

  it('gives an extractor that returns nothing zero recall', async () => {
    const g = emptyGrade();
    for (const c of calls) await gradeCall(c.labels, none, g);
    expect(rate(g.nextSteps)).toBe(0);
    expect(rate(g.objections)).toBe(0);
    expect(rate(g.competitors, 0)).toBe(0);
  });

  it('gives the labels themselves full recall and precision, and owners right', async () => {
    const g = emptyGrade();
    for (const c of calls) {
      const out = { ...none, nextSteps: c.labels.nextSteps.map((l) => item(`${l.gist} ${l.terms.join(' ')}`, l.owner ?? null)), objections: c.labels.objections.map((l) => item(l.terms.join(' '))), competitors: c.labels.competitors.map((name) => ({ name, evidence: ['c1'] })) };
      await gradeCall(c.labels, out, g);
    }
    expect(rate(g.nextSteps)).toBe(1);
    expect(rate(g.precision)).toBe(1);
    expect(rate(g.objections)).toBe(1);
    expect(rate(g.owners)).toBe(1);
  });

  it('punishes listing every sentence, and listing distractors, in precision', async () => {
    const every = emptyGrade();
    const decoys = emptyGrade();
    for (const c of calls) {
      const sentences = (bodies.get(c.id) ?? '').split('\n').map((l) => item(l));
      await gradeCall(c.labels, { ...none, nextSteps: sentences }, every);
      if (c.labels.distractors.length) await gradeCall(c.labels, { ...none, nextSteps: c.labels.distractors.map((d) => item(d.terms.join(' '))) }, decoys);
    }
    expect(rate(every.precision)).toBeLessThan(0.4);
    expect(rate(decoys.precision)).toBe(0);
    expect(rate(decoys.distractorsListed)).toBe(1);
  });

  it('matches key terms as words, not inside other words', () => {
    expect(hasTerms("I'll shoot over the API docs", ['api', 'doc'])).toBe(true);
    expect(hasTerms('a rapid update of the documents', ['api'])).toBe(false);
    expect(hasTerms('ich schicke den Schulungsplan', ['schulungsplan'])).toBe(true);
  });
});

describe('grounding grader', () => {
  const chunks: Record<string, string> = {
    budget: 'For planning purposes: the approved budget for this project is $75,500 for the fiscal year.',
    weather: 'The weather was great this weekend and the team went hiking.',
  };
  it('counts a claim only when the cited chunk says it', () => {
    const claim = 'The approved budget for this project is $75,500.';
    expect(gradeClaims([{ task: 't', claims: [{ text: claim, evidence: ['budget'] }] }], (id) => chunks[id]).supportedCitationShare).toBe(1);
    expect(gradeClaims([{ task: 't', claims: [{ text: claim, evidence: ['weather'] }] }], (id) => chunks[id]).supportedCitationShare).toBe(0);
    expect(gradeClaims([{ task: 't', claims: [{ text: claim, evidence: [] }] }], (id) => chunks[id]).uncited).toBe(1);
  });
  it('requires the numbers of a claim', () => {
    expect(supports('The approved budget for this project is $95,000.', chunks.budget!)).toBe(false);
  });
});

describe('scorer grader', () => {
  const rand = seededRandom(3);
  const p = Array.from({ length: 1500 }, () => 1 / (1 + Math.exp(-(rand() * 6 - 3))));
  const y = p.map((pi) => rand() < pi);
  it('fails a scorer that answers 0.5', () => {
    const m = scorerMetrics(p.map(() => 0.5), y, p);
    expect(m.auc).toBe(0.5);
    expect(m.aucGapToExpectedBayes).toBeGreaterThan(0.2);
    expect(m.logLossGap).toBeGreaterThan(0.1);
    expect(m.aucCi[1]).toBeLessThan(m.expectedBayesAuc - 0.03);
  });
  it('passes the true probabilities: no AUC gap beyond noise, ECE under the goal sized for a correct model', () => {
    const m = scorerMetrics(p, y, p);
    expect(Math.abs(m.aucGapToExpectedBayes)).toBeLessThan(0.03);
    expect(m.logLossGap).toBeLessThan(1e-9);
    expect(m.ece).toBeLessThanOrEqual(m.eceGoal);
  });
  it('fails a scorer that ranks right but is overconfident', () => {
    const sharp = p.map((pi) => 1 / (1 + Math.exp(-4 * Math.log(pi / (1 - pi)))));
    const m = scorerMetrics(sharp, y, p);
    expect(m.ece).toBeGreaterThan(m.eceGoal);
  });
});

describe('retrieval grader', () => {
  it('computes the random baseline exactly and the position prior from the other questions', () => {
    expect(expectedRandomHit(10, 1, 8)).toBeCloseTo(0.8, 10);
    expect(expectedRandomHit(100, 0, 8)).toBe(0);
    const pool = Array.from({ length: 40 }, (_, i) => ({ sourceId: `s${i}`, recency: i / 39 }));
    // Facts always at the oldest position: the prior finds them; at random positions it mostly does not.
    const fixed = Array.from({ length: 20 }, () => ({ ev: { sourceIds: ['s39'] } as never, position: 1, pool }));
    expect(positionPriorHits(fixed).every(Boolean)).toBe(true);
  });

  let sandbox: Awaited<ReturnType<typeof startSandbox>>;
  let stack: EvalStack;
  let truth: GroundTruth;
  const tmp = tempDir('hsai-graders-');
  beforeAll(async () => {
    sandbox = await startSandbox({ port: 0, seed: 9, companies: 10, whales: 0, style: 'dev', rateLimit: 0 });
    stack = await openEvalStack({ baseUrl: sandbox.url, accessToken: sandbox.token, dataDir: tmp.dir, concurrency: 2 });
    truth = sandbox.groundTruth();
  }, 120_000);
  afterAll(async () => {
    await stack?.close();
    await sandbox?.close();
    tmp.cleanup();
  });

  it('scores a retriever that returns random chunks near the random baseline, below the real one', async () => {
    const deps: AgentDeps = { gateway: stack.gateway, store: stack.store, embedder: stack.embedder, provider: new OfflineProvider() };
    // One mode (--modes bm25): the others are null, not zero, and cost no agent runs.
    const real = await evaluateRetrieval(deps, truth, { modes: ['bm25'], groundingMode: 'bm25', maxQuestions: 8 });
    for (const t of Object.values(real)) {
      expect(t.modes).toEqual(['bm25']);
      expect([t.hybrid, t.dense, t.intervals.hybrid, t.intervals.dense, t.inContext.hybrid, t.inContext.dense]).toEqual([null, null, null, null, null, null]);
      expect(t.bm25).toEqual(expect.any(Number));
      expect(t.intervals.bm25).toHaveLength(2);
      if (t.outdatedFirst) expect([t.outdatedFirst.hybrid, t.outdatedFirst.dense]).toEqual([null, null]);
    }
    // The deliberately bad retriever: each run's context is 12 random history chunks of the account. (A store that
    // answers random chunks is not enough: the agents search every facet in several phrasings and rank the union by
    // each facet's cues, which on a 10-company portal covers an account's whole history.)
    const rand = seededRandom(11);
    const randomChunks = async (_d: AgentDeps, _task: unknown, trigger: AgentTrigger) => {
      const keys = await stack.store.listChunkKeys(truth.portalId, trigger.accountId);
      const chunks = (await stack.store.getChunks(truth.portalId, keys.map((k) => k.id))).filter((c) => (HISTORY_SOURCE_TYPES as readonly string[]).includes(c.sourceType));
      const picked: string[] = [];
      while (picked.length < 12 && chunks.length > 0) picked.push(chunks.splice(Math.floor(rand() * chunks.length), 1)[0]!.id);
      return { chunkIds: picked, claims: [] };
    };
    // Grounding grades the product mode's claims, so that mode runs even when --modes leaves it out.
    let claimSets = 0;
    const random = await evaluateRetrieval(deps, truth, { modes: ['bm25'], groundingMode: 'dense', maxQuestions: 8, retrieve: randomChunks, onClaims: () => claimSets++ });
    expect(random.call_summary.modes).toEqual(['bm25', 'dense']);
    expect(claimSets).toBeGreaterThan(0);
    const mean = (r: typeof real, key: 'bm25' | 'randomK') => Object.values(r).reduce((s, t) => s + (t[key] ?? 0) * t.questions, 0) / Object.values(r).reduce((s, t) => s + t.questions, 0);
    expect(mean(random, 'bm25')).toBeLessThan(mean(real, 'bm25') - 0.2);
    expect(Math.abs(mean(random, 'bm25') - mean(random, 'randomK'))).toBeLessThan(0.25);
  }, 300_000);
});
