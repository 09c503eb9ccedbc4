import { describe, expect, it } from 'vitest';
import { accountBm25Scores } from '../../src/retrieval/account-bm25.ts';

describe('accountBm25Scores', () => {
  const docs = (...texts: string[]) => texts.map((text) => ({ text }));

  it('weighs a rare term above a common one, and counts a repeated term with saturation', () => {
    const [rare, common] = accountBm25Scores(['sso', 'pricing'], docs('sso here', 'pricing here', 'pricing there', 'pricing again'));
    expect(rare!).toBeGreaterThan(common!);
    const [once, twice, many] = accountBm25Scores(['sso'], docs('sso a b c', 'sso sso b c', 'sso sso sso sso', ...Array(7).fill('other words')));
    expect(twice!).toBeGreaterThan(once!);
    expect(many!).toBeGreaterThan(twice!);
    expect(many! - twice!).toBeLessThan(twice! - once!);
  });

  it('prefers the shorter of two chunks with the same count, and scores a chunk without the terms 0', () => {
    const [short, long, none] = accountBm25Scores(['sso'], docs('sso rollout', 'sso rollout with many more words about other things entirely', 'nothing'));
    expect(short!).toBeGreaterThan(long!);
    expect(none).toBe(0);
  });

  it('uses the account size for IDF: the same match in a larger account weighs more', () => {
    const [small] = accountBm25Scores(['sso'], docs('sso rollout'));
    const [large] = accountBm25Scores(['sso'], docs('sso rollout', ...Array(199).fill('pricing rollout')));
    expect(large!).toBeGreaterThan(small!);
    expect(small!).toBeGreaterThan(0); // even a term in every chunk keeps a positive weight
  });

  it('normalises text like the FTS5 tokenizer (case, accents, punctuation)', () => {
    const [a, b] = accountBm25Scores(['zurich'], docs('Zürich!', 'ZURICH.'));
    expect(a!).toBeGreaterThan(0);
    expect(a).toBe(b);
  });
});
