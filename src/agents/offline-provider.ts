import { AgentError } from './errors.ts';
import { summarizeAccountOffline } from './offline/account-summary.ts';
import { summarizeCallOffline } from './offline/call-summary.ts';
import { leadIntentOffline } from './offline/lead-intent.ts';
import { draftReplyOffline } from './offline/reply-draft.ts';
import type {
  OfflineAccountSummaryInput,
  OfflineCallSummaryInput,
  OfflineLeadIntentInput,
  OfflineReplyDraftInput,
} from './offline/types.ts';
import type { GenerateRequest, GenerateResult, LlmProvider } from './provider.ts';

/**
 * The provider that needs no network and no model: deterministic extractive summaries and template drafts
 * computed from the structured context the agent passes (`req.context`). Its output goes through the same
 * schema as a model's, and every text it writes says it is offline.
 */

export const OFFLINE_MODEL = 'offline-extractive-v1';

interface OfflineTasks {
  call_summary: OfflineCallSummaryInput;
  reply_draft: OfflineReplyDraftInput;
  account_summary: OfflineAccountSummaryInput;
  lead_score: OfflineLeadIntentInput;
}

const TASKS: { [K in keyof OfflineTasks]: (input: OfflineTasks[K]) => unknown } = {
  call_summary: summarizeCallOffline,
  reply_draft: draftReplyOffline,
  account_summary: summarizeAccountOffline,
  lead_score: leadIntentOffline,
};

function isTask(task: string): task is keyof OfflineTasks {
  return Object.hasOwn(TASKS, task);
}

export class OfflineProvider implements LlmProvider {
  readonly provider = 'offline' as const;
  readonly model = OFFLINE_MODEL;

  async generate<T>(req: GenerateRequest<T>): Promise<GenerateResult<T>> {
    if (!isTask(req.task)) {
      throw new AgentError('MODEL_UNAVAILABLE', `The offline provider has no implementation for task "${req.task}"`, { details: { permanent: true } });
    }
    if (req.context === undefined) {
      throw new AgentError('MODEL_UNAVAILABLE', `The offline provider needs a structured context for "${req.task}"`, { details: { permanent: true } });
    }
    const run = TASKS[req.task] as (input: unknown) => unknown;
    const value = run(req.context);
    const parsed = req.schema.safeParse(value);
    if (!parsed.success) {
      // A bug in our own extractor, not a model whim: no repair, fail loudly with the same code.
      throw new AgentError('OUTPUT_PARSING_FAILURE', `offline ${req.task} output does not match ${req.schemaName}: ${parsed.error.message}`);
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
