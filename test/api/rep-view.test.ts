import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { NO_ACTIVITY } from '../../src/agents/lead-score.ts';
import { confidenceView, repRationale, repReasons } from '../../src/api/review-page/rep-view.ts';

const UNVALIDATED = 'model offline:offline-extractive-v1 has no held-out validation for enrichment.industry: its judgments are not calibrated, so a person decides (measure it with `npm run calibrate`)';

describe('what a rep reads on a review card', () => {
  it('shows a validated confidence never above the model’s held-out bound, no figure for an unvalidated model, and grounding as such', () => {
    fc.assert(
      fc.property(fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true }), (confidence, bound) => {
        const v = confidenceView({ modelValidation: { validated: true, confidenceBound: bound, summary: 's' } }, confidence);
        expect(v.kind).toBe('calibrated');
        expect(v.value!).toBeLessThanOrEqual(bound);
        expect(Number(v.label.replace('% sure', '')) / 100).toBeLessThanOrEqual(bound + 1e-9);
      }),
    );
    const none = confidenceView({ modelValidation: { validated: false, confidenceBound: 0, summary: UNVALIDATED } }, 0);
    expect(none).toMatchObject({ kind: 'unvalidated', value: null, label: 'Not validated: a person decides' });
    expect(confidenceView({}, 0.5)).toMatchObject({ kind: 'grounding', label: '50% backed by sources' });
  });

  it('words the rationale for a rep and leaves the developer detail to the audit text', () => {
    const p = {
      rationale: `Proposed "X": from the provider alone. Sources: provider sandbox (match 0.93): X. ${UNVALIDATED}`,
      modelValidation: { validated: false, confidenceBound: 0, summary: UNVALIDATED },
    };
    expect(repRationale(p)).toBe('Proposed "X": from the provider alone. Sources: provider sandbox (the provider’s own match score 0.93, not a probability): X.');
    expect(repRationale({ rationale: 'Calibrated win probability 37.0%; drivers: Meetings held: 3 (+0.40)', modelValidation: { validated: false, confidenceBound: 0.55, summary: 'scorer not validated: the AUC interval reaches down to 0.52 (needs > 0.6)' }, drivers: [{ feature: 'meetings', contribution: 0.4 }] })).toBe('Estimated win probability 37.0%.');
    expect(repRationale({})).toBeNull();
    expect(repRationale({ rationale: `${NO_ACTIVITY}: route from intent only` })).toBe(`${NO_ACTIVITY}. The suggested route comes from what the history says, not from a score.`);
    expect(repRationale({ rationale: UNVALIDATED, modelValidation: { validated: false, confidenceBound: 0, summary: UNVALIDATED } })).toBeNull();
  });

  it('leaves "below the threshold" out when the model is not validated, and says the figures in words otherwise', () => {
    const reasons = ['below_threshold: confidence 0.00 is below the threshold 0.90', `model_unvalidated: ${UNVALIDATED}`];
    const unvalidated = confidenceView({ modelValidation: { validated: false, confidenceBound: 0, summary: UNVALIDATED } }, 0);
    expect(repReasons(reasons, unvalidated).map((r) => [r.code, r.shown, r.repDetail])).toEqual([['below_threshold', false, ''], ['model_unvalidated', true, '']]);
    const none = repReasons([`model_unvalidated: ${NO_ACTIVITY}`], unvalidated)[0]!;
    expect(none.text).toBe('No lead score yet: there is no e-mail, call, meeting or note to score, so a person decides.');
    const calibrated = confidenceView({ modelValidation: { validated: true, confidenceBound: 0.17, summary: 's' } }, 0.17);
    expect(repReasons(['below_threshold: confidence 0.17 is below the threshold 0.60; s'], calibrated)[0]!.repDetail).toBe('It is 17% sure; it writes on its own only from 60%.');
  });
});
