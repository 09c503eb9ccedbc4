import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { SqliteKv } from '../../src/cache/sqlite-kv.ts';
import { createProvider } from '../../src/agents/create-provider.ts';
import { AgentError } from '../../src/agents/errors.ts';
import { OpenAIProvider } from '../../src/agents/openai-provider.ts';
import type { GenerateRequest } from '../../src/agents/provider.ts';
import { startOpenAICompatibleServer, type ChatCompletionRequest, type OpenAICompatibleServer } from '../../src/testing/openai-compatible-server.ts';
import { tempDir } from '../support/tmp.ts';

/**
 * The OpenAI adapter through the real `openai` SDK against a local OpenAI-compatible HTTP server: structured
 * output, usage and cost, the response cache, and every failure the server can script (429 with Retry-After,
 * 500, a hang, garbled JSON, output that fails its schema).
 */

const Answer = z.object({ verdict: z.enum(['yes', 'no']), reasons: z.array(z.string()) });
type Answer = z.infer<typeof Answer>;

let server: OpenAICompatibleServer;
const tmp = tempDir('hsai-openai-');
let cache: SqliteKv;

const request = (over: Partial<GenerateRequest<Answer>> = {}): GenerateRequest<Answer> => ({
  task: 'test_task',
  promptVersion: 'test/v1',
  messages: [
    { role: 'system', content: 'Answer as JSON.' },
    { role: 'user', content: 'Is the sky blue?' },
  ],
  schema: Answer,
  schemaName: 'answer',
  ...over,
});

function provider(over: Partial<ConstructorParameters<typeof OpenAIProvider>[0]> = {}): OpenAIProvider {
  return new OpenAIProvider({ model: 'gpt-4o-mini', baseURL: server.url, apiKey: 'test-key', timeoutMs: 5_000, maxRetries: 2, backoffBaseMs: 5, ...over });
}

const chatRequests = () => server.requests.filter((r) => r.path === '/v1/chat/completions');

beforeAll(async () => {
  server = await startOpenAICompatibleServer({ port: 0 });
  cache = new SqliteKv({ dataDir: tmp.dir });
});

afterAll(async () => {
  await cache.close();
  // Bounded: after the hang scenarios the server's close() can wait on a connection it still considers
  // active (reported to the owner of src/testing/openai-compatible-server.ts). The fork exits anyway.
  await Promise.race([server.close(), new Promise((resolve) => setTimeout(resolve, 2_000).unref())]);
  tmp.cleanup();
});

beforeEach(() => {
  server.requests.length = 0;
  server.setResponder(() => ({ verdict: 'yes', reasons: ['Rayleigh scattering'] }));
});

describe('OpenAIProvider against an OpenAI-compatible server', () => {
  it('sends the zod schema as a strict json_schema and returns the validated output with usage and cost', async () => {
    const r = await provider().generate(request());
    expect(r.output).toEqual({ verdict: 'yes', reasons: ['Rayleigh scattering'] });
    expect(r.provider).toBe('openai');
    expect(r.cached).toBe(false);
    expect(r.usage.inputTokens).toBeGreaterThan(0);
    expect(r.usage.outputTokens).toBeGreaterThan(0);
    // gpt-4o-mini: $0.15 / 1M input, $0.60 / 1M output.
    expect(r.usage.costUsd).toBeCloseTo((r.usage.inputTokens * 0.15 + r.usage.outputTokens * 0.6) / 1e6, 12);
    const body = chatRequests()[0]!.body as ChatCompletionRequest;
    expect(body.model).toBe('gpt-4o-mini');
    expect(body.response_format).toMatchObject({ type: 'json_schema', json_schema: { name: 'answer', strict: true } });
  });

  it('answers a repeated request from the cache, keyed by model, prompt and content version', async () => {
    const p = provider({ cache });
    const first = await p.generate(request({ cacheKey: 'acct-1:v1' }));
    const second = await p.generate(request({ cacheKey: 'acct-1:v1' }));
    expect(first.cached).toBe(false);
    expect(second.cached).toBe(true);
    expect(second.output).toEqual(first.output);
    expect(second.usage.costUsd).toBe(0);
    expect(chatRequests()).toHaveLength(1);
    await p.generate(request({ cacheKey: 'acct-1:v2' }));
    await provider({ cache, model: 'gpt-4o' }).generate(request({ cacheKey: 'acct-1:v1' }));
    expect(chatRequests()).toHaveLength(3);
  });

  it('repairs output that fails its schema once', async () => {
    let n = 0;
    server.setResponder(() => (++n === 1 ? 'Sure! {"verdict": "maybe"}' : { verdict: 'no', reasons: [] }));
    const r = await provider().generate(request());
    expect(r.output.verdict).toBe('no');
    const calls = chatRequests();
    expect(calls).toHaveLength(2);
    const repair = (calls[1]!.body as ChatCompletionRequest).messages;
    expect(repair.at(-2)).toMatchObject({ role: 'assistant', content: 'Sure! {"verdict": "maybe"}' });
    expect(repair.at(-1)?.content).toMatch(/verdict/);
  });

  it('fails with OUTPUT_PARSING_FAILURE when the repair fails too', async () => {
    server.setResponder(() => 'I cannot answer in JSON.');
    const err = await provider().generate(request()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AgentError);
    expect(err).toMatchObject({ code: 'OUTPUT_PARSING_FAILURE', retryable: false });
    expect(chatRequests()).toHaveLength(2);
  });

  it('retries a 429 after its Retry-After and succeeds', async () => {
    server.injectFaults({ status: 429, retryAfterSeconds: 0 });
    const r = await provider().generate(request());
    expect(r.output.verdict).toBe('yes');
    expect(chatRequests().map((c) => c.fault && 'status' in c.fault ? c.fault.status : 200)).toEqual([429, 200]);
  });

  it('does not sit on a long Retry-After: fails retryably with the wait for the queue', async () => {
    server.injectFaults({ status: 429, retryAfterSeconds: 120 });
    const err = await provider({ maxRetryAfterMs: 30_000 }).generate(request()).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'MODEL_RATE_LIMIT', retryAfterSeconds: 120, retryable: true });
    expect(chatRequests()).toHaveLength(1);
  });

  it('gives up on persistent 429s after maxRetries with MODEL_RATE_LIMIT', async () => {
    server.injectFaults({ status: 429 }, { status: 429 }, { status: 429 });
    await expect(provider({ maxRetries: 2 }).generate(request())).rejects.toMatchObject({ code: 'MODEL_RATE_LIMIT' });
    expect(chatRequests()).toHaveLength(3);
  });

  it('retries a 500 and succeeds', async () => {
    server.injectFaults({ status: 500 });
    const r = await provider().generate(request());
    expect(r.output.verdict).toBe('yes');
    expect(chatRequests()).toHaveLength(2);
  });

  it('times out a hung request as MODEL_TIMEOUT and retries it', async () => {
    server.injectFaults({ hang: true });
    const r = await provider({ timeoutMs: 300 }).generate(request());
    expect(r.output.verdict).toBe('yes');
    server.injectFaults({ hang: true });
    await expect(provider({ timeoutMs: 300, maxRetries: 0 }).generate(request())).rejects.toMatchObject({ code: 'MODEL_TIMEOUT', retryable: true });
  });

  it('treats a garbled HTTP body as a transient failure and retries it', async () => {
    server.injectFaults({ invalidJson: true });
    const r = await provider().generate(request());
    expect(r.output.verdict).toBe('yes');
    expect(chatRequests()).toHaveLength(2);
  });

  it('maps a rejected key to MODEL_AUTH without retrying', async () => {
    const guarded = await startOpenAICompatibleServer({ port: 0, apiKey: 'right-key' });
    try {
      const p = new OpenAIProvider({ model: 'gpt-4o-mini', baseURL: guarded.url, apiKey: 'wrong-key', timeoutMs: 5_000, maxRetries: 3 });
      await expect(p.generate(request())).rejects.toMatchObject({ code: 'MODEL_AUTH', retryable: false });
      await expect(p.ping()).rejects.toMatchObject({ code: 'MODEL_AUTH' });
    } finally {
      await guarded.close();
    }
  });

  it('is what createProvider builds for provider "openai" (OPENAI_BASE_URL), and pings the server', async () => {
    const p = await createProvider({ provider: 'openai', model: 'gpt-4o-mini', baseURL: server.url, timeoutMs: 5_000 });
    expect(p.provider).toBe('openai');
    await p.ping();
    const offline = await createProvider({ provider: 'offline', model: 'ignored', timeoutMs: 1 });
    expect(offline.provider).toBe('offline');
    await p.close();
  });
});
