import { accountTarget, agentContext, currentValues, recordIdsOf } from './agent-support.ts';
import type { AgentDefinition } from './definition.ts';
import { summarizeAccountOffline } from './offline/account-summary.ts';
import { factLines, fenceChunks, referenceChunks, renderFacts, renderTimeline } from './prompt-context.ts';
import { makeProposal, runMetadataProposals } from './proposals.ts';
import { AccountSummaryOutputSchema, type AccountSummaryOutput } from './schemas.ts';
import { neutralize } from './untrusted.ts';

/**
 * Account summary and churn risk, on a deal stage change or on demand: `ai_summary`, `ai_churn_risk` and
 * `ai_recommendation` on the account record, plus the summary as a note.
 */

const DAY_MS = 86_400_000;

interface SummaryState {
  daysSinceLastActivity: number | null;
}

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

export const accountSummaryAgent: AgentDefinition<SummaryState, AccountSummaryOutput> = {
  name: 'account_summary',
  triggers: ['companies', 'contacts', 'deals', 'tickets'],
  onDemand: { kind: 'account' },
  prompt: 'account_summary',
  schema: AccountSummaryOutputSchema,
  schemaName: 'account_summary',

  async prepare({ deps, trigger, now }) {
    const context = await agentContext(deps, trigger, trigger.accountId, 'account_summary', { now });
    const refs = referenceChunks(context.chunks).all;
    const last = context.timeline[0]?.occurredAt;
    return {
      context,
      refs,
      recordIds: recordIdsOf(context),
      slots: {
        facts: renderFacts(context.facts),
        timeline: renderTimeline(context.timeline),
        event: neutralize(trigger.event ?? 'summary requested'),
        chunks: fenceChunks(refs),
      },
      state: { daysSinceLastActivity: last ? Math.max(0, Math.floor((now.getTime() - Date.parse(last)) / DAY_MS)) : null },
    };
  },

  extract: ({ context, refs, state }) =>
    summarizeAccountOffline({
      companyName: context.facts.company?.name ?? null,
      factLines: factLines(context.facts),
      openTickets: context.facts.openTickets,
      daysSinceLastActivity: state.daysSinceLastActivity,
      chunks: refs,
    }),

  async propose({ output, prepared, base, run, evidence, judge }) {
    const target = accountTarget(run.trigger.accountId);
    const facts = prepared.context.facts;
    // The summary and its note are free text: grounding (share of highlights supported by their citations) is their bar.
    const summaryConfidence = evidence.confidence(output.highlights);
    // The churn rating is a judgment: grounded reasons are necessary, not sufficient. A medium or high rating stands
    // on its cited reasons; "low" asserts an absence no citation can show, so it is as grounded as the summary.
    const churnGrounding = output.churnRisk === 'low' ? (output.churnReasons.length ? evidence.confidence(output.churnReasons) : summaryConfidence) : evidence.confidence(output.churnReasons);
    // Both capped at how often this model's rating of that level was right on held-out labelled accounts; the
    // recommendation follows from the rating, so it is graded (and capped) by the same level.
    const churn = judge.rate('ai_churn_risk', output.churnRisk, churnGrounding);
    const recommendation = judge.rate('ai_recommendation', output.churnRisk, churnGrounding);
    const cited = evidence.supportingEvidence([...output.highlights, ...output.churnReasons]);
    const current = await currentValues(run.deps.gateway, target, ['ai_summary', 'ai_churn_risk', 'ai_recommendation', 'ai_last_run', 'ai_model']);
    const name = facts.company?.name ?? facts.contacts[0]?.name ?? run.trigger.accountId;
    const basis = (c: typeof churn) => `grounding ${churnGrounding.toFixed(2)} (share of cited reasons supported); ${c.modelValidation.summary}`;
    return [
      makeProposal(base, { target, kind: 'note', field: null, title: `AI account summary: ${name}`, value: renderAccountNote(name, output), confidence: summaryConfidence, evidence: cited }),
      makeProposal(base, {
        target, kind: 'property', field: 'ai_summary',
        value: [output.summary, ...output.highlights.map((h) => `- ${h.text}`)].join('\n').slice(0, 60_000),
        confidence: summaryConfidence, evidence: evidence.supportingEvidence(output.highlights), observedValue: current.ai_summary ?? null,
      }),
      {
        ...makeProposal(base, {
          target, kind: 'property', field: 'ai_churn_risk', value: output.churnRisk, confidence: churn.confidence,
          evidence: evidence.supportingEvidence(output.churnReasons), observedValue: current.ai_churn_risk ?? null,
          rationale: [basis(churn), ...output.churnReasons.map((r) => r.text)].join(' | ').slice(0, 2000),
        }),
        modelValidation: churn.modelValidation,
      },
      {
        ...makeProposal(base, {
          target, kind: 'property', field: 'ai_recommendation', value: output.recommendation, confidence: recommendation.confidence, evidence: cited,
          observedValue: current.ai_recommendation ?? null, rationale: basis(recommendation).slice(0, 2000),
        }),
        modelValidation: recommendation.modelValidation,
      },
      ...runMetadataProposals(base, target, current),
    ];
  },
};
