import { FakeListChatModel } from '@langchain/core/utils/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { SqliteKv } from '../../src/cache/sqlite-kv.ts';
import { createProvider, parseChatModel } from '../../src/agents/create-provider.ts';
import { AgentError } from '../../src/agents/errors.ts';
import { MAX_ANSWER_CHARS } from '../../src/agents/langchain-provider.ts';
import type { GenerationTask, LlmProvider } from '../../src/agents/provider.ts';
import { startOpenAICompatibleServer, structuredOutputName, type ChatCompletionRequest, type OpenAICompatibleServer } from '../../src/testing/openai-compatible-server.ts';
import { tempDir } from '../support/tmp.ts';

/**
 * The LangChain model layer: `CHAT_MODEL=openai:<model>` builds `@langchain/openai`'s ChatOpenAI, talking to a local
 * OpenAI-compatible HTTP server through the real SDK; structured output, usage and cost, the response cache, and
 * every failure the server can script (429 with Retry-After, 500, a hang, a garbled body, a refusal, a truncated,
 * oversized or wrong-schema answer). Then a second provider: Azure OpenAI through its own endpoint shape, and any
 * LangChain chat model handed in as is.
 */

const Answer = z.object({ verdict: z.enum(['yes', 'no']), reasons: z.array(z.string()) });
type Answer = z.infer<typeof Answer>;

let server: OpenAICompatibleServer;
const tmp = tempDir('hsai-langchain-');
let cache: SqliteKv;

const task = (over: Partial<GenerationTask<Answer>> = {}): GenerationTask<Answer> => ({
  task: 'test_task',
  promptVersion: 'test/v1',
  messages: [
    { role: 'system', content: 'Answer as JSON.' },
    { role: 'user', content: 'Is the sky blue?' },
  ],
  schema: Answer,
  schemaName: 'answer',
  extract: () => {
    throw new Error('a language model never runs the extractive strategy');
  },
  ...over,
});

async function openai(over: { maxRetries?: number; timeoutMs?: number; model?: string; withCache?: boolean } = {}): Promise<LlmProvider> {
  const { model = 'gpt-4o-mini', maxRetries = 2, timeoutMs = 5_000 } = over;
  return createProvider({ ...parseChatModel(`openai:${model}`), baseURL: server.url, apiKey: 'test-key', timeoutMs, maxRetries, ...(over.withCache ? { cache } : {}) });
}

const chatRequests = () => server.requests.filter((r) => r.path.endsWith('/chat/completions'));

beforeAll(async () => {
  server = await startOpenAICompatibleServer({ port: 0 });
  cache = new SqliteKv({ dataDir: tmp.dir });
});

afterAll(async () => {
  await cache.close();
  // Bounded: after the hang scenarios the server's close() can wait on a connection it still considers active.
  await Promise.race([server.close(), new Promise((resolve) => setTimeout(resolve, 2_000).unref())]);
  tmp.cleanup();
});

beforeEach(() => {
  server.requests.length = 0;
  server.setResponder(() => ({ verdict: 'yes', reasons: ['Rayleigh scattering'] }));
});

describe('CHAT_MODEL=openai:<model>: ChatOpenAI against an OpenAI-compatible server', () => {
  it('asks for the zod schema as a strict forced tool call and returns the validated output with usage and cost', async () => {
    const r = await (await openai()).generate(task());
    expect(r.output).toEqual({ verdict: 'yes', reasons: ['Rayleigh scattering'] });
    expect(r).toMatchObject({ provider: 'openai', model: 'gpt-4o-mini', cached: false });
    expect(r.usage.inputTokens).toBeGreaterThan(0);
    expect(r.usage.outputTokens).toBeGreaterThan(0);
    // gpt-4o-mini: $0.15 / 1M input, $0.60 / 1M output.
    expect(r.usage.costUsd).toBeCloseTo((r.usage.inputTokens * 0.15 + r.usage.outputTokens * 0.6) / 1e6, 12);
    const body = chatRequests()[0]!.body as ChatCompletionRequest;
    expect(body.model).toBe('gpt-4o-mini');
    expect(structuredOutputName(body)).toBe('answer');
    expect(body.tools?.[0]?.function).toMatchObject({ name: 'answer', strict: true, parameters: { required: ['verdict', 'reasons'], additionalProperties: false } });
  });

  it('answers a repeated request from the cache, keyed by provider, model, prompt and content version', async () => {
    const p = await openai({ withCache: true });
    const first = await p.generate(task({ cacheKey: 'acct-1:v1' }));
    const second = await p.generate(task({ cacheKey: 'acct-1:v1' }));
    expect(first.cached).toBe(false);
    expect(second).toMatchObject({ cached: true, output: first.output, usage: { costUsd: 0 } });
    expect(chatRequests()).toHaveLength(1);
    await p.generate(task({ cacheKey: 'acct-1:v2' }));
    await (await openai({ withCache: true, model: 'gpt-4o' })).generate(task({ cacheKey: 'acct-1:v1' }));
    expect(chatRequests()).toHaveLength(3);
  });

  it('repairs a wrong-schema answer once, showing the model its answer and what was wrong', async () => {
    let n = 0;
    server.setResponder(() => (++n === 1 ? { verdict: 'maybe' } : { verdict: 'no', reasons: [] }));
    const r = await (await openai()).generate(task());
    expect(r.output.verdict).toBe('no');
    const calls = chatRequests();
    expect(calls).toHaveLength(2);
    const repair = (calls[1]!.body as ChatCompletionRequest).messages;
    expect(repair.at(-2)).toMatchObject({ role: 'assistant', content: '{"verdict":"maybe"}' });
    expect(repair.at(-1)?.content).toMatch(/verdict/);
  });

  it('fails with OUTPUT_PARSING_FAILURE when garbage comes back twice, keeping the answer for the audit', async () => {
    server.setResponder(() => 'I cannot answer in JSON.');
    const err = await (await openai()).generate(task()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AgentError);
    expect(err).toMatchObject({ code: 'OUTPUT_PARSING_FAILURE', retryable: false, details: { raw: 'I cannot answer in JSON.' } });
    expect(chatRequests()).toHaveLength(2);
  });

  it('a truncated answer is repaired, and fails with OUTPUT_PARSING_FAILURE saying so when it stays truncated', async () => {
    server.injectFaults({ truncated: true });
    const r = await (await openai()).generate(task());
    expect(r.output.verdict).toBe('yes');
    expect(chatRequests()).toHaveLength(2);
    server.injectFaults({ truncated: true }, { truncated: true });
    await expect((await openai()).generate(task())).rejects.toMatchObject({ code: 'OUTPUT_PARSING_FAILURE', message: expect.stringMatching(/truncated/) });
  });

  it('an oversized answer is refused without being parsed', async () => {
    server.setResponder(() => ({ verdict: 'yes', reasons: ['x'.repeat(MAX_ANSWER_CHARS + 10)] }));
    await expect((await openai()).generate(task())).rejects.toMatchObject({ code: 'OUTPUT_PARSING_FAILURE', message: expect.stringMatching(/characters long/) });
  });

  it('a refusal fails at once with MODEL_REFUSAL', async () => {
    server.injectFaults({ refusal: "I'm sorry, I can't help with that." });
    await expect((await openai()).generate(task())).rejects.toMatchObject({ code: 'MODEL_REFUSAL', retryable: false });
    expect(chatRequests()).toHaveLength(1);
  });

  it('retries a 429 after its Retry-After and succeeds', async () => {
    server.injectFaults({ status: 429, retryAfterSeconds: 0 });
    const r = await (await openai()).generate(task());
    expect(r.output.verdict).toBe('yes');
    expect(chatRequests().map((c) => (c.fault && 'status' in c.fault ? c.fault.status : 200))).toEqual([429, 200]);
  });

  it('does not sit on a long Retry-After: fails retryably with the wait for the queue', async () => {
    server.injectFaults({ status: 429, retryAfterSeconds: 120 });
    const err = await (await openai()).generate(task()).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'MODEL_RATE_LIMIT', retryAfterSeconds: 120, retryable: true });
    expect(chatRequests()).toHaveLength(1);
  });

  it('gives up on persistent 429s after LLM_MAX_RETRIES with MODEL_RATE_LIMIT', async () => {
    server.injectFaults({ status: 429 }, { status: 429 }, { status: 429 });
    await expect((await openai({ maxRetries: 2 })).generate(task())).rejects.toMatchObject({ code: 'MODEL_RATE_LIMIT' });
    expect(chatRequests()).toHaveLength(3);
  });

  it('retries a 500 and a garbled HTTP body, and succeeds', async () => {
    server.injectFaults({ status: 500 }, { invalidJson: true });
    const r = await (await openai()).generate(task());
    expect(r.output.verdict).toBe('yes');
    expect(chatRequests()).toHaveLength(3);
  });

  it('a garbled HTTP body (the SDK\'s SyntaxError before any answer) stays MODEL_UNAVAILABLE, retryable, with no repair turn', async () => {
    server.injectFaults({ invalidJson: true });
    await expect((await openai({ maxRetries: 0 })).generate(task())).rejects.toMatchObject({ code: 'MODEL_UNAVAILABLE', retryable: true });
    expect(chatRequests()).toHaveLength(1);
  });

  it('times out a hung request as MODEL_TIMEOUT and retries it', async () => {
    server.injectFaults({ hang: true });
    const r = await (await openai({ timeoutMs: 300 })).generate(task());
    expect(r.output.verdict).toBe('yes');
    server.injectFaults({ hang: true });
    await expect((await openai({ timeoutMs: 300, maxRetries: 0 })).generate(task())).rejects.toMatchObject({ code: 'MODEL_TIMEOUT', retryable: true });
  });

  it('maps a rejected key to MODEL_AUTH without retrying, also on ping', async () => {
    const guarded = await startOpenAICompatibleServer({ port: 0, apiKey: 'right-key' });
    try {
      const p = await createProvider({ provider: 'openai', model: 'gpt-4o-mini', baseURL: guarded.url, apiKey: 'wrong-key', timeoutMs: 5_000, maxRetries: 3 });
      await expect(p.generate(task())).rejects.toMatchObject({ code: 'MODEL_AUTH', retryable: false });
      await expect(p.ping()).rejects.toMatchObject({ code: 'MODEL_AUTH' });
    } finally {
      await guarded.close();
    }
    server.injectFaults({ status: 401 });
    await expect((await openai({ maxRetries: 3 })).generate(task())).rejects.toMatchObject({ code: 'MODEL_AUTH' });
    expect(chatRequests()).toHaveLength(1);
  });

  it('parses CHAT_MODEL as LangChain names models; offline needs no package', async () => {
    expect(parseChatModel('openai:gpt-4o-mini')).toEqual({ provider: 'openai', model: 'gpt-4o-mini' });
    expect(parseChatModel('azure_openai:my-deployment')).toEqual({ provider: 'azure_openai', model: 'my-deployment' });
    expect(parseChatModel('ollama:llama3.1:8b')).toEqual({ provider: 'ollama', model: 'llama3.1:8b' });
    expect(parseChatModel('gpt-4o')).toEqual({ provider: 'openai', model: 'gpt-4o' });
    expect((await createProvider({ provider: 'offline', model: 'x', timeoutMs: 1 })).provider).toBe('offline');
    // A provider whose package is not installed says which package to install.
    await expect(createProvider({ provider: 'anthropic', model: 'claude-sonnet-4-5', timeoutMs: 1_000 })).rejects.toMatchObject({
      code: 'MODEL_CONFIG',
      message: expect.stringMatching(/@langchain\/anthropic/),
    });
    const p = await openai();
    await p.ping();
    expect(p.provider).toBe('openai');
  });
});

describe('a second LangChain provider', () => {
  it('CHAT_MODEL=azure_openai:<deployment>: AzureChatOpenAI through its own endpoint shape (deployment path, api-version, api-key)', async () => {
    const azure = await startOpenAICompatibleServer({ port: 0, apiKey: 'azure-key', respond: () => ({ verdict: 'no', reasons: ['clouds'] }) });
    try {
      const p = await createProvider({
        ...parseChatModel('azure_openai:sales-gpt4o'),
        azure: { apiKey: 'azure-key', endpoint: azure.url.replace(/\/v1$/, ''), apiVersion: '2024-10-21' },
        timeoutMs: 5_000,
        maxRetries: 1,
      });
      const r = await p.generate(task());
      expect(r).toMatchObject({ provider: 'azure_openai', model: 'sales-gpt4o', output: { verdict: 'no', reasons: ['clouds'] } });
      expect(r.usage.inputTokens).toBeGreaterThan(0);
      expect(azure.requests[0]!.path).toBe('/openai/deployments/sales-gpt4o/chat/completions');
      expect(structuredOutputName(azure.requests[0]!.body as ChatCompletionRequest)).toBe('answer');
      // Failures map the same way through this provider.
      azure.injectFaults({ status: 503 }, { status: 503 });
      await expect(p.generate(task({ cacheKey: 'other' }))).rejects.toMatchObject({ code: 'MODEL_UNAVAILABLE', retryable: true });
    } finally {
      await azure.close();
    }
  });

  it('any LangChain chat model handed in (LangChain\'s own fake model): validated, repaired and failed the same way', async () => {
    const answers = ['{"verdict": "maybe"}', '{"verdict": "yes", "reasons": ["fake"]}', '{"verdict": "maybe"}', '{"reasons": 3}'];
    const p = await createProvider({ provider: 'fake', model: 'fake-list', chatModel: new FakeListChatModel({ responses: answers }), timeoutMs: 1_000, maxRetries: 0 });
    const r = await p.generate(task());
    expect(r).toMatchObject({ provider: 'fake', model: 'fake-list', output: { verdict: 'yes', reasons: ['fake'] } });
    await expect(p.generate(task())).rejects.toMatchObject({ code: 'OUTPUT_PARSING_FAILURE' });
  });
});
