import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ContainerMetrics } from '../../src/metrics.ts';
import { EmbeddingError } from '../../src/ingest/embedders/embedding-error.ts';
import { hashEmbed } from '../../src/ingest/embedders/offline-hash-embedder.ts';
import { OpenAIEmbedder, type OpenAIEmbedderOptions } from '../../src/ingest/embedders/openai-embedder.ts';
import { startOpenAICompatibleServer, type OpenAICompatibleServer } from '../../src/testing/openai-compatible-server.ts';

describe('OpenAIEmbedder against the OpenAI-compatible server', () => {
  let server: OpenAICompatibleServer;
  const make = (over: Partial<OpenAIEmbedderOptions> = {}) =>
    new OpenAIEmbedder({ model: 'text-embedding-3-small', dimensions: 256, apiKey: 'sk-test', baseURL: server.url, retry: { baseDelayMs: 5, maxDelayMs: 20 }, ...over });

  beforeAll(async () => {
    server = await startOpenAICompatibleServer({ apiKey: 'sk-test' });
  });
  afterAll(async () => {
    await server.close();
  });
  afterEach(() => {
    server.requests.length = 0;
  });

  it('embeds in order, sends dimensions and keeps newlines', async () => {
    const texts = ['Jane: hello\nBob: hi', 'second text', 'third'];
    const { vectors, tokens } = await make().embed(texts);
    expect(vectors.map((v) => v.length)).toEqual([256, 256, 256]);
    expect(Array.from(vectors[0]!)).toEqual(Array.from(hashEmbed(texts[0]!, 256)));
    expect(server.requests[0]!.body).toMatchObject({ model: 'text-embedding-3-small', dimensions: 256, input: texts });
    expect(tokens).toBe(server.requests[0]!.tokenCount);
  });

  it('records usage tokens and cost in the metrics', async () => {
    const metrics = new ContainerMetrics();
    const before = (await metrics.embeddingTokens.get()).values.find((v) => v.labels.model === 'text-embedding-3-small')?.value ?? 0;
    expect(before).toBe(0);
    const { tokens } = await make({ metrics }).embed(['count these tokens please']);
    const after = (await metrics.embeddingTokens.get()).values.find((v) => v.labels.model === 'text-embedding-3-small')?.value ?? 0;
    expect(after - before).toBe(tokens);
    const cost = (await metrics.costUsd.get()).values.find((v) => v.labels.model === 'text-embedding-3-small' && v.labels.kind === 'embedding');
    expect(cost?.value).toBeGreaterThan(0);
  });

  it('batches by input count and by tokens, and truncates oversized inputs', async () => {
    const texts = Array.from({ length: 25 }, (_, i) => `document number ${i} about renewals`);
    await make({ limits: { maxInputs: 10, maxTokens: 300_000 } }).embed(texts);
    expect(server.requests.map((r) => r.inputCount)).toEqual([10, 10, 5]);

    server.requests.length = 0;
    await make({ limits: { maxInputs: 2048, maxTokens: 40 } }).embed(texts);
    expect(server.requests.length).toBeGreaterThan(3);
    for (const r of server.requests) expect(r.tokenCount).toBeLessThanOrEqual(40);
    expect(server.requests.reduce((n, r) => n + r.inputCount!, 0)).toBe(25);

    server.requests.length = 0;
    const huge = 'word '.repeat(9000);
    const { vectors } = await make().embed([huge, '']);
    expect(vectors).toHaveLength(2);
    expect(server.requests[0]!.tokenCount).toBeLessThanOrEqual(8191 + 1);
  });

  it("cuts a long input for another model's tokenizer at its token limit (e5: 512 tokens, ~2,048 characters)", async () => {
    const e5 = make({ model: 'intfloat/e5-small-v2', dimensions: 1536 });
    const long = 'renewal pricing discussion '.repeat(400); // 10,800 characters
    const { vectors } = await e5.embed([long, 'short text'], 'query');
    expect(vectors).toHaveLength(2);
    const sent = (server.requests[0]!.body as { input: string[] }).input;
    expect(sent[0]!.startsWith('query: renewal pricing')).toBe(true);
    expect(sent[0]!.length).toBeLessThanOrEqual(512 * 4);
    expect(sent[0]!.length).toBeGreaterThan(512 * 2);
    expect(sent[1]).toBe('query: short text');
  });

  it('retries 429 honouring Retry-After, and 5xx with backoff', async () => {
    server.injectFaults({ status: 429, retryAfterSeconds: 0 }, { status: 500 }, { status: 503 });
    const { vectors } = await make().embed(['retry me']);
    expect(vectors).toHaveLength(1);
    expect(server.requests.map((r) => (r.fault && 'status' in r.fault ? r.fault.status : 200))).toEqual([429, 500, 503, 200]);
  });

  it('maps failures to EmbeddingError codes', async () => {
    server.injectFaults({ status: 429, retryAfterSeconds: 0 }, { status: 429, retryAfterSeconds: 0 });
    await expect(make({ maxRetries: 1 }).embed(['x'])).rejects.toMatchObject({ name: 'EmbeddingError', code: 'MODEL_RATE_LIMIT', retryable: true, retryAfterMs: 0 });

    server.injectFaults({ status: 429, code: 'insufficient_quota' });
    await expect(make().embed(['x'])).rejects.toMatchObject({ code: 'MODEL_RATE_LIMIT', retryable: false });

    await expect(make({ apiKey: 'wrong' }).embed(['x'])).rejects.toMatchObject({ code: 'MODEL_AUTH', retryable: false });

    server.injectFaults({ hang: true });
    await expect(make({ timeoutMs: 200, maxRetries: 0 }).embed(['x'])).rejects.toMatchObject({ code: 'MODEL_UNAVAILABLE', retryable: true });

    server.injectFaults({ invalidJson: true }, { invalidJson: true });
    const err = await make({ maxRetries: 1 }).embed(['x']).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EmbeddingError);
    expect(err).toMatchObject({ code: 'MODEL_BAD_RESPONSE' });

    // A model without `dimensions` support returns its native size: a clear configuration error.
    await expect(make({ model: 'nomic-embed-text', dimensions: 256 }).embed(['x'])).rejects.toMatchObject({ code: 'MODEL_BAD_RESPONSE', message: expect.stringContaining('EMBEDDING_DIMENSIONS=1536') });
    expect(server.requests.at(-1)!.body.dimensions).toBeUndefined();

    const unreachable = new OpenAIEmbedder({ model: 'text-embedding-3-small', dimensions: 8, baseURL: 'http://127.0.0.1:9/v1', maxRetries: 0 });
    await expect(unreachable.embed(['x'])).rejects.toMatchObject({ code: 'MODEL_UNAVAILABLE' });
  });

  it('recovers from a timeout by retrying', async () => {
    server.injectFaults({ hang: true });
    const { vectors } = await make({ timeoutMs: 300 }).embed(['after a hang']);
    expect(vectors).toHaveLength(1);
  });

  it('pings the server', async () => {
    await expect(make().ping()).resolves.toBeUndefined();
  });
});
