import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { clipAtWord } from '../../src/core/clip-text.ts';

// The review page's browser copy (plain JavaScript, no types): loaded by path.
const PAGE_MODULE: string = '../../src/api/review-page/common.js';
const { clipAtWord: pageClip } = (await import(PAGE_MODULE)) as { clipAtWord: typeof clipAtWord };

// A long reason of the demo report (a validated model's figures).
const REASON =
  'below_threshold: confidence 0.17 is below the threshold 0.60; model offline:offline-extractive-v1: account_summary.ai_churn_risk (high) 39/167 right (0.23, 95% lower bound 0.17) on the lower of: sandbox dev style, seeds 21,22, 300 companies each (development) and sandbox test style, seeds 31,32, 300 companies each (held-out phrasing), measured 2026-11-30; confidence capped there';

describe('clipAtWord', () => {
  it('cuts a long reason at a word boundary with an ellipsis, and leaves text that fits alone', () => {
    const clipped = clipAtWord(REASON, 300);
    expect(clipped.length).toBeLessThanOrEqual(300);
    expect(clipped).toMatch(/ seeds…$|, 300…$|31,32…$/);
    expect(REASON.startsWith(clipped.slice(0, -1))).toBe(true);
    // At every room, the cut falls between words: the original continues with a space or a separator there
    // (a plain slice and "…" cuts words at most widths: "account_summ…" at 112, "sandbox test sty…" at 281).
    for (let max = 40; max < REASON.length; max++) {
      const c = clipAtWord(REASON, max);
      expect(REASON[c.length - 1] ?? ' ', `${max}: ${c}`).toMatch(/[\s,;:(–—-]/);
    }
    expect(clipAtWord('short enough', 300)).toBe('short enough');
    expect(clipAtWord('Renewal at risk: the champion left in May.', 20)).toBe('Renewal at risk…');
    // One word longer than most of the room is cut inside it (nothing else fits).
    expect(clipAtWord('x'.repeat(50), 10)).toBe(`${'x'.repeat(9)}…`);
    // Never half an emoji.
    expect(clipAtWord(`${'a'.repeat(8)}😀😀 rest`, 10)).toBe(`${'a'.repeat(8)}…`);
  });

  it('never exceeds the room, keeps a prefix of the text, and the page’s copy agrees', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom('a', 'b', ' ', ',', 'é', '😀', '\n'), maxLength: 200 }), fc.integer({ min: 0, max: 220 }), (text, max) => {
        const out = clipAtWord(text, max);
        expect(pageClip(text, max)).toBe(out);
        expect(out.length).toBeLessThanOrEqual(Math.max(max, 0));
        if (text.length <= max) expect(out).toBe(text);
        else {
          expect(out.endsWith('…') || out === '').toBe(true);
          expect(text.startsWith(out.slice(0, -1))).toBe(true);
        }
      }),
    );
  });
});
