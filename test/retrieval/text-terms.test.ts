import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { rawTerms, unicodeTerms } from '../../src/retrieval/text-terms.ts';

describe('rawTerms', () => {
  it('takes the ASCII shortcut without changing a single term (every ASCII character)', () => {
    const anyAscii = fc.array(fc.integer({ min: 0, max: 127 }), { maxLength: 40 }).map((cs) => String.fromCharCode(...cs));
    fc.assert(
      fc.property(anyAscii, (text) => {
        expect(rawTerms(text)).toEqual(unicodeTerms(text));
      }),
      { numRuns: 5_000 },
    );
  });

  it('folds case and accents and splits on punctuation like FTS5 unicode61', () => {
    expect(rawTerms("Réunion à ZÜRICH: SSO-rollout, John's 1,000 seats")).toEqual(['reunion', 'a', 'zurich', 'sso', 'rollout', 'john', 's', '1', '000', 'seats']);
  });
});
