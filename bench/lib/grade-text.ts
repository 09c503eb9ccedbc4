/**
 * Grading by meaning, transparently. A ground-truth item carries key terms (`terms`): the words any faithful
 * rendering of it keeps, whatever the sentence around them. An output item matches when it contains every key
 * term (whole words or word prefixes, case, punctuation and accents of spelling aside). Paraphrase-tolerant for
 * extractive output and for models that keep the object of an action; with a real embedding model the eval can
 * also match by cosine similarity over a stated threshold (`semanticMatcher`).
 */

export function normalize(text: string): string {
  return ` ${text
    .toLowerCase()
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim()} `;
}

/**
 * Every word of every term appears as a word or word prefix ("doc" matches "docs"; "api" does not match "rapid"),
 * in any order: speech-to-text puts fillers between words ("support uh hours").
 */
export function hasTerms(text: string, terms: readonly string[]): boolean {
  const t = normalize(text);
  return terms.every((term) => normalize(term).trim().split(' ').every((w) => t.includes(` ${w}`)));
}

export type Matcher = (truth: { gist: string; terms: readonly string[] }, output: string) => boolean | Promise<boolean>;

export const termMatcher: Matcher = (truth, output) => hasTerms(output, truth.terms);

const STOP = new Set(
  'a an and are as at be but by for from has have i in is it its of on or our that the their this to was we were will with you your us me my they them he she his her not do does did so if then than there here can could would should shall may might must just also about into over under after before'.split(
    ' ',
  ),
);

/** Content words, lower case, a plural `s` dropped: the units of the lexical support check. */
export function contentTerms(text: string): string[] {
  return normalize(text)
    .trim()
    .split(' ')
    .filter((w) => w.length > 2 && !STOP.has(w))
    .map((w) => (w.length > 4 && w.endsWith('s') && !w.endsWith('ss') ? w.slice(0, -1) : w));
}

function numbers(text: string): string[] {
  return text.match(/\d[\d,.]*\d|\d/g)?.map((n) => n.replace(/[,.]/g, '')) ?? [];
}

/**
 * Does `chunk` support `claim`? The transparent check: every number in the claim appears in the chunk, and at
 * least `coverage` of the claim's content words do. A short label before a colon ("Competitor: Zendrix",
 * `You asked: "…"`) is framing, not content, and is not checked.
 */
export function supports(claim: string, chunk: string, coverage = 0.6): boolean {
  const content = claim.replace(/^[^:"“]{1,40}:\s*/, '').replace(/^["“]|["”]$/g, '');
  const want = [...new Set(contentTerms(content))];
  const have = new Set(contentTerms(chunk));
  const chunkNumbers = new Set(numbers(chunk));
  if (!numbers(content).every((n) => chunkNumbers.has(n))) return false;
  if (want.length === 0) return numbers(content).length > 0;
  const found = want.filter((w) => have.has(w) || [...have].some((h) => h.length > 4 && w.length > 4 && (h.startsWith(w) || w.startsWith(h)))).length;
  return found / want.length >= coverage;
}
