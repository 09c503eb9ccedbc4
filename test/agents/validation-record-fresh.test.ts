import { describe, expect, it } from 'vitest';
import { fieldValidation, pessimistic, VALIDATION_RECORDS } from '../../src/agents/judgment-validation.ts';
import { OFFLINE_EXTRACTIVE_V1 } from '../../src/agents/validation/offline-extractive-v1.ts';
import { judgmentCodeVersion } from '../../bench/lib/judgment-version.ts';

/**
 * The committed validation record must describe the code that produces the judgments: when the offline extractor's
 * judged sources or the judged prompts change, the stored precision says nothing about the new code and the record
 * has to be measured again. It must also never exceed what the held-out measurement showed.
 */
describe('the committed judgment validation record', () => {
  it('was measured on the current extractor and prompts', () => {
    const now = judgmentCodeVersion();
    expect(
      OFFLINE_EXTRACTIVE_V1.codeVersion,
      `src/agents/validation/offline-extractive-v1.ts describes code ${OFFLINE_EXTRACTIVE_V1.codeVersion ?? '(unknown)'}, the extractor and prompts are now ${now}: run \`${OFFLINE_EXTRACTIVE_V1.command}\` and commit the record`,
    ).toBe(now);
  });

  it('bounds every field and value class by the lower of its development and held-out measurements', () => {
    const dev = OFFLINE_EXTRACTIVE_V1.measurements?.find((m) => m.role === 'development');
    const held = OFFLINE_EXTRACTIVE_V1.measurements?.find((m) => m.role === 'held-out');
    expect(dev && held).toBeTruthy();
    expect(OFFLINE_EXTRACTIVE_V1.fields).toEqual(pessimistic(dev!.fields, held!.fields));
    for (const [key, f] of Object.entries(OFFLINE_EXTRACTIVE_V1.fields)) {
      for (const cls of [null, ...Object.keys(f.byValue ?? {})]) {
        const bound = fieldValidation(OFFLINE_EXTRACTIVE_V1, 'offline', key, cls).confidenceBound;
        const heldTally = cls === null ? held!.fields[key] : held!.fields[key]?.byValue?.[cls];
        // Never above the held-out precision (the bound is a 95 % lower bound of the lower measurement).
        if (heldTally && heldTally.n > 0) expect(bound).toBeLessThanOrEqual(heldTally.right / heldTally.n);
        else expect(bound).toBe(0);
      }
    }
    expect(VALIDATION_RECORDS).toContain(OFFLINE_EXTRACTIVE_V1);
  });

  it('composes pessimistically: a class measured on one side only is unmeasured', () => {
    const a = { f: { n: 100, right: 90, byValue: { x: { n: 50, right: 45 }, y: { n: 50, right: 45 } } } };
    const b = { f: { n: 100, right: 80, byValue: { x: { n: 100, right: 95 } } } };
    expect(pessimistic(a, b)).toEqual({ f: { n: 100, right: 80, byValue: { x: { n: 50, right: 45 }, y: { n: 0, right: 0 } } } });
  });
});
