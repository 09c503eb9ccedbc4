import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { leadScoreProposals, type LeadScoreProposalInput } from '../../src/agents/lead-score.ts';
import type { Observation } from '../../src/agents/scorer/features.ts';
import type { ScorerModel } from '../../src/agents/scorer/model.ts';
import { trainScorer, type TrainingExample } from '../../src/agents/scorer/train.ts';
import { validationStatus, type ScorerValidation } from '../../src/agents/scorer/validation.ts';
import type { HubSpotObject } from '../../src/core/objects.ts';
import { decide, reasonCodes, type DecisionState } from '../../src/writeback/decide.ts';
import { defaultPolicy } from '../../src/writeback/policy.ts';

/**
 * The lead score's confidence promise, over arbitrary scores, validations, routes and records:
 *   - no proposal derived from the scorer has a confidence above the bound the scorer earned on held-out deals;
 *   - every such proposal carries the validation, so an unvalidated scorer's output is never applied;
 *   - with the default policy no negative recommendation (disqualify, nurture) is applied below 0.85.
 */

const observation: Observation = {
  industry: 'Software', sizeBand: 'smb', seniorBuyer: 1, meetings: 2, inboundEmails: 1, outboundEmails: 1, calls: 0, notes: 1, staleMonths: 0.5, competitorMentioned: 0,
};

// A real trained model (its weights are irrelevant here: the score is drawn below); its validation is arbitrary.
const examples: TrainingExample[] = Array.from({ length: 40 }, (_, i) => ({ observation: { ...observation, meetings: i % 5 }, won: i % 3 === 0, groupId: `a${i}` }));
const trained = trainScorer(examples, { folds: 2, numSteps: 50 }).model;

const validationArb: fc.Arbitrary<ScorerValidation> = fc.record({
  trainedAt: fc.constant('2026-11-01T00:00:00.000Z'),
  closedDeals: fc.nat(2_000),
  won: fc.nat(500),
  folds: fc.constant(5),
  auc: fc.double({ min: 0, max: 1, noNaN: true }),
  aucInterval: fc.tuple(fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true })).map(([a, b]) => [Math.min(a, b), Math.max(a, b)] as [number, number]),
  ece: fc.double({ min: 0, max: 0.5, noNaN: true }),
  brier: fc.double({ min: 0, max: 0.5, noNaN: true }),
  features: fc.constant(trained.featureNames),
  confidenceBound: fc.double({ min: 0, max: 1, noNaN: true }),
});

const contact = (id: string): HubSpotObject => ({ id, type: 'contacts', properties: { hs_lead_status: 'NEW' } }) as unknown as HubSpotObject;

const inputArb: fc.Arbitrary<LeadScoreProposalInput> = fc
  .record({
    probability: fc.double({ min: 0, max: 1, noNaN: true }),
    validation: fc.option(validationArb, { nil: undefined }),
    hasScorer: fc.boolean(),
    route: fc.constantFrom('route_to_sdr', 'nurture', 'disqualify'),
    lifecycle: fc.constantFrom(null, 'lead', 'subscriber', 'customer'),
    contacts: fc.integer({ min: 0, max: 3 }),
  })
  .map((r) => {
    const scorer: ScorerModel | null = r.hasScorer ? { ...trained, ...(r.validation ? { validation: r.validation } : { validation: undefined }) } : null;
    return {
      intent: { route: r.route, summary: 'Summary.', reasons: [{ text: 'Asked for pricing', evidence: ['c1'] }] },
      score: scorer ? { probability: r.probability, score: Math.round(r.probability * 100), contributions: [{ feature: 'meetings', value: 2, contribution: 0.4 }] } : null,
      observation,
      scorer,
      base: { portalId: '1', accountId: '100', runId: 'run-1', agent: 'lead_score', promptVersion: 'lead_score@v1', model: 'offline', createdAt: '2026-11-30T00:00:00.000Z' },
      target: { objectType: 'companies', objectId: '100' },
      current: { lifecyclestage: r.lifecycle },
      cited: ['chunk-1'],
      contacts: Array.from({ length: r.contacts }, (_, i) => contact(String(200 + i))),
    } satisfies LeadScoreProposalInput;
  });

const ownAccount = (_p: unknown): DecisionState => ({
  currentValue: null,
  setBy: 'none',
  breaker: { autoWritesLastMinute: 0, objectWritesLastHour: 0, objectRecordCount: null },
  killSwitch: false,
  targetAccounts: ['100'],
});

const BOOKKEEPING = new Set(['ai_last_run', 'ai_model']);

describe('lead-score proposals (property-based)', () => {
  it('never carry a confidence above the scorer\'s validated bound', () => {
    fc.assert(
      fc.property(inputArb, (input) => {
        const bound = validationStatus(input.scorer?.validation).confidenceBound;
        for (const p of leadScoreProposals(input)) {
          if (BOOKKEEPING.has(p.field ?? '')) continue;
          expect(p.modelValidation, p.field ?? p.kind).toBeDefined();
          expect(p.confidence, p.field ?? '').toBeLessThanOrEqual(input.scorer ? bound : 0);
          expect(p.modelValidation!.confidenceBound).toBe(input.scorer ? bound : 0);
        }
      }),
      { numRuns: 1_000 },
    );
  });

  it('from an unvalidated scorer, are never applied and wait with model_unvalidated and the figures', () => {
    fc.assert(
      fc.property(inputArb, (input) => {
        const status = validationStatus(input.scorer?.validation);
        for (const p of leadScoreProposals(input)) {
          if (BOOKKEEPING.has(p.field ?? '')) continue;
          const d = decide(p, defaultPolicy(), ownAccount(p));
          if (!input.scorer || !status.validated) {
            expect(d.outcome).toBe('review');
            expect(reasonCodes(d)).toContain('model_unvalidated');
            if (input.scorer?.validation) expect(d.reasons.join(' ')).toMatch(/held-out AUC \d\.\d\d \(95% CI/);
          }
        }
      }),
      { numRuns: 1_000 },
    );
  });

  it('never apply a negative recommendation below its bar (default policy)', () => {
    const bar = defaultPolicy().negativeRecommendations.confidenceThreshold;
    fc.assert(
      fc.property(inputArb, (input) => {
        for (const p of leadScoreProposals(input)) {
          if (p.field !== 'ai_recommendation' || !/^(disqualify|nurture)\b/.test(p.value)) continue;
          const d = decide(p, defaultPolicy(), ownAccount(p));
          if (p.confidence < bar) expect(d.outcome).not.toBe('apply');
        }
      }),
      { numRuns: 1_000 },
    );
  });

  it('a validated scorer writes its score when confident enough', () => {
    const validation: ScorerValidation = { ...trained.validation!, closedDeals: 400, aucInterval: [0.7, 0.8], auc: 0.75, confidenceBound: 0.9 };
    const input = fc.sample(inputArb, 1)[0]!;
    const proposals = leadScoreProposals({ ...input, scorer: { ...trained, validation }, score: { probability: 0.95, score: 95, contributions: [] } });
    const score = proposals.find((p) => p.field === 'ai_lead_score')!;
    expect(score.confidence).toBe(0.9);
    expect(decide(score, defaultPolicy(), ownAccount(score)).outcome).toBe('apply');
  });
});
