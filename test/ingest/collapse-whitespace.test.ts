import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { collapseWhitespace } from '../../src/text/normalize/whitespace.ts';

/** The full collapse, step by step: the early return for already-collapsed text must never change an answer. */
function reference(text: string): string {
  return text
    .replace(/\r\n?/g, '\n')
    .replace(/[\u00A0\u2007\u202F\u200B\uFEFF]/g, (c) => (c === '\u200B' || c === '\uFEFF' ? '' : ' '))
    .split('\n')
    .map((line) => line.replace(/[ \t\f\v]+/g, ' ').trim())
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

const piece = fc.constantFrom('a', 'Word', ' ', '  ', '\n', '\n\n', '\n\n\n', '\r', '\r\n', '\t', '\f', '\v', '\u00A0', '\u2007', '\u202F', '\u200B', '\uFEFF', '\u2003', '\u3000', '\u2028', '\u2029', 'é', '。');

describe('collapseWhitespace', () => {
  it('equals the full collapse on text made of every kind of whitespace', () => {
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 40 }).map((p) => p.join('')), (text) => {
        expect(collapseWhitespace(text)).toBe(reference(text));
      }),
      { numRuns: 5_000, seed: 20 },
    );
  });

  it('equals the full collapse on arbitrary strings, and returns collapsed text as it is', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 80, unit: 'binary' }), (text) => {
        expect(collapseWhitespace(text)).toBe(reference(text));
      }),
      { numRuns: 2_000, seed: 21 },
    );
    const collapsed = 'Hi Jane,\n\nThanks for the quote.\nBest, Bob';
    expect(collapseWhitespace(collapsed)).toBe(collapsed);
  });
});
