import { AgentError } from './errors.ts';
import type { GenerateResult, GenerationTask, LlmProvider } from './provider.ts';

/**
 * The provider that needs no network and no model: it runs the task's extractive strategy (each agent definition
 * declares one: extractive summaries, template drafts computed from the same chunks the prompt would show) and
 * validates the result against the task's schema like a model's answer. Every text those strategies write says
 * it is offline.
 */

export const OFFLINE_MODEL = 'offline-extractive-v1';

export class OfflineProvider implements LlmProvider {
  readonly provider = 'offline';
  readonly model = OFFLINE_MODEL;

  async generate<T>(task: GenerationTask<T>): Promise<GenerateResult<T>> {
    const value = task.extract();
    const parsed = task.schema.safeParse(value);
    if (!parsed.success) {
      // A bug in our own extractor, not a model whim: no repair, fail loudly with the same code.
      throw new AgentError('OUTPUT_PARSING_FAILURE', `offline ${task.task} output does not match ${task.schemaName}: ${parsed.error.message}`);
    }
    return {
      output: parsed.data,
      raw: JSON.stringify(value),
      model: OFFLINE_MODEL,
      provider: 'offline',
      usage: { inputTokens: 0, outputTokens: 0, costUsd: 0 },
      cached: false,
    };
  }

  async ping(): Promise<void> {}

  async close(): Promise<void> {}
}
