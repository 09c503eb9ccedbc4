import { describe, expect, it } from 'vitest';
import { OfflineHashEmbedder, lexicalTerms } from '../../src/ingest/embedders/offline-hash-embedder.ts';

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
