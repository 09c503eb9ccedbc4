import type { GenerationTrace } from '../core/proposal.ts';
import { NO_TRACING } from '../tracing.ts';
import type { AgentDeps, AgentResult, AgentTrigger } from './agent-types.ts';
import type { AgentDefinition, AgentRun, Prepared } from './definition.ts';
import { EvidenceCheck } from './evidence-check.ts';
import { judgmentRater, VALIDATION_RECORDS } from './judgment-validation.ts';
import { loadPrompt, renderPrompt } from './prompts.ts';
import type { ChatMessage } from './provider.ts';
import { resolveCitations, type ReferencedChunk } from './untrusted.ts';

/**
 * The one way an agent runs, whoever asked (queue job, API, CLI, workflow action):
 *   prepare (trigger, context, prompt slots) ▸ generate (a model through the provider port, or the definition's
 *   extractive strategy when the provider is the offline one) ▸ citations mapped to chunk ids ▸ proposals.
 * The trace records the prompt, the answer, usage and what was read, for the audit log.
 */
export async function runAgent<S, O>(
  def: AgentDefinition<S, O>,
  deps: AgentDeps,
  trigger: AgentTrigger,
): Promise<AgentResult & { output: O | null }> {
  const run: AgentRun = { deps, trigger, now: deps.now?.() ?? new Date() };
  const prepared = await def.prepare(run);
  if ('skip' in prepared) return { proposals: [], trace: skippedTrace(deps, def.name, trigger, prepared.skip, run.now), output: null };

  const prompt = loadPrompt(def.prompt);
  const messages: ChatMessage[] = [
    { role: 'system', content: prompt.system },
    { role: 'user', content: renderPrompt(prompt.user, prepared.slots) },
  ];
  const startedAt = new Date().toISOString();
  const result = await (deps.tracing ?? NO_TRACING).withSpan('llm.generate', { agent: def.name, 'prompt.version': prompt.id, provider: deps.provider.provider }, () =>
    deps.provider.generate({
      task: def.name,
      promptVersion: prompt.id,
      messages,
      schema: def.schema,
      schemaName: def.schemaName,
      extract: () => def.extract(prepared),
      cacheKey: `${prepared.context.portalId}:${prepared.context.accountId}:${prepared.context.contentVersion}`,
      portalId: prepared.context.portalId,
      ...(trigger.signal ? { signal: trigger.signal } : {}),
    }),
  );
  const trace: GenerationTrace = {
    agent: def.name,
    runId: trigger.runId,
    provider: result.provider,
    model: result.model,
    promptVersion: prompt.id,
    prompt: messages.map((m) => `### ${m.role}\n${m.content}`).join('\n\n'),
    response: result.raw,
    usage: result.usage,
    inputs: { recordIds: prepared.recordIds, chunkIds: prepared.context.chunks.map((c) => c.id) },
    startedAt,
    finishedAt: new Date().toISOString(),
  };

  // Citations → chunk ids; anything the output cites that the prompt did not show is dropped here.
  const output = resolveEvidence(result.output, prepared.refs);
  const proposals = await def.propose({
    output,
    prepared,
    run,
    evidence: new EvidenceCheck(prepared.refs),
    // Looked up by who produced this output (a cached answer keeps its model), never by a branch in the agent.
    judge: judgmentRater(deps.validations ?? VALIDATION_RECORDS, result.provider, result.model, def.name),
    base: {
      portalId: trigger.portalId,
      accountId: trigger.accountId,
      runId: trigger.runId,
      agent: def.name,
      promptVersion: prompt.id,
      model: result.model,
      createdAt: run.now.toISOString(),
    },
  });
  deps.logger?.debug({ agent: def.name, accountId: trigger.accountId, proposals: proposals.length, chunks: prepared.context.chunks.length }, 'agent run finished');
  return { proposals, trace, output };
}

/** Maps every `evidence` array in the output (at any depth) through the prompt's references. */
export function resolveEvidence<T>(value: T, refs: readonly ReferencedChunk[]): T {
  if (Array.isArray(value)) return value.map((v) => resolveEvidence(v, refs)) as T;
  if (!value || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    out[k] = k === 'evidence' && Array.isArray(v) ? resolveCitations(v.filter((x): x is string => typeof x === 'string'), refs) : resolveEvidence(v, refs);
  }
  return out as T;
}

/** The trace of a run that ended without calling a model (an empty call, an outgoing e-mail). */
export function skippedTrace(deps: AgentDeps, agent: GenerationTrace['agent'], trigger: AgentTrigger, reason: string, now = deps.now?.() ?? new Date()): GenerationTrace {
  const at = now.toISOString();
  return {
    agent,
    runId: trigger.runId,
    provider: deps.provider.provider,
    model: deps.provider.model,
    promptVersion: 'none',
    prompt: '',
    response: `skipped: ${reason}`,
    usage: { inputTokens: 0, outputTokens: 0, costUsd: 0 },
    inputs: { recordIds: [`${trigger.objectType}:${trigger.objectId}`], chunkIds: [] },
    startedAt: at,
    finishedAt: at,
  };
}

export type { Prepared };
