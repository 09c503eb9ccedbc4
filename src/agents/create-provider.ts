import type { KeyValueCache } from '../cache/kv.ts';
import { silentLogger, type Logger } from '../logging.ts';
import { OfflineProvider } from './offline-provider.ts';
import type { LlmProvider } from './provider.ts';

export interface CreateProviderOptions {
  provider: 'offline' | 'openai';
  model: string;
  apiKey?: string;
  /** OPENAI_BASE_URL: any OpenAI-compatible server (Ollama `http://localhost:11434/v1`, vLLM, LM Studio). */
  baseURL?: string;
  timeoutMs: number;
  maxRetries?: number;
  cache?: KeyValueCache;
  logger?: Logger;
}

/**
 * Picks the LLM adapter. The OpenAI adapter is imported lazily so the offline default never loads the SDK.
 * Wiring from config: `createProvider({ provider: cfg.llm.provider, model: cfg.llm.model, apiKey:
 * cfg.OPENAI_API_KEY, baseURL: cfg.OPENAI_BASE_URL, timeoutMs: cfg.LLM_TIMEOUT_MS, cache, logger })`.
 */
export async function createProvider(opts: CreateProviderOptions): Promise<LlmProvider> {
  const logger = opts.logger ?? silentLogger;
  switch (opts.provider) {
    case 'offline':
      logger.info('LLM provider: offline (extractive summaries and template drafts, no model)');
      return new OfflineProvider();
    case 'openai': {
      const { OpenAIProvider } = await import('./openai-provider.ts');
      logger.info({ model: opts.model, baseURL: opts.baseURL ?? 'https://api.openai.com/v1' }, 'LLM provider: OpenAI-compatible');
      return new OpenAIProvider({
        model: opts.model,
        timeoutMs: opts.timeoutMs,
        logger,
        ...(opts.apiKey === undefined ? {} : { apiKey: opts.apiKey }),
        ...(opts.baseURL === undefined ? {} : { baseURL: opts.baseURL }),
        ...(opts.maxRetries === undefined ? {} : { maxRetries: opts.maxRetries }),
        ...(opts.cache === undefined ? {} : { cache: opts.cache }),
      });
    }
    default: {
      const never: never = opts.provider;
      throw new Error(`unknown LLM provider ${String(never)}`);
    }
  }
}
