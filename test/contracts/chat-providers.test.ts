import { FakeListChatModel } from '@langchain/core/utils/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createProvider } from '../../src/agents/create-provider.ts';
import { AgentError } from '../../src/agents/errors.ts';
import { MAX_ANSWER_CHARS } from '../../src/agents/langchain-provider.ts';
import type { GenerationTask, LlmProvider } from '../../src/agents/provider.ts';
import { startOpenAICompatibleServer, type OpenAICompatibleServer } from '../../src/testing/openai-compatible-server.ts';

/**
 * One contract for the generation port, run against every kind of provider: the offline extractive provider, the
 * OpenAI-compatible server reached through LangChain's ChatOpenAI and the real `openai` SDK, and LangChain's own
 * fake chat model handed in as any chat model would be. Each is scripted with the answers it gives next (the
 * offline provider's answer is what its extractive strategy returns).
 *
 * The promise: a result is always the schema's output (unknown keys dropped); garbage, truncated, oversized and
 * wrong-schema answers fail with OUTPUT_PARSING_FAILURE, not retryable, and never reach the caller as output.
 * A language model gets one repair turn; the offline provider's answers come from our own code and get none.
 * Provider-specific failures (HTTP 429/5xx, hangs, refusals, auth) are in test/agents/langchain-provider.test.ts.
 */

const Answer = z.object({ verdict: z.enum(['yes', 'no']), reasons: z.array(z.string().max(500)).max(5) });
type Answer = z.infer<typeof Answer>;

interface Scripted {
  /** A provider whose next answers are these (a string is sent as is, an object as its JSON). */
  make(answers: Array<string | object>): Promise<LlmProvider>;
  /** Language models get one repair turn after an invalid answer. */
  repairs: boolean;
}

function task(extract: () => unknown = () => undefined): GenerationTask<Answer> {
  return {
    task: 'contract_task',
    promptVersion: 'contract/v1',
    messages: [
      { role: 'system', content: 'Answer as JSON.' },
      { role: 'user', content: 'Is the sky blue?' },
    ],
    schema: Answer,
    schemaName: 'answer',
    extract,
  };
}

const GOOD = { verdict: 'yes', reasons: ['Rayleigh scattering'] };
const hostile: Array<[string, string | object]> = [
  ['garbage', 'I cannot answer in JSON. <script>alert(1)</script>'],
  ['truncated JSON', '{"verdict": "yes", "reasons": ["Rayleigh sca'],
  ['oversized', { verdict: 'yes', reasons: ['x'.repeat(MAX_ANSWER_CHARS + 10)] }],
  ['wrong schema', { verdict: 'maybe', reasons: 'because' }],
  ['empty', ''],
  ['a JSON array', [GOOD]],
];

function contract(name: string, impl: () => Scripted): void {
  describe(name, () => {
    it('returns the validated structured output, with the provider, model and usage named', async () => {
      const p = await impl().make([GOOD]);
      try {
        const r = await p.generate(task());
        expect(r.output).toEqual(GOOD);
        expect(r.cached).toBe(false);
        expect(r.provider).toBe(p.provider);
        expect(r.model).toBe(p.model);
        expect(r.provider.length).toBeGreaterThan(0);
        expect(JSON.parse(r.raw)).toEqual(GOOD);
        for (const n of [r.usage.inputTokens, r.usage.outputTokens, r.usage.costUsd]) expect(Number.isFinite(n) && n >= 0).toBe(true);
        await p.ping();
      } finally {
        await p.close();
      }
    });

    it('drops keys the schema does not name (a model cannot smuggle fields into a proposal)', async () => {
            // JSON.parse keeps "__proto__" as an own key, as a model's JSON would carry it.
      const smuggled = JSON.parse('{"verdict":"yes","reasons":["Rayleigh scattering"],"target":"contacts/1","__proto__":{"admin":true},"constructor":{"prototype":{"admin":true}}}') as object;
      const p = await impl().make([smuggled]);
      try {
        const r = await p.generate(task());
        expect(r.output).toEqual(GOOD);
        expect(Object.keys(r.output).sort()).toEqual(['reasons', 'verdict']);
        expect(({} as Record<string, unknown>).admin).toBeUndefined();
      } finally {
        await p.close();
      }
    });

    for (const [kind, answer] of hostile) {
      it(`a ${kind} answer, given every time, fails with OUTPUT_PARSING_FAILURE and returns nothing`, async () => {
      const p = await impl().make([answer, answer, answer]);
      try {
        const err = await p.generate(task()).then(
          (r) => r,
          (e: unknown) => e,
        );
        expect(err).toBeInstanceOf(AgentError);
        expect(err).toMatchObject({ code: 'OUTPUT_PARSING_FAILURE', retryable: false });
        // Short enough for a log line and an audit row, whatever came back.
        expect((err as Error).message.length).toBeLessThan(5_000);
      } finally {
        await p.close();
      }
    });
    }

    for (const [kind, answer] of [hostile[0]!, hostile[1]!, hostile[3]!]) {
      it(`a ${kind} answer followed by a valid one: repaired by a language model, refused by the offline provider`, async () => {
        const s = impl();
        const p = await s.make([answer, GOOD]);
        try {
          if (s.repairs) expect((await p.generate(task())).output).toEqual(GOOD);
          else await expect(p.generate(task())).rejects.toMatchObject({ code: 'OUTPUT_PARSING_FAILURE' });
        } finally {
          await p.close();
        }
      });
    }
  });
}

/** The offline provider: its "answer" is what the task's extractive strategy returns (a string as is, parsed never). */
contract('offline extractive provider', () => ({
  repairs: false,
  async make(answers) {
    const p = await createProvider({ provider: 'offline', model: 'offline', timeoutMs: 1_000 });
    const queue = [...answers];
    return {
      provider: p.provider,
      model: p.model,
      generate: <T,>(t: GenerationTask<T>) => p.generate({ ...t, extract: () => queue.shift() }),
      ping: () => p.ping(),
      close: () => p.close(),
    };
  },
}));

describe('over HTTP', () => {
  let server: OpenAICompatibleServer;
  let queue: Array<string | object> = [];
  beforeAll(async () => {
    server = await startOpenAICompatibleServer({ port: 0, respond: () => queue.shift() ?? 'no answer scripted' });
  });
  afterAll(async () => server.close());

  contract('ChatOpenAI (LangChain) against an OpenAI-compatible server', () => ({
    repairs: true,
    async make(answers) {
      queue = [...answers];
      return createProvider({ provider: 'openai', model: 'gpt-4o-mini', baseURL: server.url, apiKey: 'test-key', timeoutMs: 10_000, maxRetries: 0 });
    },
  }));
});

contract("LangChain's fake chat model", () => ({
  // Its withStructuredOutput ignores includeRaw and throws JSON.parse's SyntaxError on text that is not JSON: the
  // provider reads the answer the model run ended with instead, so that is bad output, not an unavailable model.
  repairs: true,
  async make(answers) {
    const responses = answers.map((a) => (typeof a === 'string' ? a : JSON.stringify(a)));
    return createProvider({ provider: 'fake', model: 'fake-list', chatModel: new FakeListChatModel({ responses }), timeoutMs: 10_000, maxRetries: 0 });
  },
}));
