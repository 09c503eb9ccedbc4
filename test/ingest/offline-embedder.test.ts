import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { OfflineHashEmbedder, embedTerms, lexicalTerms } from '../../src/ingest/embedders/offline-hash-embedder.ts';

const dot = (a: Float32Array, b: Float32Array) => a.reduce((s, v, i) => s + v * b[i]!, 0);

describe('OfflineHashEmbedder', () => {
  const embedder = new OfflineHashEmbedder();

  it('is deterministic, L2-normalized and sized by config', async () => {
    const { vectors, tokens, cacheHits } = await embedder.embed(['Renewal pricing for Acme', 'Renewal pricing for Acme']);
    expect(embedder.model).toBe('offline-hash-v1');
    expect(vectors[0]!.length).toBe(384);
    expect(Array.from(vectors[0]!)).toEqual(Array.from(vectors[1]!));
    expect(dot(vectors[0]!, vectors[0]!)).toBeCloseTo(1, 5);
    expect(tokens).toBe(6);
    expect(cacheHits).toBe(0);
    expect((await new OfflineHashEmbedder({ dimensions: 64 }).embed(['x'])).vectors[0]!.length).toBe(64);
  });

  it('is lexical: shared words make texts close, synonyms do not', async () => {
    const [query, sameWords, synonyms, unrelated] = (
      await embedder.embed(['cancel the contract', 'we want to cancel our contract now', 'terminate the agreement', 'lunch menu on friday'])
    ).vectors as [Float32Array, Float32Array, Float32Array, Float32Array];
    expect(dot(query, sameWords)).toBeGreaterThan(0.5);
    expect(Math.abs(dot(query, synonyms))).toBeLessThan(0.2);
    expect(Math.abs(dot(query, unrelated))).toBeLessThan(0.2);
  });

  it('segments non-English text into words and embeds empty text as a non-zero vector', async () => {
    expect(lexicalTerms('契約の更新について')).toEqual(['契約', 'の', '更新', 'について']);
    expect(lexicalTerms('Grüße aus München')).toEqual(['grüße', 'aus', 'münchen']);
    const [empty] = (await embedder.embed([''])).vectors;
    expect(dot(empty!, empty!)).toBeCloseTo(1, 5);
  });
});

/**
 * offline-hash-v1 as first written, with string features: vectors are cached and stored, so the faster
 * `embedTerms` must give these exact float32 values for every input.
 */
function referenceEmbedTerms(terms: string[], dimensions: number): Float32Array {
  const hash32 = (s: string) => {
    let h = 0x811c9dc5;
    for (let i = 0; i < s.length; i += 1) {
      h ^= s.charCodeAt(i);
      h = Math.imul(h, 0x01000193);
    }
    h ^= h >>> 16;
    h = Math.imul(h, 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
    return h >>> 0;
  };
  const vector = new Float32Array(dimensions);
  const counts = new Map<string, number>();
  for (let i = 0; i < terms.length; i += 1) {
    const unigram = `u:${terms[i]}`;
    counts.set(unigram, (counts.get(unigram) ?? 0) + 1);
    if (i > 0) {
      const bigram = `b:${terms[i - 1]} ${terms[i]}`;
      counts.set(bigram, (counts.get(bigram) ?? 0) + 0.5);
    }
  }
  if (counts.size === 0) counts.set('empty:', 1);
  for (const [feature, tf] of counts) {
    const h = hash32(feature);
    const index = h % dimensions;
    vector[index] = vector[index]! + (h >>> 31 === 0 ? 1 : -1) * Math.log1p(tf);
  }
  let norm = 0;
  for (const v of vector) norm += v * v;
  norm = Math.sqrt(norm);
  if (norm > 0) for (let i = 0; i < dimensions; i += 1) vector[i] = vector[i]! / norm;
  return vector;
}

describe('embedTerms', () => {
  const bits = (v: Float32Array) => [...new Uint32Array(v.buffer, v.byteOffset, v.length)];

  it('gives the string-feature vectors bit for bit, on repeated and colliding terms', () => {
    // A small vocabulary makes repeats, repeated bigrams and shared indexes common; spaces inside terms make
    // ambiguous concatenations ('a b' + 'c' vs 'a' + 'b c').
    const term = fc.oneof(fc.constantFrom('renewal', 'pricing', 'a', 'a b', 'b c', 'c', '', 'é', '契約', ' '), fc.string({ maxLength: 6 }));
    fc.assert(
      fc.property(fc.array(term, { maxLength: 80 }), fc.constantFrom(8, 64, 384, 1536), (terms, dims) => {
        expect(bits(embedTerms(terms, dims))).toEqual(bits(referenceEmbedTerms(terms, dims)));
      }),
      { numRuns: 2_000, seed: 20 },
    );
  });

  it('gives the string-feature vectors bit for bit on real text', () => {
    const text = 'Renewal call with Acme: pricing, the security review and the renewal timeline. Acme wants the renewal pricing in writing before the security review; legal reviews the redlines. '.repeat(20);
    expect(bits(embedTerms(lexicalTerms(text), 384))).toEqual(bits(referenceEmbedTerms(lexicalTerms(text), 384)));
  });
});
