import type { z } from 'zod';
import type { AgentName, GenerationTrace } from '../core/proposal.ts';
import type { AgentContext } from '../retrieval/context-builder.ts';
import type { PromptTemplate } from './prompts.ts';
import { renderPrompt } from './prompts.ts';
import type { ChatMessage, GenerateResult, LlmProvider } from './provider.ts';
import { withSpan } from '../tracing.ts';

/** One model call for an agent, and the trace the audit log keeps of it. */
export async function runModel<T>(args: {
  provider: LlmProvider;
  agent: AgentName;
  runId: string;
  prompt: PromptTemplate;
  slots: Record<string, string>;
  schema: z.ZodType<T>;
  schemaName: string;
  /** Structured input for the offline provider. */
  offlineContext: unknown;
  context: AgentContext;
  recordIds: string[];
  signal?: AbortSignal;
}): Promise<{ result: GenerateResult<T>; trace: GenerationTrace; messages: ChatMessage[] }> {
  const startedAt = new Date().toISOString();
  const messages: ChatMessage[] = [
    { role: 'system', content: args.prompt.system },
    { role: 'user', content: renderPrompt(args.prompt.user, args.slots) },
  ];
  const result = await withSpan('llm.generate', { agent: args.agent, 'prompt.version': args.prompt.id, provider: args.provider.provider }, () => args.provider.generate({
    task: args.agent,
    promptVersion: args.prompt.id,
    messages,
    schema: args.schema,
    schemaName: args.schemaName,
    context: args.offlineContext,
    cacheKey: `${args.context.portalId}:${args.context.accountId}:${args.context.contentVersion}`,
    temperature: 0.2,
    ...(args.signal ? { signal: args.signal } : {}),
  }));
  const trace: GenerationTrace = {
    agent: args.agent,
    runId: args.runId,
    provider: result.provider,
    model: result.model,
    promptVersion: args.prompt.id,
    prompt: messages.map((m) => `### ${m.role}\n${m.content}`).join('\n\n'),
    response: result.raw,
    usage: result.usage,
    inputs: { recordIds: args.recordIds, chunkIds: args.context.chunks.map((c) => c.id) },
    startedAt,
    finishedAt: new Date().toISOString(),
  };
  return { result, trace, messages };
}
