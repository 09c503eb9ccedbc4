/**
 * What the CRM fields do not say but the history's words do: a confirmed budget in an e-mail, the need an account
 * keeps talking about, a vendor named in a call. The lead scorer learns it from its own training deals with a
 * sparse logistic regression on the words of the history (unigrams and bigrams, present or not), L2-penalised,
 * and uses that model's logit as one more input of the main model (stacking). Nothing here knows any phrase: the
 * vocabulary and the weights come from the closed deals the scorer is trained on.
 *
 * Two of these run side by side: one over the deal's own engagements and one over the whole account's history.
 * Training code must feed the main model *out-of-fold* text logits (train.ts does), or the main model would trust
 * a text score that has already seen the labels it is fitted on.
 */

/** Names of the main model's inputs that text models produce (in this order). */
export const TEXT_FEATURES = ['dealWording', 'accountWording'] as const;

export interface TextModel {
  /** Term → weight; terms absent here weigh 0. */
  weights: Record<string, number>;
  bias: number;
}

export interface TextFitOptions {
  /** A term is kept when it occurs in the texts of at least this many distinct groups (accounts); default 25 (chosen on development seeds: rarer terms added noise). A portal too small for any such term gets no text input. */
  minGroups?: number;
  /** L2 strength per example. */
  l2?: number;
  epochs?: number;
  /** Cap on the vocabulary (most frequent terms first): keeps the stored model small. */
  maxTerms?: number;
}

const WORD = /[\p{L}\p{N}]+/gu;
const MAX_TERMS_PER_TEXT = 6000;

/** The distinct unigrams and adjacent bigrams of a text, lower-cased, words of 3+ characters, no bare numbers. */
export function textTerms(texts: readonly string[]): string[] {
  const out = new Set<string>();
  for (const text of texts) {
    let prev = '';
    for (const m of text.toLowerCase().matchAll(WORD)) {
      const w = m[0];
      if (w.length < 3 || /^\d+$/.test(w)) {
        prev = '';
        continue;
      }
      out.add(w);
      if (prev) out.add(`${prev} ${w}`);
      prev = w;
      if (out.size >= MAX_TERMS_PER_TEXT) return [...out];
    }
  }
  return [...out];
}

interface Doc {
  idx: number[];
  scale: number;
}

function encode(terms: readonly string[], index: ReadonlyMap<string, number>): Doc {
  const idx: number[] = [];
  for (const t of terms) {
    const i = index.get(t);
    if (i !== undefined) idx.push(i);
  }
  // Unit-length binary vectors: a long history does not outweigh a short one by its length alone.
  return { idx, scale: idx.length ? 1 / Math.sqrt(idx.length) : 0 };
}

/** Deterministic shuffle order (xorshift) so a retrain on the same deals gives the same model. */
function order(n: number, seed: number): number[] {
  const a = Array.from({ length: n }, (_, i) => i);
  let s = seed >>> 0 || 1;
  for (let i = n - 1; i > 0; i--) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    const j = (s >>> 0) % (i + 1);
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
}

/** Terms that occur in the texts of at least `minGroups` distinct groups (accounts), most widespread first. */
export function buildVocabulary(terms: ReadonlyArray<readonly string[]>, groups: readonly string[], opts: TextFitOptions = {}): string[] {
  const minGroups = opts.minGroups ?? 25;
  const maxTerms = opts.maxTerms ?? 12_000;
  // Counted by distinct group: a term one account repeats in every deal is that account's, not a signal. The same
  // terms array object shared by an account's deals is counted once.
  const seen = new Map<string, Set<string>>();
  const done = new Set<readonly string[]>();
  terms.forEach((ts, i) => {
    if (done.has(ts)) return;
    done.add(ts);
    const g = groups[i] ?? String(i);
    for (const t of ts) {
      let s = seen.get(t);
      if (!s) seen.set(t, (s = new Set()));
      s.add(g);
    }
  });
  return [...seen]
    .filter(([, s]) => s.size >= minGroups)
    .sort((a, b) => b[1].size - a[1].size || (a[0] < b[0] ? -1 : 1))
    .slice(0, maxTerms)
    .map(([t]) => t);
}

/**
 * Texts encoded once against a vocabulary, so that the many fits of cross-fitting (train.ts) only pay for the
 * optimisation. The vocabulary uses no labels, so building it on all training texts leaks nothing into a fold.
 */
export class EncodedTexts {
  private readonly docs: Doc[];

  constructor(
    readonly vocab: readonly string[],
    terms: ReadonlyArray<readonly string[]>,
  ) {
    const index = new Map(vocab.map((t, i) => [t, i]));
    const cache = new Map<readonly string[], Doc>();
    this.docs = terms.map((ts) => {
      let d = cache.get(ts);
      if (!d) cache.set(ts, (d = encode(ts, index)));
      return d;
    });
  }

  /** Fits on the texts `idx` with their labels; the weights are in vocabulary order (see `toModel`). */
  fit(idx: readonly number[], labels: readonly boolean[], opts: TextFitOptions = {}): EncodedFit {
    const l2 = opts.l2 ?? 1e-3;
    const epochs = opts.epochs ?? 20;
    const y = idx.map((i) => (labels[i] ? 1 : 0));
    const base = y.reduce<number>((s, v) => s + v, 0) / Math.max(1, y.length);
    let bias = Math.log(Math.max(1e-6, base) / Math.max(1e-6, 1 - base));
    const w = new Float64Array(this.vocab.length);
    const g2 = new Float64Array(this.vocab.length).fill(1e-8);
    let gb2 = 1e-8;
    const lr = 0.5;
    // AdaGrad on the penalised log-loss; the penalty is applied lazily to the weights a document touches.
    for (let e = 0; e < epochs; e++) {
      for (const k of order(idx.length, 7919 * (e + 1))) {
        const d = this.docs[idx[k]!]!;
        let z = bias;
        for (const j of d.idx) z += w[j]! * d.scale;
        const err = 1 / (1 + Math.exp(-z)) - y[k]!;
        gb2 += err * err;
        bias -= (lr * err) / Math.sqrt(gb2);
        for (const j of d.idx) {
          const g = err * d.scale + l2 * w[j]!;
          g2[j]! += g * g;
          w[j]! -= (lr * g) / Math.sqrt(g2[j]!);
        }
      }
    }
    return { w, bias };
  }

  /** The fitted model's logit for text `i` (equal to `textLogit(toModel(f), terms[i])`). */
  logit(f: EncodedFit, i: number): number {
    const d = this.docs[i]!;
    let z = f.bias;
    for (const j of d.idx) z += f.w[j]! * d.scale;
    return z;
  }

  toModel(f: EncodedFit): TextModel {
    // Every vocabulary term is kept, weight near 0 or not: it counts in the length normalisation at scoring time.
    const weights: Record<string, number> = {};
    this.vocab.forEach((t, j) => {
      weights[t] = Math.round(f.w[j]! * 1e5) / 1e5;
    });
    return { weights, bias: Math.round(f.bias * 1e5) / 1e5 };
  }
}

export interface EncodedFit {
  w: Float64Array;
  bias: number;
}

export function fitTextModel(terms: ReadonlyArray<readonly string[]>, labels: readonly boolean[], groups: readonly string[], opts: TextFitOptions = {}): TextModel {
  const enc = new EncodedTexts(buildVocabulary(terms, groups, opts), terms);
  return enc.toModel(enc.fit(terms.map((_, i) => i), labels, opts));
}

/** The text model's logit for a text's terms (its bias included). */
export function textLogit(model: TextModel, terms: readonly string[]): number {
  let s = 0;
  let n = 0;
  for (const t of terms) {
    const v = model.weights[t];
    if (v === undefined) continue;
    s += v;
    n++;
  }
  return model.bias + (n ? s / Math.sqrt(n) : 0);
}
