/**
 * The one tokenizer of the retrieval module, shared by BM25 sparse vectors (Qdrant), FTS5 queries (SQLite),
 * account-profile digests and "shared topics". It mirrors FTS5's `unicode61 remove_diacritics 2`: case-folded,
 * accents removed, split on anything that is not a letter or digit, so both backends see the same terms.
 */

const STOPWORDS = new Set(
  (
    'a about above after again against all also am an and any are as at be because been before being below between both but by ' +
    'can could did do does doing down during each few for from further had has have having he her here hers him his how i if in ' +
    'into is it its itself just let me more most my no nor not now of off on once only or other our ours out over own re same she ' +
    'should so some such than that the their theirs them then there these they this those through to too under until up very was ' +
    'we were what when where which while who whom why will with would you your yours hi hello thanks thank regards best dear ' +
    'please get got us ll ve s t d m'
  ).split(/\s+/),
);

const DIACRITICS = /[\u0300-\u036f]/g;
const SPLIT = /[^\p{L}\p{N}]+/u;

const NON_ASCII = /[\u0080-\uffff]/;
const ASCII_SPLIT = /[^a-z0-9]+/;

/** Every term in order, stopwords included (for FTS-consistent counting). */
export function rawTerms(text: string): string[] {
  // ASCII text (most CRM text, and every retrieval query's candidates) needs no normalisation: the same terms for
  // a fraction of the cost of Unicode property classes.
  if (!NON_ASCII.test(text)) return text.toLowerCase().split(ASCII_SPLIT).filter((t) => t.length > 0);
  return unicodeTerms(text);
}

/** `rawTerms` without its ASCII shortcut (exported for the test that holds the two equal). */
export function unicodeTerms(text: string): string[] {
  return text.normalize('NFKD').replace(DIACRITICS, '').toLowerCase().split(SPLIT).filter((t) => t.length > 0);
}

/** Content terms: no stopwords, no single characters, no pure numbers longer than 4 digits (ids, phone numbers). */
export function contentTerms(text: string): string[] {
  return rawTerms(text).filter((t) => t.length > 1 && !STOPWORDS.has(t) && !LONG_NUMBER.test(t));
}

const LONG_NUMBER = /^\d{5,}$/;

/**
 * Distinct content terms (as `contentTerms` finds them) of several texts, as small integer ids shared by those
 * texts: comparing two texts is then array indexing instead of hashing strings, and no per-text Set is built (what
 * MMR paid for every candidate of every query).
 */
export class TermIds {
  private readonly ids = new Map<string, number>();
  /** For each id, the last text that listed it (to list each term once per text). */
  private readonly lastText: number[] = [];
  private texts = 0;

  /** How many distinct terms have been seen: every id is below it. */
  get size(): number {
    return this.ids.size;
  }

  /** The text's distinct content terms, as ids in order of first occurrence. */
  of(text: string): number[] {
    const text_ = ++this.texts;
    const out: number[] = [];
    const terms = NON_ASCII.test(text) ? contentTerms(text) : text.toLowerCase().split(ASCII_SPLIT);
    for (const t of terms) {
      // contentTerms' filter, inlined for the ASCII split (its own output passes it unchanged).
      if (t.length < 2 || STOPWORDS.has(t) || (t.length >= 5 && LONG_NUMBER.test(t))) continue;
      let id = this.ids.get(t);
      if (id === undefined) {
        id = this.ids.size;
        this.ids.set(t, id);
        this.lastText.push(0);
      }
      if (this.lastText[id] !== text_) {
        this.lastText[id] = text_;
        out.push(id);
      }
    }
    return out;
  }
}

export function termFrequencies(terms: Iterable<string>): Map<string, number> {
  const tf = new Map<string, number>();
  for (const t of terms) tf.set(t, (tf.get(t) ?? 0) + 1);
  return tf;
}
