import OpenAI from 'openai';
import type { KeyValueCache } from '../cache/kv.ts';
import { silentLogger, type Logger } from '../logging.ts';
import { metrics } from '../metrics.ts';
import { AgentError } from './errors.ts';
import { toResponseSchema } from './json-schema.ts';
import { chatCostUsd } from './pricing.ts';
import type { ChatMessage, GenerateRequest, GenerateResult, LlmProvider } from './provider.ts';
import { readCachedResponse, responseCacheKey, writeCachedResponse } from './response-cache.ts';
import { parseStructured, repairMessage } from './structured-output.ts';
import { mapOpenAIError } from './openai-errors.ts';

/**
 * OpenAI-compatible chat adapter over the official `openai` SDK: OpenAI itself, or any server that speaks
 * the same API (`baseURL`: Ollama, vLLM, LM Studio…). The SDK's own retries are off: we retry here so that
 * a 429's Retry-After is honoured when it is short, turned into a retryable job failure when it is long,
 * and every attempt is logged and counted.
 */

export interface OpenAIProviderOptions {
  model: string;
  apiKey?: string;
  baseURL?: string;
  timeoutMs: number;
  /** Retries after the first attempt, for 429, 5xx, timeouts and connection errors. */
  maxRetries?: number;
  cache?: KeyValueCache;
  logger?: Logger;
  /** A Retry-After longer than this is not waited for in-process: the job fails retryably instead. */
  maxRetryAfterMs?: number;
  /** First back-off step when the server gives no Retry-After. */
  backoffBaseMs?: number;
}

interface CallResult {
  raw: string;
  inputTokens: number;
  outputTokens: number;
}

export class OpenAIProvider implements LlmProvider {
  readonly provider = 'openai' as const;
  readonly model: string;
  private readonly client: OpenAI;
  private readonly opts: Required<Pick<OpenAIProviderOptions, 'timeoutMs' | 'maxRetries' | 'maxRetryAfterMs' | 'backoffBaseMs'>>;
  private readonly cache: KeyValueCache | undefined;
  private readonly logger: Logger;

  constructor(options: OpenAIProviderOptions) {
    this.model = options.model;
    this.cache = options.cache;
    this.logger = options.logger ?? silentLogger;
    this.opts = {
      timeoutMs: options.timeoutMs,
      maxRetries: options.maxRetries ?? 3,
      maxRetryAfterMs: options.maxRetryAfterMs ?? 30_000,
      backoffBaseMs: options.backoffBaseMs ?? 500,
    };
    this.client = new OpenAI({
      // Local compatible servers accept any key; the SDK refuses to start without one.
      apiKey: options.apiKey ?? 'not-needed',
      baseURL: options.baseURL,
      timeout: options.timeoutMs,
      maxRetries: 0,
    });
  }

  async generate<T>(req: GenerateRequest<T>): Promise<GenerateResult<T>> {
    const key = responseCacheKey({ model: this.model, ...req });
    const hit = await readCachedResponse(this.cache, key);
    if (hit) {
      const parsed = req.schema.safeParse(hit.output);
      if (parsed.success) {
        return { output: parsed.data, raw: hit.raw, model: this.model, provider: 'openai', usage: { inputTokens: 0, outputTokens: 0, costUsd: 0 }, cached: true };
      }
    }

    const format = toResponseSchema(req.schema);
    const responseFormat = {
      type: 'json_schema' as const,
      json_schema: { name: req.schemaName, schema: format.schema, strict: format.strict },
    };
    const first = await this.callWithRetries(req.messages, responseFormat, req);
    let usage = { inputTokens: first.inputTokens, outputTokens: first.outputTokens };
    let raw = first.raw;
    let parsed = parseStructured(raw, req.schema);

    if (!parsed.ok) {
      this.logger.warn({ task: req.task, error: parsed.error }, 'model output failed its schema; one repair attempt');
      const repairMessages: ChatMessage[] = [
        ...req.messages,
        { role: 'assistant', content: raw },
        { role: 'user', content: repairMessage(parsed.error) },
      ];
      const second = await this.callWithRetries(repairMessages, responseFormat, req);
      usage = { inputTokens: usage.inputTokens + second.inputTokens, outputTokens: usage.outputTokens + second.outputTokens };
      raw = second.raw;
      parsed = parseStructured(raw, req.schema);
      if (!parsed.ok) {
        this.record(usage);
        throw new AgentError('OUTPUT_PARSING_FAILURE', `${req.task}: model output ${parsed.error} (after one repair attempt)`, {
          details: { task: req.task, promptVersion: req.promptVersion, raw: raw.slice(0, 4000) },
        });
      }
    }

    const costUsd = this.record(usage);
    await writeCachedResponse(this.cache, key, { raw, output: parsed.value });
    return { output: parsed.value, raw, model: this.model, provider: 'openai', usage: { ...usage, costUsd }, cached: false };
  }

  async ping(): Promise<void> {
    try {
      await this.client.models.list({ timeout: this.opts.timeoutMs, maxRetries: 0 });
    } catch (err) {
      const mapped = mapOpenAIError(err);
      // A server that answers but has no /models route (some compatible servers) is still up.
      if (mapped.code === 'MODEL_UNAVAILABLE' && err instanceof OpenAI.APIError && err.status === 404) return;
      throw mapped;
    }
  }

  async close(): Promise<void> {
    // The SDK holds no sockets open between calls (fetch keep-alive is per request); nothing to release.
  }

  private record(usage: { inputTokens: number; outputTokens: number }): number {
    const cost = chatCostUsd(this.model, usage.inputTokens, usage.outputTokens);
    metrics.modelTokens.inc({ model: this.model, direction: 'input' }, usage.inputTokens);
    metrics.modelTokens.inc({ model: this.model, direction: 'output' }, usage.outputTokens);
    if (cost > 0) metrics.costUsd.inc({ kind: 'chat', model: this.model }, cost);
    return cost;
  }

  private async callWithRetries(
    messages: ChatMessage[],
    responseFormat: OpenAI.ResponseFormatJSONSchema,
    req: GenerateRequest<unknown>,
  ): Promise<CallResult> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.callOnce(messages, responseFormat, req);
      } catch (err) {
        const mapped = mapOpenAIError(err);
        if (req.signal?.aborted || !mapped.retryable || attempt >= this.opts.maxRetries) throw mapped;
        const waitMs = this.backoffMs(mapped, attempt);
        if (waitMs === null) throw mapped;
        this.logger.warn({ task: req.task, code: mapped.code, attempt: attempt + 1, waitMs }, 'model call failed; retrying');
        await sleep(waitMs, req.signal);
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

  private async callOnce(
    messages: ChatMessage[],
    responseFormat: OpenAI.ResponseFormatJSONSchema,
    req: GenerateRequest<unknown>,
  ): Promise<CallResult> {
    const completion = await this.client.chat.completions.create(
      {
        model: this.model,
        messages,
        response_format: responseFormat,
        ...(req.temperature === undefined ? {} : { temperature: req.temperature }),
        ...(req.maxOutputTokens === undefined ? {} : { max_completion_tokens: req.maxOutputTokens }),
      },
      { timeout: this.opts.timeoutMs, maxRetries: 0, ...(req.signal ? { signal: req.signal } : {}) },
    );
    const choice = completion.choices[0];
    if (!choice) throw new AgentError('MODEL_UNAVAILABLE', 'model answered with no choices');
    if (choice.message.refusal) {
      throw new AgentError('MODEL_REFUSAL', `model refused: ${choice.message.refusal.slice(0, 300)}`);
    }
    if (choice.finish_reason === 'content_filter') throw new AgentError('MODEL_REFUSAL', 'model output stopped by its content filter');
    return {
      raw: choice.message.content ?? '',
      inputTokens: completion.usage?.prompt_tokens ?? 0,
      outputTokens: completion.usage?.completion_tokens ?? 0,
    };
  }
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
