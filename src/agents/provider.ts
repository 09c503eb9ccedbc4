import type { z } from 'zod';

/**
 * LLM provider port. Adapters: OpenAI-compatible (structured outputs from zod schemas) and the offline
 * provider (extractive summaries, templates; labels its output as offline). Agents call `generate` with the
 * schema of the output they expect; the provider validates, repairs once, then fails with
 * OUTPUT_PARSING_FAILURE.
 */

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export interface GenerateRequest<T> {
  /** Stable name of the task, e.g. `call_summary`. The offline provider dispatches on it. */
  task: string;
  promptVersion: string;
  messages: ChatMessage[];
  schema: z.ZodType<T>;
  schemaName: string;
  /** Structured context for the offline provider (it does not read prose prompts). */
  context?: unknown;
  /** Part of the response-cache key: the account's content version. */
  cacheKey?: string;
  temperature?: number;
  maxOutputTokens?: number;
  signal?: AbortSignal;
}

export interface GenerateResult<T> {
  output: T;
  raw: string;
  model: string;
  provider: 'offline' | 'openai';
  usage: { inputTokens: number; outputTokens: number; costUsd: number };
  cached: boolean;
}

export interface LlmProvider {
  readonly provider: 'offline' | 'openai';
  readonly model: string;
  generate<T>(req: GenerateRequest<T>): Promise<GenerateResult<T>>;
  ping(): Promise<void>;
  close(): Promise<void>;
}
