import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { normalizeModelText } from '../../src/core/model-text.ts';
import { normalizeProposalText, type Proposal } from '../../src/core/proposal.ts';

const wellFormed = (s: string) => !/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(s);

describe('normalizeModelText', () => {
  it('replaces lone surrogates, keeps real pairs, drops NUL and control characters, unifies line ends', () => {
    expect(normalizeModelText('a\uD83Db')).toBe('a\uFFFDb');
    expect(normalizeModelText('a\uDE00b')).toBe('a\uFFFDb');
    expect(normalizeModelText('ok 😀 done')).toBe('ok 😀 done');
    expect(normalizeModelText('x\u0000y\u0007z\u009Fw')).toBe('xyzw');
    expect(normalizeModelText('one\r\ntwo\rthree\tfour')).toBe('one\ntwo\nthree\tfour');
  });

  it('cuts at the bound with an ellipsis, never inside a surrogate pair', () => {
    expect(normalizeModelText('abcdef', 4)).toBe('abc…');
    const cut = normalizeModelText('ab😀😀', 4);
    expect(cut).toBe('ab…');
    expect(cut.length).toBeLessThanOrEqual(4);
  });

  it('always gives well-formed text within the bound, and is idempotent', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 200 }), fc.integer({ min: 2, max: 300 }), (s, max) => {
        const out = normalizeModelText(s, max);
        expect(wellFormed(out)).toBe(true);
        expect(out.length).toBeLessThanOrEqual(max);
        expect(out.includes('\u0000')).toBe(false);
        expect(normalizeModelText(out, max)).toBe(out);
      }),
      { numRuns: 2_000 },
    );
  });
});

describe('normalizeProposalText', () => {
  const p: Proposal = {
    id: 'p', portalId: '1', accountId: '1', runId: 'r', target: { objectType: 'companies', objectId: '1' }, kind: 'note', field: null,
    value: 'v\uD800', title: 't\u0000', rationale: 'r\uDFFF', confidence: 1, evidence: [], agent: 'call_summary', promptVersion: 'x', model: 'm', createdAt: '',
  };
  it('normalises value, title and rationale, and leaves anything that is not a proposal alone', () => {
    expect(normalizeProposalText(p)).toMatchObject({ value: 'v\uFFFD', title: 't', rationale: 'r\uFFFD' });
    expect(normalizeProposalText(null as unknown as Proposal)).toBeNull();
    const junk = { value: 42 } as unknown as Proposal;
    expect(normalizeProposalText(junk)).toBe(junk);
  });
});
