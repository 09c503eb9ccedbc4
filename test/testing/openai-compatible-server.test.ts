import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOpenAICompatibleServer, type OpenAICompatibleServer } from '../../src/testing/openai-compatible-server.ts';

describe('OpenAI-compatible test server, driven by the real openai client', () => {
  let server: OpenAICompatibleServer;
  let client: OpenAI;
  beforeAll(async () => {
    server = await startOpenAICompatibleServer({ respond: (req) => {
        const content = req.messages.at(-1)?.content;
        return `echo: ${typeof content === 'string' ? content : ''}`;
      }, });
    client = new OpenAI({ apiKey: 'sk-test', baseURL: server.url, maxRetries: 0, timeout: 30_000 });
  });
  afterAll(async () => {
    await server.close();
  });

  it('lists models', async () => {
    const page = await client.models.list();
    expect(page.data.map((m) => m.id)).toContain('text-embedding-3-small');
  });

  it('answers chat completions from the responder, with usage', async () => {
    const res = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi there' }] });
    expect(res.choices[0]!.message.content).toBe('echo: hi there');
    expect(res.usage!.prompt_tokens).toBeGreaterThan(0);
    expect(res.usage!.completion_tokens).toBeGreaterThan(0);
  });

  it('returns structured outputs for a json_schema response_format', async () => {
    server.setResponder((req) => ({ schema: req.response_format?.json_schema?.name, score: 87 }));
    const res = await client.chat.completions.parse({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'score this lead' }],
      response_format: { type: 'json_schema', json_schema: { name: 'lead_score', strict: true, schema: { type: 'object', properties: { score: { type: 'number' } } } } },
    });
    expect(res.choices[0]!.message.parsed).toEqual({ schema: 'lead_score', score: 87 });
    expect(server.requests.at(-1)!.body.response_format.type).toBe('json_schema');
  });

  it('embeds with the requested dimensions and returns usage (floats and base64)', async () => {
    const res = await client.embeddings.create({ model: 'text-embedding-3-small', input: ['a b', 'c'], dimensions: 12, encoding_format: 'float' });
    expect(res.data.map((d) => d.embedding.length)).toEqual([12, 12]);
    expect(res.usage.total_tokens).toBe(server.requests.at(-1)!.tokenCount);
    const base64 = await client.embeddings.create({ model: 'text-embedding-3-small', input: 'a b', dimensions: 12 });
    expect(Array.from(base64.data[0]!.embedding)).toEqual(res.data[0]!.embedding.map((v) => Math.fround(v)));
  });

  it('enforces the API limits', async () => {
    await expect(client.embeddings.create({ model: 'text-embedding-3-small', input: Array.from({ length: 2049 }, () => 'x') })).rejects.toMatchObject({ status: 400 });
    await expect(client.embeddings.create({ model: 'text-embedding-3-small', input: 'word '.repeat(9000) })).rejects.toMatchObject({ status: 400 });
    await expect(client.embeddings.create({ model: 'text-embedding-3-small', input: [''] })).rejects.toMatchObject({ status: 400 });
  });

  it('replays scripted faults in order and logs every request', async () => {
    server.injectFaults({ status: 429, retryAfterSeconds: 7 }, { status: 500 }, { invalidJson: true }, { hang: true });
    const rate = await client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'x' }] }).catch((e: unknown) => e);
    expect(rate).toBeInstanceOf(OpenAI.RateLimitError);
    expect((rate as InstanceType<typeof OpenAI.RateLimitError>).headers.get('retry-after')).toBe('7');
    await expect(client.embeddings.create({ model: 'text-embedding-3-small', input: 'x' })).rejects.toBeInstanceOf(OpenAI.InternalServerError);
    await expect(client.embeddings.create({ model: 'text-embedding-3-small', input: 'x', encoding_format: 'float' })).rejects.toThrow();
    const quick = new OpenAI({ apiKey: 'k', baseURL: server.url, maxRetries: 0, timeout: 200 });
    await expect(quick.embeddings.create({ model: 'text-embedding-3-small', input: 'x' })).rejects.toBeInstanceOf(OpenAI.APIConnectionTimeoutError);
    expect(server.requests.slice(-4).map((r) => r.fault)).toEqual([{ status: 429, retryAfterSeconds: 7 }, { status: 500 }, { invalidJson: true }, { hang: true }]);
    // Faults are consumed: the next request succeeds.
    await expect(client.embeddings.create({ model: 'text-embedding-3-small', input: 'x' })).resolves.toMatchObject({ object: 'list' });
  });
});
