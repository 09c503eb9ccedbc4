import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { countTokens, encode, getEncoder } from '../../src/text/tokenizer.ts';

/**
 * Counting never builds the token array, and long texts skip the long-letter-run search when a plain scan shows
 * none can exist: neither may change a count or an encoding. Text without a 48-letter run encodes exactly as
 * js-tiktoken does; with one, the count still equals the encoding's length.
 */
const word = fc.constantFrom('the', 'Kubernetes', ' ', '\n', '\n\n', ', ', '. ', '42', '2025-06-03', 'café', 'Müller', '東京', '😀', "'s", 'x'.repeat(47), 'y'.repeat(48), 'あ'.repeat(50), '<|endoftext|>');

describe('tokenizer counting', () => {
  it('counts what it encodes, and encodes like js-tiktoken when no letter run reaches 48', () => {
    fc.assert(
      fc.property(fc.array(word, { maxLength: 60 }).map((w) => w.join('')), (text) => {
        const tokens = encode(text);
        expect(countTokens(text)).toBe(tokens.length);
        if (!/\p{L}{48,}/u.test(text)) expect(tokens).toEqual(getEncoder().encode(text, [], []));
      }),
      { numRuns: 1_500, seed: 20 },
    );
  });
});
