import { contentTerms } from '../../src/retrieval/text-terms.ts';
import type { TermDocumentFrequencies } from '../../src/retrieval/account-profile.ts';

/**
 * A candidate account profile measured by the eval, not yet what the indexer stores: the mean embedding of the
 * account's k most "themed" history sentences. A sentence scores by its terms that some accounts share but most
 * do not (2 ≤ portal document frequency ≤ maxShare · accounts, weight log(N/df), over √terms): names (one
 * account) and boilerplate (nearly every account) score nothing. Only whole sentences count (ending in . ! ?),
 * not subject lines or headers, which carry product names rather than needs. Needs the portal-wide document
 * frequencies, which the indexer does not keep yet (profiles are built per account as it goes).
 * Options chosen on development seeds 504–505 (dev style, lexical embedder): k = 8, maxShare = 0.5.
 */
export const THEMED_SENTENCES = 8;
export const THEMED_MAX_SHARE = 0.5;

const SPEAKER = /^\s*(?:\[[^\]]*\]\s*)?[^:]{1,80}:\s+/;

export function themedSentences(texts: readonly string[], docs: TermDocumentFrequencies, k = THEMED_SENTENCES, maxShare = THEMED_MAX_SHARE): string[] {
  const sentences = texts
    .flatMap((t) => t.split(/(?<=[.!?])\s+|\n+/))
    .map((s) => s.replace(SPEAKER, '').trim())
    .filter((s) => s.length > 20 && s.length < 300 && /[.!?]$/.test(s) && !/^(?:re|fwd?):/i.test(s));
  const weight = (t: string) => {
    const df = docs.df.get(t) ?? 0;
    return df >= 2 && df <= maxShare * docs.documents ? Math.log(docs.documents / df) : 0;
  };
  const score = (s: string) => {
    const terms = [...new Set(contentTerms(s))];
    return terms.length ? terms.reduce((a, t) => a + weight(t), 0) / Math.sqrt(terms.length) : 0;
  };
  const seen = new Set<string>();
  return sentences
    .map((s) => ({ s, v: score(s) }))
    .filter((x) => x.v > 0)
    .sort((a, b) => b.v - a.v || a.s.localeCompare(b.s))
    .filter((x) => !seen.has(x.s) && Boolean(seen.add(x.s)))
    .slice(0, k)
    .map((x) => x.s);
}

export function meanVector(vectors: ReadonlyArray<ArrayLike<number>>): number[] {
  const d = vectors[0]?.length ?? 0;
  const out = new Array<number>(d).fill(0);
  for (const v of vectors) for (let i = 0; i < d; i++) out[i]! += v[i]! / vectors.length;
  return out;
}

export function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!;
    na += a[i]! * a[i]!;
    nb += b[i]! * b[i]!;
  }
  return na && nb ? dot / Math.sqrt(na * nb) : 0;
}
