import type { Socket } from 'node:net';
import Fastify, { type FastifyReply } from 'fastify';
import { hashEmbed } from '../ingest/embedders/offline-hash-embedder.ts';
import { countTokens, getEncoder } from '../text/tokenizer.ts';

/**
 * A real HTTP server speaking the subset of OpenAI's API the product uses, for tests and offline demos: the
 * `openai` SDK talks to it exactly as to api.openai.com. It enforces OpenAI's request limits (inputs, tokens),
 * so batching bugs fail here as they would in production, and it replays scripted faults (429 with Retry-After,
 * 5xx, hangs, garbled JSON) for the retry paths.
 *
 * Embeddings are deterministic lexical vectors (the offline hashing embedder), so similar texts are close.
 * Chat completions are produced by the test's `respond` handler.
 */
export interface ChatMessage {
  role: string;
  content: string | Array<{ type: string; text?: string }> | null;
  [key: string]: unknown;
}

export interface ChatCompletionRequest {
  model: string;
  messages: ChatMessage[];
  response_format?: { type: 'text' | 'json_object' | 'json_schema'; json_schema?: { name: string; schema?: unknown; strict?: boolean } };
  tools?: Array<{ type: 'function'; function: { name: string; parameters?: unknown; strict?: boolean } }>;
  tool_choice?: string | { type: 'function'; function: { name: string } };
  temperature?: number;
  max_tokens?: number;
  max_completion_tokens?: number;
  [key: string]: unknown;
}

/**
 * The name of the structured output a request asks for: its `response_format` JSON schema, or the function it
 * forces with `tool_choice` (how LangChain's `withStructuredOutput` asks for tool-calling output).
 */
export function structuredOutputName(req: ChatCompletionRequest): string | undefined {
  if (req.response_format?.json_schema?.name) return req.response_format.json_schema.name;
  return typeof req.tool_choice === 'object' ? req.tool_choice.function.name : undefined;
}

/**
 * A string becomes the message content; an object is sent as its JSON (structured outputs). When the request forces
 * a function (`tool_choice`), the answer becomes that function call's arguments instead, verbatim for a string.
 */
export type ChatResponder = (req: ChatCompletionRequest) => string | object | Promise<string | object>;

export type Fault =
  | { status: number; retryAfterSeconds?: number; code?: string; message?: string }
  | { hang: true }
  | { invalidJson: true }
  /** The model declines: `refusal` set, no content and no tool call (OpenAI's structured-output refusal). */
  | { refusal: string }
  /** The answer is cut at `maxTokens` (finish_reason `length`): half the JSON, as a model running out of tokens. */
  | { truncated: true };

export interface RecordedRequest {
  path: string;
  // The raw JSON body, loosely typed on purpose: tests reach into whatever the client sent.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any;
  /** For embeddings: how many inputs and how many cl100k tokens the request carried. */
  inputCount?: number;
  tokenCount?: number;
  /** The fault this request was answered with, if any. */
  fault?: Fault;
}

export interface OpenAICompatibleServer {
  /** Base URL ending in `/v1`, for `new OpenAI({ baseURL })` or OPENAI_BASE_URL. */
  url: string;
  requests: RecordedRequest[];
  injectFaults(...faults: Fault[]): void;
  setResponder(fn: ChatResponder): void;
  close(): Promise<void>;
}

export interface OpenAICompatibleServerOptions {
  port?: number;
  respond?: ChatResponder;
  /**
   * When set, requests without `Authorization: Bearer <apiKey>` get a 401 (Azure-style requests send the key in an
   * `api-key` header instead).
   */
  apiKey?: string;
}

const LIMITS = { maxInputs: 2048, maxTokensPerRequest: 300_000, maxTokensPerInput: 8192 };
const DEFAULT_DIMENSIONS: Record<string, number> = { 'text-embedding-3-small': 1536, 'text-embedding-3-large': 3072, 'text-embedding-ada-002': 1536 };
const MODELS = ['text-embedding-3-small', 'text-embedding-3-large', 'gpt-4o-mini', 'gpt-4o'];

export async function startOpenAICompatibleServer(opts: OpenAICompatibleServerOptions = {}): Promise<OpenAICompatibleServer> {
  // Building the encoder takes a second or two; done now, so the first request cannot hit a client timeout.
  getEncoder();
  const app = Fastify({ logger: false, bodyLimit: 64 * 1024 * 1024 });
  const requests: RecordedRequest[] = [];
  const faults: Fault[] = [];
  const hung = new Set<Socket>();
  let responder: ChatResponder = opts.respond ?? (() => 'OK');
  let created = Math.floor(Date.UTC(2025, 0, 1) / 1000);

  app.addHook('onRequest', async (req, reply) => {
    const azure = req.url.startsWith('/openai/');
    const given = azure ? req.headers['api-key'] : req.headers.authorization;
    if (opts.apiKey && given !== (azure ? opts.apiKey : `Bearer ${opts.apiKey}`)) {
      return reply.code(401).send(error('Incorrect API key provided.', 'invalid_request_error', 'invalid_api_key'));
    }
  });

  /**
   * Applies the next scripted HTTP fault; true when the request has been answered (or hung) by it. Answer faults
   * (a refusal, a truncated answer) stay queued for the next chat completion.
   */
  function applyFault(record: RecordedRequest, reply: FastifyReply): boolean {
    const head = faults[0];
    if (!head || 'refusal' in head || 'truncated' in head) return false;
    faults.shift();
    const fault = head;
    record.fault = fault;
    if ('hang' in fault) {
      // Never answer: the client's timeout fires. The socket is destroyed when the server closes.
      reply.hijack();
      hung.add(reply.raw.socket as Socket);
      return true;
    }
    if ('invalidJson' in fault) {
      void reply.code(200).header('content-type', 'application/json').send('{"object": "list", "data": [{"embedd');
      return true;
    }
    if (fault.retryAfterSeconds !== undefined) void reply.header('retry-after', String(fault.retryAfterSeconds));
    const type = fault.status === 429 ? 'rate_limit_error' : fault.status >= 500 ? 'server_error' : 'invalid_request_error';
    void reply.code(fault.status).send(error(fault.message ?? `Injected fault ${fault.status}`, type, fault.code ?? null));
    return true;
  }

  app.get('/v1/models', async () => ({
    object: 'list',
    data: MODELS.map((id) => ({ id, object: 'model', created, owned_by: 'openai-compatible-test-server' })),
  }));

  app.post('/v1/embeddings', async (req, reply) => {
    const body = (req.body ?? {}) as { input?: unknown; model?: string; dimensions?: number; encoding_format?: string };
    const record: RecordedRequest = { path: '/v1/embeddings', body };
    requests.push(record);
    const inputs = toInputs(body.input);
    if (!inputs) return reply.code(400).send(error("'input' must be a non-empty string or array of non-empty strings", 'invalid_request_error', null, 'input'));
    const counts = inputs.map(countTokens);
    record.inputCount = inputs.length;
    record.tokenCount = counts.reduce((a, b) => a + b, 0);
    if (applyFault(record, reply)) return reply;
    if (!body.model) return reply.code(400).send(error("'model' is required", 'invalid_request_error', null, 'model'));
    if (inputs.length > LIMITS.maxInputs) return reply.code(400).send(error(`'input' must have at most ${LIMITS.maxInputs} items`, 'invalid_request_error', null, 'input'));
    const tooLong = counts.findIndex((n) => n > LIMITS.maxTokensPerInput);
    if (tooLong >= 0) return reply.code(400).send(error(`Input ${tooLong} has ${counts[tooLong]} tokens; the maximum is ${LIMITS.maxTokensPerInput}`, 'invalid_request_error', null, 'input'));
    if (record.tokenCount > LIMITS.maxTokensPerRequest) {
      return reply.code(400).send(error(`Requested ${record.tokenCount} tokens, max ${LIMITS.maxTokensPerRequest} tokens per request`, 'invalid_request_error', 'max_tokens_per_request'));
    }
    const dimensions = body.dimensions ?? DEFAULT_DIMENSIONS[body.model] ?? 1536;
    if (!Number.isInteger(dimensions) || dimensions < 1 || dimensions > 3072) return reply.code(400).send(error('Invalid dimensions', 'invalid_request_error', null, 'dimensions'));
    return {
      object: 'list',
      model: body.model,
      data: inputs.map((text, index) => {
        const vector = hashEmbed(text, dimensions);
        const embedding = body.encoding_format === 'base64' ? Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength).toString('base64') : Array.from(vector);
        return { object: 'embedding', index, embedding };
      }),
      usage: { prompt_tokens: record.tokenCount, total_tokens: record.tokenCount },
    };
  });

  const chat = async (body: ChatCompletionRequest, reply: FastifyReply, path: string) => {
    const record: RecordedRequest = { path, body };
    requests.push(record);
    // Refusals and truncation are answers, not HTTP faults: they are taken from the queue below.
    const next = faults[0];
    const answerFault = next && ('refusal' in next || 'truncated' in next) ? faults.shift() : undefined;
    if (!answerFault && applyFault(record, reply)) return reply;
    if (answerFault) record.fault = answerFault;
    if (!body.model || !Array.isArray(body.messages) || body.messages.length === 0) {
      return reply.code(400).send(error("'model' and a non-empty 'messages' are required", 'invalid_request_error', null, 'messages'));
    }
    if (body.stream) return reply.code(400).send(error('This test server does not stream', 'invalid_request_error', null, 'stream'));
    const answer = await responder(body);
    let content = typeof answer === 'string' ? answer : JSON.stringify(answer);
    let finishReason = 'stop';
    if (answerFault && 'truncated' in answerFault) {
      content = content.slice(0, Math.max(1, Math.floor(content.length / 2)));
      finishReason = 'length';
    }
    const forced = typeof body.tool_choice === 'object' ? body.tool_choice.function.name : undefined;
    const refusal = answerFault && 'refusal' in answerFault ? answerFault.refusal : null;
    const message = refusal
      ? { role: 'assistant', content: null, refusal }
      : forced
        ? { role: 'assistant', content: null, refusal: null, tool_calls: [{ id: `call_${requests.length}`, type: 'function', function: { name: forced, arguments: content } }] }
        : { role: 'assistant', content, refusal: null };
    const promptTokens = body.messages.reduce((n, m) => n + 4 + countTokens(messageText(m)), 3);
    const completionTokens = countTokens(refusal ?? content);
    created += 1;
    return {
      id: `chatcmpl-test-${requests.length}`,
      object: 'chat.completion',
      created,
      model: body.model,
      choices: [{ index: 0, message, logprobs: null, finish_reason: forced && !refusal && finishReason === 'stop' ? 'tool_calls' : finishReason }],
      usage: { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens },
    };
  };

  app.post('/v1/chat/completions', async (req, reply) => chat((req.body ?? {}) as ChatCompletionRequest, reply, '/v1/chat/completions'));

  // Azure OpenAI's shape: the deployment in the path, `api-version` in the query, the key in `api-key`.
  app.post('/openai/deployments/:deployment/chat/completions', async (req, reply) => {
    const { deployment } = req.params as { deployment: string };
    if (!(req.query as { 'api-version'?: string })['api-version']) {
      return reply.code(404).send(error('Resource not found (api-version missing)', 'invalid_request_error', '404'));
    }
    // Azure answers with the deployment's model whatever the body says; the body may omit `model`.
    return chat({ model: deployment, ...((req.body ?? {}) as Partial<ChatCompletionRequest>) } as ChatCompletionRequest, reply, `/openai/deployments/${deployment}/chat/completions`);
  });

  const address = await app.listen({ port: opts.port ?? 0, host: '127.0.0.1' });
  return {
    url: `${address}/v1`,
    requests,
    injectFaults: (...next) => void faults.push(...next),
    setResponder: (fn) => {
      responder = fn;
    },
    close: async () => {
      for (const socket of hung) socket.destroy();
      hung.clear();
      await app.close();
    },
  };
}

function toInputs(input: unknown): string[] | null {
  const list = typeof input === 'string' ? [input] : Array.isArray(input) ? input : null;
  if (!list || list.length === 0) return null;
  // Token-id inputs (number[] or number[][]) are accepted by OpenAI; the product never sends them.
  if (!list.every((s): s is string => typeof s === 'string' && s !== '')) return null;
  return list;
}

function messageText(m: ChatMessage): string {
  if (typeof m.content === 'string') return m.content;
  if (Array.isArray(m.content)) return m.content.map((p) => p.text ?? '').join('');
  return '';
}

function error(message: string, type: string, code: string | null, param: string | null = null) {
  return { error: { message, type, param, code } };
}
