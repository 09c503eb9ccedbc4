import type { BaseChatModel } from '@langchain/core/language_models/chat_models';
import type { KeyValueCache } from '../cache/kv.ts';
import { AppError, errorMessage } from '../errors.ts';
import { silentLogger, type Logger } from '../logging.ts';
import type { ContainerMetrics } from '../metrics.ts';
import { OfflineProvider } from './offline-provider.ts';
import type { LlmProvider } from './provider.ts';

/**
 * Picks the generation adapter from `CHAT_MODEL`, written as LangChain names models: `<provider>:<model>`.
 *   - `offline`: the extractive provider (no model, no network);
 *   - `openai:gpt-4o-mini`: OpenAI, or any OpenAI-compatible server with OPENAI_BASE_URL (Ollama, vLLM, LM Studio);
 *   - `azure_openai:<deployment>`: Azure OpenAI (AZURE_OPENAI_ENDPOINT, AZURE_OPENAI_API_KEY, AZURE_OPENAI_API_VERSION);
 *   - any other provider LangChain's `initChatModel` knows (`anthropic:…`, `ollama:…`, `bedrock:…`, `google-genai:…`,
 *     `mistralai:…`, `groq:…`) once its package is installed (`npm install @langchain/anthropic`); it reads its own
 *     credentials from the environment (ANTHROPIC_API_KEY, AWS_*, …).
 * Every model is built with LangChain's own retries off (ours honour Retry-After, see langchain-provider.ts) and the
 * one timeout. Provider packages are imported on demand, so the offline default loads none of them.
 */

export interface CreateProviderOptions {
  /** `offline` or a LangChain provider key. */
  provider: string;
  model: string;
  timeoutMs: number;
  maxRetries?: number;
  /** openai: OPENAI_API_KEY and OPENAI_BASE_URL. */
  apiKey?: string;
  baseURL?: string;
  /** azure_openai. */
  azure?: { apiKey?: string; endpoint?: string; apiVersion?: string };
  cache?: KeyValueCache;
  logger?: Logger;
  /** A chat model built by the caller (any LangChain `BaseChatModel`): used as is, whatever `provider` says. */
  chatModel?: BaseChatModel;
  /** The container's metrics (tokens, cost). */
  metrics?: ContainerMetrics;
}

/** The OpenAI family gets strict tool-calling structured output (see langchain-provider.ts). */
const OPENAI_FAMILY = new Set(['openai', 'azure_openai']);

/** `openai:gpt-4o-mini` → { provider, model }; a bare model name is OpenAI's (the setting's older form). */
export function parseChatModel(spec: string): { provider: string; model: string } {
  const s = spec.trim();
  if (s === 'offline' || s.startsWith('offline')) return { provider: 'offline', model: 'offline-extractive-v1' };
  const i = s.indexOf(':');
  if (i <= 0) return { provider: 'openai', model: s };
  return { provider: s.slice(0, i), model: s.slice(i + 1) };
}

export async function createProvider(opts: CreateProviderOptions): Promise<LlmProvider> {
  const logger = opts.logger ?? silentLogger;
  if (opts.provider === 'offline' && !opts.chatModel) {
    logger.info('LLM provider: offline (extractive summaries and template drafts, no model)');
    return new OfflineProvider();
  }
  const chatModel = opts.chatModel ?? (await buildChatModel(opts));
  const { LangChainProvider } = await import('./langchain-provider.ts');
  logger.info({ provider: opts.provider, model: opts.model, ...(opts.baseURL ? { baseURL: opts.baseURL } : {}) }, 'LLM provider: LangChain chat model');
  return new LangChainProvider({
    chatModel,
    provider: opts.provider,
    model: opts.model,
    timeoutMs: opts.timeoutMs,
    logger,
    ...(OPENAI_FAMILY.has(opts.provider) ? { structuredOutput: { method: 'functionCalling', strict: true } } : {}),
    ...(opts.maxRetries === undefined ? {} : { maxRetries: opts.maxRetries }),
    ...(opts.cache === undefined ? {} : { cache: opts.cache }),
    ...(opts.metrics === undefined ? {} : { metrics: opts.metrics }),
  });
}

async function buildChatModel(opts: CreateProviderOptions): Promise<BaseChatModel> {
  const common = { maxRetries: 0, timeout: opts.timeoutMs, temperature: 0.2 };
  try {
    if (opts.provider === 'openai') {
      const { ChatOpenAI } = await import('@langchain/openai');
      return new ChatOpenAI({
        ...common,
        model: opts.model,
        // Local compatible servers accept any key; the SDK refuses to start without one.
        apiKey: opts.apiKey ?? 'not-needed',
        // The raw answer carries OpenAI's `refusal`, which LangChain's message conversion drops.
        __includeRawResponse: true,
        ...(opts.baseURL ? { configuration: { baseURL: opts.baseURL } } : {}),
      });
    }
    if (opts.provider === 'azure_openai') {
      const { AzureChatOpenAI } = await import('@langchain/openai');
      const azure = opts.azure ?? {};
      return new AzureChatOpenAI({
        ...common,
        azureOpenAIApiDeploymentName: opts.model,
        __includeRawResponse: true,
        ...(azure.apiKey ? { azureOpenAIApiKey: azure.apiKey } : {}),
        ...(azure.endpoint ? { azureOpenAIEndpoint: azure.endpoint } : {}),
        ...(azure.apiVersion ? { azureOpenAIApiVersion: azure.apiVersion } : {}),
      });
    }
    const { initChatModel } = await import('langchain/chat_models/universal');
    return await initChatModel(opts.model, { modelProvider: opts.provider, ...common });
  } catch (err) {
    throw new AppError(
      'MODEL_CONFIG',
      `Cannot build the chat model ${opts.provider}:${opts.model}: ${errorMessage(err)}` +
        (/install/i.test(errorMessage(err)) ? '' : ' (check its package is installed and its credentials are set)'),
      { cause: err },
    );
  }
}
