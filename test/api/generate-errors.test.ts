import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startOpenAICompatibleServer, type OpenAICompatibleServer } from '../../src/testing/openai-compatible-server.ts';
import { startServiceStack, type ServiceStack } from '../support/service-stack.ts';

/**
 * Issue 12, item 5: a model failure on the generate API says what failed and whether to retry, with the model's
 * error code: 502 when the model answered unusably, 503 (with Retry-After when known) when it is busy or down.
 * The model is the local OpenAI-compatible server with scripted faults; embeddings stay offline.
 */
let s: ServiceStack;
let llm: OpenAICompatibleServer;
let account: string;

beforeAll(async () => {
  llm = await startOpenAICompatibleServer({ port: 0 });
  s = await startServiceStack({
    companies: 8,
    env: { LLM_PROVIDER: 'openai', EMBEDDING_PROVIDER: 'offline', OPENAI_BASE_URL: llm.url, OPENAI_API_KEY: 'k', LLM_TIMEOUT_MS: '2000' },
  });
  account = s.sandbox.groundTruth().companies[0]!.id;
}, 180_000);
afterAll(async () => {
  await s?.close();
  if (llm) await Promise.race([llm.close(), new Promise((r) => setTimeout(r, 2_000).unref())]);
});

/** Answers the faults a test injected but the provider did not consume, so the next test starts clean. */
async function drainFaults(): Promise<void> {
  for (let i = 0; i < 20; i++) {
    const r = await fetch(`${llm.url}/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer k' }, body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'ping' }] }) });
    if (r.ok) return;
  }
  throw new Error('faults never drained');
}

afterEach(async () => {
  llm.setResponder(() => 'OK');
  await drainFaults();
});

const generate = () =>
  s.app.inject({ method: 'POST', url: `/v1/accounts/${account}/generate/account_summary`, headers: s.auth('reviewer'), payload: { dryRun: true } });

describe('POST /v1/accounts/:id/generate/:agent when the model fails', () => {
  it('answers 502 OUTPUT_PARSING_FAILURE when the model keeps answering garbage', async () => {
    llm.setResponder(() => 'not json at all');
    const r = await generate();
    expect(r.statusCode, r.body).toBe(502);
    expect(r.json().error).toMatchObject({ code: 'OUTPUT_PARSING_FAILURE' });
    expect(r.json().error.message).toContain(account);
  });

  it('answers 503 MODEL_RATE_LIMIT with Retry-After when the model is rate limited for long', async () => {
    llm.injectFaults(...Array.from({ length: 6 }, () => ({ status: 429, retryAfterSeconds: 120 })));
    const r = await generate();
    expect(r.statusCode, r.body).toBe(503);
    expect(r.json().error).toMatchObject({ code: 'MODEL_RATE_LIMIT' });
    expect(r.headers['retry-after']).toBe('120');
  });

  it('answers 503 MODEL_UNAVAILABLE when the model server keeps failing', async () => {
    llm.injectFaults(...Array.from({ length: 6 }, () => ({ status: 503 })));
    const r = await generate();
    expect(r.statusCode, r.body).toBe(503);
    expect(r.json().error).toMatchObject({ code: 'MODEL_UNAVAILABLE' });
  });
});
