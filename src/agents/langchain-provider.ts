// LangChain's run context in Node (AsyncLocalStorage): callbacks given to a structured-output runnable reach the chat
// model it invokes inside, even when that runnable passes no config (see `callOnce`).
import '@langchain/core/context';
import { BaseCallbackHandler } from '@langchain/core/callbacks/base';
import type { BaseChatModel } from '@langchain/core/language_models/chat_models';
import type { BaseMessage } from '@langchain/core/messages';
import type { ChatGeneration, LLMResult } from '@langchain/core/outputs';
import type { KeyValueCache } from '../cache/kv.ts';
import { silentLogger, type Logger } from '../logging.ts';
import { ContainerMetrics } from '../metrics.ts';
import { AgentError } from './errors.ts';
import { mapModelError } from './model-errors.ts';
import { chatCostUsd } from './pricing.ts';
import type { ChatMessage, GenerateResult, GenerationTask, LlmProvider } from './provider.ts';
import { readCachedResponse, responseCacheKey, writeCachedResponse } from './response-cache.ts';
import { parseStructured, repairMessage } from './structured-output.ts';

/**
 * Any LangChain chat model as the generation port. Structured output goes through the model's own
 * `withStructuredOutput(zodSchema, { includeRaw: true })`, so each provider uses its native mechanism; the answer
 * is then validated with the same zod schema here, repaired once, and otherwise fails with OUTPUT_PARSING_FAILURE.
 *
 * What is ours rather than LangChain's, and why:
 *   - retries: the model is built with `maxRetries: 0` and retried here, because LangChain's retry ignores a 429's
 *     Retry-After; a short one is waited for, a long one becomes a retryable job failure carrying the wait;
 *   - the response cache: keyed by the account's content version, which LangChain's caches cannot see;
 *   - the OpenAI family is asked for tool calling (strict) rather than `json_schema` response formats, because on
 *     that path the SDK parses the answer itself and throws a bare SyntaxError on a non-JSON answer, losing the
 *     answer and looking exactly like a broken HTTP body; with tool calling a bad answer comes back as data.
 */

export interface LangChainProviderOptions {
  /** The chat model, built with `maxRetries: 0` (see above). */
  chatModel: BaseChatModel;
  /** Provider key for traces and metrics: `openai`, `azure_openai`, `anthropic`… */
  provider: string;
  /** The model (or deployment) name, as recorded in proposals and priced. */
  model: string;
  timeoutMs: number;
  /** Retries after the first attempt, for 429, 5xx, timeouts and connection errors. */
  maxRetries?: number;
  /** Extra options for `withStructuredOutput` (the OpenAI family: tool calling, strict schemas). */
  structuredOutput?: { method?: string; strict?: boolean };
  cache?: KeyValueCache;
  logger?: Logger;
  /** A Retry-After longer than this is not waited for in-process: the job fails retryably instead. */
  maxRetryAfterMs?: number;
  /** First back-off step when the server gives no Retry-After. */
  backoffBaseMs?: number;
  /** The container's metrics (tokens, cost); default a fresh set of this provider's own. */
  metrics?: ContainerMetrics;
}

/** An answer longer than this is not a summary, a draft or a score: refused before parsing. */
export const MAX_ANSWER_CHARS = 200_000;

interface Attempt {
  raw: string;
  inputTokens: number;
  outputTokens: number;
  /** Why the answer is unusable before schema validation (truncated, oversized), if it is. */
  defect?: string;
}

export class LangChainProvider implements LlmProvider {
  readonly provider: string;
  readonly model: string;
  private readonly chatModel: BaseChatModel;
  private readonly opts: Required<Pick<LangChainProviderOptions, 'timeoutMs' | 'maxRetries' | 'maxRetryAfterMs' | 'backoffBaseMs'>>;
  private readonly structuredOutput: { method?: string; strict?: boolean };
  private readonly cache: KeyValueCache | undefined;
  private readonly logger: Logger;
  private readonly metrics: ContainerMetrics;

  constructor(options: LangChainProviderOptions) {
    this.metrics = options.metrics ?? new ContainerMetrics();
    this.chatModel = options.chatModel;
    this.provider = options.provider;
    this.model = options.model;
    this.structuredOutput = options.structuredOutput ?? {};
    this.cache = options.cache;
    this.logger = options.logger ?? silentLogger;
    this.opts = {
      timeoutMs: options.timeoutMs,
      maxRetries: options.maxRetries ?? 3,
      maxRetryAfterMs: options.maxRetryAfterMs ?? 30_000,
      backoffBaseMs: options.backoffBaseMs ?? 500,
    };
  }

  async generate<T>(task: GenerationTask<T>): Promise<GenerateResult<T>> {
    const key = responseCacheKey({ model: `${this.provider}:${this.model}`, ...task });
    const hit = await readCachedResponse(this.cache, key);
    if (hit) {
      const parsed = task.schema.safeParse(hit.output);
      if (parsed.success) {
        return { output: parsed.data, raw: hit.raw, model: this.model, provider: this.provider, usage: { inputTokens: 0, outputTokens: 0, costUsd: 0 }, cached: true };
      }
    }

    const first = await this.callWithRetries(task.messages, task);
    let usage = { inputTokens: first.inputTokens, outputTokens: first.outputTokens };
    let attempt = first;
    let parsed = validate(first, task);
    if (!parsed.ok) {
      this.logger.warn({ task: task.task, error: parsed.error }, 'model output failed its schema; one repair attempt');
      const repair: ChatMessage[] = [
        ...task.messages,
        { role: 'assistant', content: first.raw.slice(0, 20_000) || '(no answer)' },
        { role: 'user', content: repairMessage(parsed.error) },
      ];
      attempt = await this.callWithRetries(repair, task);
      usage = { inputTokens: usage.inputTokens + attempt.inputTokens, outputTokens: usage.outputTokens + attempt.outputTokens };
      parsed = validate(attempt, task);
      if (!parsed.ok) {
        this.record(usage);
        throw new AgentError('OUTPUT_PARSING_FAILURE', `${task.task}: model output ${parsed.error} (after one repair attempt)`, {
          details: { task: task.task, promptVersion: task.promptVersion, raw: attempt.raw.slice(0, 4000) },
        });
      }
    }
    const costUsd = this.record(usage);
    await writeCachedResponse(this.cache, key, { raw: attempt.raw, output: parsed.value });
    return { output: parsed.value, raw: attempt.raw, model: this.model, provider: this.provider, usage: { ...usage, costUsd }, cached: false };
  }

  /**
   * The cheapest proof that the model answers with these credentials: a one-line completion. Listing models would
   * not show that the model or deployment exists, and not every provider has such a route.
   */
  async ping(): Promise<void> {
    try {
      await this.chatModel.invoke([['user', 'Reply with OK.']], { timeout: this.opts.timeoutMs, maxConcurrency: 1 });
    } catch (err) {
      throw mapModelError(err);
    }
  }

  async close(): Promise<void> {
    // Provider SDKs hold no sockets between calls (fetch keep-alive is per request): nothing to release.
  }

  private record(usage: { inputTokens: number; outputTokens: number }): number {
    const cost = chatCostUsd(this.model, usage.inputTokens, usage.outputTokens);
    this.metrics.modelTokens.inc({ model: this.model, direction: 'input' }, usage.inputTokens);
    this.metrics.modelTokens.inc({ model: this.model, direction: 'output' }, usage.outputTokens);
    if (cost > 0) this.metrics.costUsd.inc({ kind: 'chat', model: this.model }, cost);
    return cost;
  }

  private async callWithRetries(messages: ChatMessage[], task: GenerationTask<unknown>): Promise<Attempt> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.callOnce(messages, task);
      } catch (err) {
        const mapped = task.signal?.aborted ? new AgentError('MODEL_TIMEOUT', 'model call aborted (job cancelled)', { cause: err }) : mapModelError(err);
        if (task.signal?.aborted || !mapped.retryable || attempt >= this.opts.maxRetries) throw mapped;
        const waitMs = this.backoffMs(mapped, attempt);
        if (waitMs === null) throw mapped;
        this.logger.warn({ task: task.task, code: mapped.code, attempt: attempt + 1, waitMs }, 'model call failed; retrying');
        await sleep(waitMs, task.signal);
      }
    }
  }

  /** Retry-After when the server gave one (null when it is too long to wait in-process), else jittered back-off. */
  private backoffMs(err: AgentError, attempt: number): number | null {
    if (err.retryAfterSeconds !== undefined) {
      const ms = err.retryAfterSeconds * 1000;
      return ms > this.opts.maxRetryAfterMs ? null : ms;
    }
    const base = this.opts.backoffBaseMs * 2 ** attempt;
    return Math.min(8_000, base / 2 + Math.random() * (base / 2));
  }

  private async callOnce(messages: ChatMessage[], task: GenerationTask<unknown>): Promise<Attempt> {
    const structured = this.chatModel.withStructuredOutput(task.schema, {
      name: task.schemaName,
      includeRaw: true,
      ...(this.structuredOutput.method ? { method: this.structuredOutput.method } : {}),
      ...(this.structuredOutput.strict === undefined ? {} : { strict: this.structuredOutput.strict }),
    });
    // The model's answer as the model run ended, whatever the structured-output step does with it afterwards.
    let answered: BaseMessage | undefined;
    const watch = BaseCallbackHandler.fromMethods({
      awaitHandlers: true, // recorded before invoke() settles, not in the background
      handleLLMStart() {
        answered = undefined; // a repair or retry inside the runnable: only the last answer counts
      },
      handleLLMEnd(output: LLMResult) {
        answered = (output.generations[0]?.[0] as ChatGeneration | undefined)?.message;
      },
      handleLLMError() {
        answered = undefined;
      },
    } as Parameters<typeof BaseCallbackHandler.fromMethods>[0]);
    let result: unknown;
    try {
      result = await structured.invoke(
        messages.map((m) => [m.role, m.content] as [string, string]),
        { timeout: this.opts.timeoutMs, callbacks: [watch], ...(task.signal ? { signal: task.signal } : {}) },
      );
    } catch (err) {
      // The model answered, then reading that answer failed: a model whose `withStructuredOutput` ignores
      // `includeRaw` (LangChain's FakeListChatModel, some community models) parses it itself and throws JSON.parse's
      // bare SyntaxError on text that is not JSON. That is bad output, validated and repaired like any other. An
      // error before an answer (a connection, an unreadable HTTP body: the SDK's SyntaxError too) has no answer
      // recorded and stays the model's unavailability (mapModelError).
      if (answered && !task.signal?.aborted && !(err instanceof AgentError)) {
        this.logger.warn({ task: task.task, error: String(err) }, 'the model answered but its structured output could not be read');
        return this.attemptOf(answered);
      }
      throw err;
    }
    // A model whose `withStructuredOutput` ignores `includeRaw` answers with the parsed value itself.
    if (!isRawResult(result)) return { raw: JSON.stringify(result ?? null), inputTokens: 0, outputTokens: 0 };
    return this.attemptOf(result.raw);
  }

  /** The answer's text with its usage; refusals thrown, truncated or oversized answers marked. */
  private attemptOf(raw: BaseMessage): Attempt {
    const refusal = refusalOf(raw);
    if (refusal) throw new AgentError('MODEL_REFUSAL', `model refused: ${refusal.slice(0, 300)}`);
    const text = answerText(raw);
    const usage = (raw as { usage_metadata?: { input_tokens?: number; output_tokens?: number } }).usage_metadata;
    const finish = finishReason(raw);
    const defect =
      text.length > MAX_ANSWER_CHARS
        ? `is ${text.length} characters long, more than the ${MAX_ANSWER_CHARS} an answer may have`
        : finish === 'length' || finish === 'max_tokens'
          ? 'was cut off at the output token limit (truncated)'
          : undefined;
    return { raw: text.slice(0, MAX_ANSWER_CHARS), inputTokens: usage?.input_tokens ?? 0, outputTokens: usage?.output_tokens ?? 0, ...(defect ? { defect } : {}) };
  }
}

function isRawResult(v: unknown): v is { raw: BaseMessage } {
  const raw = (v as { raw?: unknown } | null)?.raw;
  return typeof raw === 'object' && raw !== null && 'content' in raw && 'additional_kwargs' in raw;
}

function validate<T>(a: Attempt, task: GenerationTask<T>): ReturnType<typeof parseStructured<T>> {
  const parsed = parseStructured(a.raw, task.schema);
  if (a.defect && !parsed.ok) return { ok: false, error: `${a.defect}; it ${parsed.error}` };
  if (a.defect && a.raw.length >= MAX_ANSWER_CHARS) return { ok: false, error: a.defect };
  return parsed;
}

/** The answer as text: the forced tool call's arguments, or the message content (providers answering in JSON text). */
function answerText(raw: BaseMessage): string {
  const m = raw as BaseMessage & {
    tool_calls?: Array<{ args?: unknown }>;
    invalid_tool_calls?: Array<{ args?: unknown }>;
  };
  const call = m.tool_calls?.[0];
  if (call?.args !== undefined) return JSON.stringify(call.args);
  const invalid = m.invalid_tool_calls?.[0];
  if (typeof invalid?.args === 'string') return invalid.args;
  const content = m.content;
  if (typeof content === 'string') return content;
  return content.map((part) => (typeof part === 'string' ? part : 'text' in part && typeof part.text === 'string' ? part.text : '')).join('');
}

/** A refusal, wherever the provider reports it: OpenAI's `refusal` field, Anthropic's stop reason, a content filter. */
function refusalOf(raw: BaseMessage): string | undefined {
  const kwargs = raw.additional_kwargs as { refusal?: unknown; __raw_response?: { choices?: Array<{ message?: { refusal?: unknown } }> } };
  const text = kwargs.refusal ?? kwargs.__raw_response?.choices?.[0]?.message?.refusal;
  if (typeof text === 'string' && text.trim() !== '') return text;
  const finish = finishReason(raw);
  if (finish === 'content_filter') return 'the output was stopped by the provider\'s content filter';
  if (finish === 'refusal') return 'the model declined to answer';
  return undefined;
}

function finishReason(raw: BaseMessage): string | undefined {
  const meta = raw.response_metadata as { finish_reason?: unknown; stop_reason?: unknown };
  const v = meta.finish_reason ?? meta.stop_reason;
  return typeof v === 'string' ? v : undefined;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new AgentError('MODEL_TIMEOUT', 'aborted'));
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(new AgentError('MODEL_TIMEOUT', 'aborted while waiting to retry'));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
