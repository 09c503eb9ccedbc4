import type { z } from 'zod';

/**
 * The generation port: turns a task (prompt messages, output schema) into a validated output. Adapters:
 *   - any LangChain chat model (`langchain-provider.ts`: OpenAI, Azure OpenAI and OpenAI-compatible servers out of
 *     the box, Anthropic, Ollama, Bedrock… by installing their package), structured output through
 *     `withStructuredOutput` with the task's zod schema, one repair turn, then OUTPUT_PARSING_FAILURE;
 *   - the extractive provider (`offline-provider.ts`), which needs no model: it runs the task's `extract`
 *     strategy (each agent definition declares one) and validates it against the same schema.
 * Agents never know which one they got.
 */

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export interface GenerationTask<T> {
  /** Stable name of the task, e.g. `call_summary`. */
  task: string;
  promptVersion: string;
  messages: ChatMessage[];
  schema: z.ZodType<T>;
  schemaName: string;
  /**
   * The agent's model-free strategy over the same inputs the prompt was rendered from. The extractive provider runs
   * it; language models read `messages` and never call it.
   */
  extract: () => unknown;
  /** Part of the response-cache key: the account's content version. */
  cacheKey?: string;
  /** The portal the task works for: its cached response is keyed by it, so purging the portal removes it. */
  portalId?: string;
  signal?: AbortSignal;
}

export interface Usage {
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
}

export interface GenerateResult<T> {
  output: T;
  raw: string;
  model: string;
  /** `offline`, or the LangChain provider key (`openai`, `azure_openai`, `anthropic`…). */
  provider: string;
  usage: Usage;
  cached: boolean;
}

export interface LlmProvider {
  readonly provider: string;
  readonly model: string;
  generate<T>(task: GenerationTask<T>): Promise<GenerateResult<T>>;
  ping(): Promise<void>;
  close(): Promise<void>;
}
