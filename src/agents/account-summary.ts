import type { AgentDeps, AgentResult, AgentTrigger } from './agent-types.ts';
import { accountTarget, citations, currentValues, groundedConfidence, recordIdsOf, agentContext } from './agent-support.ts';
import type { OfflineAccountSummaryInput } from './offline/types.ts';
import { factLines, fenceChunks, referenceChunks, renderFacts, renderTimeline } from './prompt-context.ts';
import { loadPrompt } from './prompts.ts';
import { makeProposal, runMetadataProposals, type ProposalBase } from './proposals.ts';
import { runModel } from './run-model.ts';
import { AccountSummaryOutputSchema, type AccountSummaryOutput } from './schemas.ts';
import { neutralize } from './untrusted.ts';

/**
 * Account summary and churn risk, on a deal stage change or on demand: `ai_summary`, `ai_churn_risk` and
 * `ai_recommendation` on the account record, plus the summary as a note.
 */

const DAY_MS = 86_400_000;

export function renderAccountNote(name: string, out: AccountSummaryOutput): string {
  return [
    `Account summary: ${name}`,
    '',
    out.summary,
    ...(out.highlights.length ? ['', 'Highlights:', ...out.highlights.map((h) => `- ${h.text}`)] : []),
    '',
    `Churn risk: ${out.churnRisk}`,
    ...out.churnReasons.map((r) => `- ${r.text}`),
    '',
    `Recommendation: ${out.recommendation}`,
  ].join('\n');
}

export async function runAccountSummary(deps: AgentDeps, trigger: AgentTrigger): Promise<AgentResult & { output: AccountSummaryOutput }> {
  const accountId = trigger.accountId;
  const now = deps.now?.() ?? new Date();
  const context = await agentContext(deps, trigger, accountId, 'account_summary', { now });
  const refs = referenceChunks(context.chunks);
  const last = context.timeline[0]?.occurredAt;
  const daysSince = last ? Math.max(0, Math.floor((now.getTime() - Date.parse(last)) / DAY_MS)) : null;
  const prompt = loadPrompt('account_summary');
  const offline: OfflineAccountSummaryInput = {
    companyName: context.facts.company?.name ?? null,
    factLines: factLines(context.facts),
    openTickets: context.facts.openTickets,
    daysSinceLastActivity: daysSince,
    chunks: refs.all,
  };
  const { result, trace } = await runModel({
    provider: deps.provider,
    agent: 'account_summary',
    runId: trigger.runId,
    prompt,
    ...(trigger.signal ? { signal: trigger.signal } : {}),
    slots: {
      facts: renderFacts(context.facts),
      timeline: renderTimeline(context.timeline),
      event: neutralize(trigger.event ?? 'summary requested'),
      chunks: fenceChunks(refs.all),
    },
    schema: AccountSummaryOutputSchema,
    schemaName: 'account_summary',
    offlineContext: offline,
    context,
    recordIds: recordIdsOf(context),
  });
  const cite = <T extends { evidence: string[] }>(items: T[]) => items.map((i) => ({ ...i, evidence: citations(i.evidence, refs.all) }));
  const output: AccountSummaryOutput = { ...result.output, highlights: cite(result.output.highlights), churnReasons: cite(result.output.churnReasons) };
  const ceiling = result.provider === 'offline' ? 0.7 : 0.9;
  const evidence = [...new Set([...output.highlights, ...output.churnReasons].flatMap((i) => i.evidence))];

  const target = accountTarget(accountId);
  const base: ProposalBase = {
    portalId: trigger.portalId,
    accountId,
    runId: trigger.runId,
    agent: 'account_summary',
    promptVersion: prompt.id,
    model: result.model,
    createdAt: now.toISOString(),
  };
  const current = await currentValues(deps.gateway, target, ['ai_summary', 'ai_churn_risk', 'ai_recommendation', 'ai_last_run', 'ai_model']);
  const name = context.facts.company?.name ?? context.facts.contacts[0]?.name ?? accountId;
  const proposals = [
    makeProposal(base, { target, kind: 'note', field: null, title: `AI account summary: ${name}`, value: renderAccountNote(name, output), confidence: groundedConfidence(output.highlights, ceiling), evidence }),
    makeProposal(base, {
      target, kind: 'property', field: 'ai_summary',
      value: [output.summary, ...output.highlights.map((h) => `- ${h.text}`)].join('\n').slice(0, 60_000),
      confidence: groundedConfidence(output.highlights, ceiling), evidence, observedValue: current.ai_summary ?? null,
    }),
    makeProposal(base, {
      target, kind: 'property', field: 'ai_churn_risk', value: output.churnRisk,
      // "low" needs no evidence; a medium/high rating without any cited reason is not trusted.
      confidence: output.churnRisk === 'low' ? ceiling * 0.8 : groundedConfidence(output.churnReasons, ceiling),
      evidence: [...new Set(output.churnReasons.flatMap((r) => r.evidence))], observedValue: current.ai_churn_risk ?? null,
      rationale: output.churnReasons.map((r) => r.text).join(' | ').slice(0, 2000),
    }),
    makeProposal(base, { target, kind: 'property', field: 'ai_recommendation', value: output.recommendation, confidence: ceiling * 0.8, evidence, observedValue: current.ai_recommendation ?? null }),
    ...runMetadataProposals(base, target, current),
  ];
  return { proposals, trace, output };
}
