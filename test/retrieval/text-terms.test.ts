import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { contentTerms, rawTerms, TermIds, unicodeTerms } from '../../src/retrieval/text-terms.ts';

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

describe('TermIds', () => {
  it('lists each content term of a text once, with one id per term across texts', () => {
    const words = fc.constantFrom('renewal', 'Pricing', 'the', 'SSO', 'a', '12345', '1234', 'réunion', 'x', 'q3', 'ZÜRICH', '--', ' ');
    const text = fc.array(words, { maxLength: 30 }).map((ws) => ws.join(' '));
    fc.assert(
      fc.property(fc.array(text, { minLength: 1, maxLength: 5 }), (texts) => {
        const ids = new TermIds();
        const names = new Map<number, string>();
        for (const t of texts) {
          const listed = ids.of(t);
          const expected = [...new Set(contentTerms(t))];
          expect(listed).toHaveLength(expected.length);
          listed.forEach((id, i) => {
            expect(id).toBeLessThan(ids.size);
            if (!names.has(id)) names.set(id, expected[i]!);
            expect(names.get(id)).toBe(expected[i]);
          });
        }
      }),
      { numRuns: 500 },
    );
  });
});
