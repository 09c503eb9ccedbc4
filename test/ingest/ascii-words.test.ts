import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { asciiWords, segmenterWords, wordsOf } from '../../src/ingest/embedders/offline-hash-embedder.ts';

// The offline embedder's fast path for ASCII text must split words exactly as Intl.Segmenter does: vectors of
// offline-hash-v1 are cached and stored, so a different split would silently change them.
describe('asciiWords', () => {
  const alphabet = [...'abzAQ019_:.\',;-/@#"()!? \n\t'];
  const asciiText = fc.array(fc.constantFrom(...alphabet), { maxLength: 40 }).map((cs) => cs.join(''));

  it('equals the word-like segments of Intl.Segmenter on random ASCII text', () => {
    fc.assert(
      fc.property(asciiText, (text) => {
        const lower = text.toLowerCase();
        expect(asciiWords(lower)).toEqual(segmenterWords(lower));
      }),
      { numRuns: 5_000 },
    );
  });

  it('equals it on CRM-like text: e-mails, numbers, URLs, contractions, abbreviations', () => {
    const samples = [
      "Hi Dana, thanks for the call. We can't sign before 1,000 seats (3.5% uplift) are approved; e.g. legal takes 2-3 weeks.",
      'See https://example.com/a_b?x=1&y=2 or mail jo.doe@acme.io — ref INV-2025_07, v1.2.3, 10:30am, 1;2;3 and __init__.',
      "> On Mon, Jan 5, 2026 at 9:41 AM John O'Brien <john@acme.com> wrote:\n> Pricing: $12,500.00/yr... OK?",
    ];
    for (const s of samples) {
      const lower = s.toLowerCase();
      expect(asciiWords(lower)).toEqual(segmenterWords(lower));
    }
  });

  it('equals it with every ASCII character, control characters included', () => {
    const anyAscii = fc.array(fc.integer({ min: 0, max: 127 }), { maxLength: 24 }).map((cs) => String.fromCharCode(...cs));
    fc.assert(
      fc.property(anyAscii, (text) => {
        const lower = text.toLowerCase();
        expect(asciiWords(lower)).toEqual(segmenterWords(lower));
      }),
      { numRuns: 5_000 },
    );
  });

  it('splits mixed text (accents, curly quotes, dashes, CJK, emoji, combining marks) exactly like the segmenter', () => {
    const mixed = [...'ab1_.\',:; \n\t-', 'é', 'ß', '’', '“', '—', '東', '京', 'ไ', 'ท', '\u0301', '\u200d', '\u00a0', '\u2028', '👍', '🇫', '🇷', 'İ'];
    const text = fc.array(fc.constantFrom(...mixed), { maxLength: 30 }).map((cs) => cs.join(''));
    fc.assert(
      fc.property(text, (t) => {
        const lower = t.normalize('NFKC').toLowerCase();
        expect(wordsOf(lower)).toEqual(segmenterWords(lower));
      }),
      { numRuns: 5_000 },
    );
  });
});
