import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fieldValidation, judgmentRater, MIN_JUDGED, VALIDATION_RECORDS, type FieldValidation, type ModelValidationRecord } from '../../src/agents/judgment-validation.ts';
import { makeProposal } from '../../src/agents/proposals.ts';
import { wilsonLower } from '../../src/agents/scorer/validation.ts';
import { OFFLINE_MODEL } from '../../src/agents/offline-provider.ts';
import { decide, reasonCodes, type DecisionState } from '../../src/writeback/decide.ts';
import { defaultPolicy } from '../../src/writeback/policy.ts';

/**
 * The promise behind every judgment's confidence (a churn rating, a recommendation, next steps), over arbitrary
 * validation records, models, fields, value classes and grounding:
 *   - the confidence never exceeds the producing model's validated bound (the Wilson lower bound of how often its
 *     value of that field was right on labelled held-out data) nor the judgment's grounding;
 *   - a model with no record for the field (any chat model nobody evaluated), or too few judged items, gets
 *     confidence 0 and its proposal is never applied: it waits with `model_unvalidated` and says why;
 *   - the decision engine never applies a judgment whose confidence was raised above its model's bound.
 */

const FIELDS = ['ai_churn_risk', 'ai_recommendation', 'ai_next_steps'] as const;
const CLASSES = ['high', 'medium', 'low'] as const;

const tallyArb = fc.nat(400).chain((n) => fc.record({ n: fc.constant(n), right: fc.integer({ min: 0, max: n }) }));
const fieldArb: fc.Arbitrary<FieldValidation> = fc
  .tuple(tallyArb, fc.option(fc.dictionary(fc.constantFrom(...CLASSES), tallyArb), { nil: undefined }))
  .map(([t, byValue]) => ({ ...t, ...(byValue ? { byValue } : {}) }));
/** A valid value of the field (an invalid one is rejected before confidence matters). */
const valueOf = (field: string, cls: string | null) => (field === 'ai_churn_risk' ? (cls ?? 'high') : field === 'ai_next_steps' ? 'Send the SOC 2 report' : 'Escalate: call them this week.');
const recordArb: fc.Arbitrary<ModelValidationRecord> = fc.record({
  provider: fc.constantFrom('offline', 'openai'),
  model: fc.constantFrom(OFFLINE_MODEL, 'gpt-4o-mini'),
  version: fc.constant(1),
  measuredAt: fc.constant('2026-11-30T00:00:00.000Z'),
  data: fc.constant('sandbox dev style'),
  command: fc.constant('npm run calibrate'),
  fields: fc.dictionary(fc.constantFrom(...FIELDS.map((f) => `account_summary.${f}`), 'call_summary.ai_next_steps'), fieldArb),
});

const caseArb = fc.record({
  records: fc.array(recordArb, { maxLength: 3 }),
  provider: fc.constantFrom('offline', 'openai', 'anthropic'),
  model: fc.constantFrom(OFFLINE_MODEL, 'gpt-4o-mini', 'claude-x'),
  agent: fc.constantFrom('account_summary', 'call_summary'),
  field: fc.constantFrom(...FIELDS),
  valueClass: fc.option(fc.constantFrom(...CLASSES), { nil: null }),
  grounding: fc.double({ min: 0, max: 1, noNaN: true }),
});

const base = { portalId: '1', accountId: '100', runId: 'run-1', agent: 'account_summary' as const, promptVersion: 'account_summary@v1', model: 'm', createdAt: '2026-11-30T00:00:00.000Z' };
const ownAccount: DecisionState = {
  currentValue: null,
  setBy: 'none',
  breaker: { autoWritesLastMinute: 0, objectWritesLastHour: 0, objectRecordCount: null },
  killSwitch: false,
  targetAccounts: ['100'],
};

describe('judgment confidence (property-based)', () => {
  it('never exceeds the producing model\'s validated bound nor the grounding', () => {
    fc.assert(
      fc.property(caseArb, (c) => {
        const { confidence, modelValidation } = judgmentRater(c.records, c.provider, c.model, c.agent).rate(c.field, c.valueClass, c.grounding);
        expect(confidence).toBeLessThanOrEqual(c.grounding);
        expect(confidence).toBeLessThanOrEqual(modelValidation.confidenceBound);
        const record = c.records.find((r) => r.provider === c.provider && r.model === c.model);
        const field = record?.fields[`${c.agent}.${c.field}`];
        if (!field) {
          expect(modelValidation.validated).toBe(false);
          expect(confidence).toBe(0);
          expect(modelValidation.summary).toContain(`${c.provider}:${c.model} has no held-out validation`);
          return;
        }
        const tally = (c.valueClass !== null ? field.byValue?.[c.valueClass] : undefined) ?? field;
        // The bound is never above the 95 % lower end of the held-out hit rate it was measured as.
        expect(modelValidation.confidenceBound).toBeLessThanOrEqual(wilsonLower(tally.right, tally.n) + 0.005);
        expect(modelValidation.validated).toBe(tally.n >= MIN_JUDGED);
      }),
      { numRuns: 500 },
    );
  });

  it('an unvalidated model\'s judgment is never applied; it waits with model_unvalidated and the reason', () => {
    fc.assert(
      fc.property(caseArb, (c) => {
        const { confidence, modelValidation } = judgmentRater(c.records, c.provider, c.model, c.agent).rate(c.field, c.valueClass, c.grounding);
        const p = { ...makeProposal(base, { target: { objectType: 'companies', objectId: '100' }, kind: 'property', field: c.field, value: valueOf(c.field, c.valueClass), confidence, evidence: [] }), modelValidation };
        const d = decide(p, defaultPolicy(), ownAccount);
        if (!modelValidation.validated) {
          expect(d.outcome).toBe('review');
          expect(reasonCodes(d)).toContain('model_unvalidated');
          expect(d.reasons.join(' ')).toContain(modelValidation.summary);
        }
        if (d.outcome === 'apply') expect(p.confidence).toBeLessThanOrEqual(modelValidation.confidenceBound);
      }),
      { numRuns: 500 },
    );
  });

  it('a confidence raised above the bound after the fact is not applied', () => {
    fc.assert(
      fc.property(caseArb, fc.double({ min: 0.001, max: 1, noNaN: true }), (c, extra) => {
        const { modelValidation } = judgmentRater(c.records, c.provider, c.model, c.agent).rate(c.field, c.valueClass, c.grounding);
        const raised = Math.min(1, modelValidation.confidenceBound + extra);
        if (raised <= modelValidation.confidenceBound) return;
        const p = { ...makeProposal(base, { target: { objectType: 'companies', objectId: '100' }, kind: 'property', field: c.field, value: valueOf(c.field, c.valueClass), confidence: raised, evidence: [] }), modelValidation };
        expect(decide(p, defaultPolicy(), ownAccount).outcome).not.toBe('apply');
      }),
      { numRuns: 300 },
    );
  });

  it('the shipped offline record: every field it validates was measured on enough judged items, on the dev style', () => {
    const offline = VALIDATION_RECORDS.find((r) => r.provider === 'offline' && r.model === OFFLINE_MODEL);
    expect(offline).toBeDefined();
    expect(offline!.data).toMatch(/dev style/);
    for (const key of ['call_summary.ai_next_steps', 'account_summary.ai_churn_risk', 'account_summary.ai_recommendation']) {
      const f = offline!.fields[key];
      expect(f, key).toBeDefined();
      const v = fieldValidation(offline!, 'offline', key, null);
      expect(v.confidenceBound).toBeLessThan(1);
      expect(v.validated).toBe(f!.n >= MIN_JUDGED);
    }
  });
});
