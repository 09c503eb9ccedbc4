import type { AssociationSet, HubSpotObject } from '../core/objects.ts';
import { accountTarget, agentContext, currentValues, readTriggerEngagement, recordIdsOf, triggerTargets } from './agent-support.ts';
import type { AgentDefinition } from './definition.ts';
import { summarizeCallOffline } from './offline/call-summary.ts';
import { fenceChunks, referenceChunks, renderFacts, renderTimeline, type PromptChunks } from './prompt-context.ts';
import { makeProposal, runMetadataProposals, uniqueTargets, type Target } from './proposals.ts';
import { CallSummaryOutputSchema, type CallSummaryOutput } from './schemas.ts';

/**
 * Call summary: the call's transcript plus the account's retrieved history → key points, next steps (owner and
 * due date when stated), objections, risks, competitors. Proposed as one note on the account's record, associated
 * with the call's contacts and deals of this account (one note per call, on every relevant timeline), and as
 * `ai_summary` / `ai_next_steps` on that deal (or the account record when there is none). A call shared with
 * another account (a partner's contact on the line) is summarised once per account, each run writing only to its
 * own account's records.
 */

/** Calls carry the transcript in `hs_call_body`; meetings carry notes and agendas (routing sends both here). */
const SOURCES = {
  calls: { properties: ['hs_call_title', 'hs_call_body', 'hs_timestamp', 'hs_call_direction', 'hubspot_owner_id'], title: ['hs_call_title'], body: ['hs_call_body'] },
  meetings: {
    properties: ['hs_meeting_title', 'hs_meeting_body', 'hs_internal_meeting_notes', 'hs_timestamp', 'hs_meeting_start_time', 'hubspot_owner_id'],
    title: ['hs_meeting_title'],
    body: ['hs_meeting_body', 'hs_internal_meeting_notes'],
  },
} as const;
const MAX_PROPERTY_CHARS = 60_000;
/** At most this many records besides the account's own carry the note (a call with a whole buying committee). */
const MAX_NOTE_ASSOCIATIONS = 10;

interface CallState {
  type: 'calls' | 'meetings';
  call: HubSpotObject;
  title: string;
  chunks: PromptChunks;
  /** The call's associations that belong to this account. */
  assoc: AssociationSet;
}

export function renderCallNote(title: string, date: string, out: CallSummaryOutput): string {
  const lines = [`Call summary: ${title}${date ? ` (${date.slice(0, 10)})` : ''}`, '', out.summary];
  const section = (name: string, items: string[]) => {
    if (items.length) lines.push('', `${name}:`, ...items.map((i) => `- ${i}`));
  };
  section('Key points', out.keyPoints.map((k) => k.text));
  section(
    'Next steps',
    out.nextSteps.map((n) => `${n.text}${n.owner ? ` (owner: ${n.owner}` : ''}${n.owner && n.dueDate ? `, due ${n.dueDate})` : n.owner ? ')' : n.dueDate ? ` (due ${n.dueDate})` : ''}`),
  );
  section('Objections', out.objections.map((o) => o.text));
  section('Risks', out.risks.map((r) => r.text));
  if (out.competitors.length) lines.push('', `Competitors mentioned: ${out.competitors.map((c) => c.name).join(', ')}`);
  return lines.join('\n');
}

export function renderNextSteps(out: CallSummaryOutput): string {
  return out.nextSteps.map((n) => `${n.text}${n.owner ? ` | owner: ${n.owner}` : ''}${n.dueDate ? ` | due: ${n.dueDate}` : ''}`).join('\n');
}

export const callSummaryAgent: AgentDefinition<CallState, CallSummaryOutput> = {
  name: 'call_summary',
  triggers: ['calls', 'meetings'],
  onDemand: { kind: 'latest', sourceType: 'calls', inboundOnly: false },
  prompt: 'call_summary',
  schema: CallSummaryOutputSchema,
  schemaName: 'call_summary',

  async prepare({ deps, trigger, now }) {
    const type = trigger.objectType === 'meetings' ? 'meetings' : 'calls';
    const source = SOURCES[type];
    const read = await readTriggerEngagement(deps, type, trigger.objectId, trigger.accountId, source.properties);
    const call = read.object;
    const pick = (keys: readonly string[]) => keys.map((k) => call.properties[k] ?? '').filter(Boolean).join('\n');
    const title = pick(source.title) || (type === 'calls' ? 'Call' : 'Meeting');
    const body = pick(source.body);
    // Creation webhooks carry no content: an empty call ends the job cleanly, its content update re-triggers it.
    if (body.trim() === '') return { skip: `${type} ${call.id} has no content` };
    const context = await agentContext(deps, trigger, trigger.accountId, 'call_summary', {
      queryText: `${title}\n${body}`,
      triggerIds: [`${type}:${call.id}`],
      now,
      ...(read.history ? { history: read.history } : {}),
    });
    const assoc = await triggerTargets(deps.gateway, read, context.history);
    const chunks = referenceChunks(context.chunks);
    return {
      context,
      refs: chunks.all,
      recordIds: [`${type}:${call.id}`, ...recordIdsOf(context)],
      slots: {
        facts: renderFacts(context.facts),
        timeline: renderTimeline(context.timeline),
        trigger: fenceChunks(chunks.trigger),
        chunks: fenceChunks(chunks.history),
      },
      state: { type, call, title, chunks, assoc },
    };
  },

  extract: ({ state }) => summarizeCallOffline({ trigger: state.chunks.trigger, history: state.chunks.history }),

  async propose({ output, prepared, base, run, evidence, judge }) {
    const { type, call, title, assoc } = prepared.state;
    // The note and `ai_summary` are free text: grounding (share of statements supported by their citations) is their
    // bar. The next steps are a judgment (these are the actions agreed): also capped at the model's held-out precision.
    const statements = [...output.keyPoints, ...output.nextSteps, ...output.objections, ...output.risks, ...output.competitors.map((c) => ({ text: c.name, evidence: c.evidence }))];
    const confidence = evidence.confidence(statements);
    const cited = evidence.supportingEvidence(statements);
    const stepsGrounding = evidence.confidence(output.nextSteps);
    const steps = judge.rate('ai_next_steps', null, stepsGrounding);

    const own = accountTarget(run.trigger.accountId);
    const related: Target[] = [
      ...assoc.companies.map((id) => ({ objectType: 'companies' as const, objectId: id })),
      ...assoc.contacts.map((id) => ({ objectType: 'contacts' as const, objectId: id })),
      ...assoc.deals.map((id) => ({ objectType: 'deals' as const, objectId: id })),
    ];
    const associations = uniqueTargets(related).filter((t) => t.objectType !== own.objectType || t.objectId !== own.objectId).slice(0, MAX_NOTE_ASSOCIATIONS);
    const dealId = assoc.deals[0];
    const primary: Target = dealId ? { objectType: 'deals', objectId: dealId } : own;
    const note = renderCallNote(title, call.properties.hs_timestamp ?? call.properties.hs_meeting_start_time ?? '', output);
    const current = await currentValues(run.deps.gateway, primary, ['ai_summary', 'ai_next_steps', 'ai_last_run', 'ai_model']);
    return [
      makeProposal(base, {
        target: own,
        associations,
        kind: 'note',
        field: null,
        value: note,
        title: `AI ${type === 'calls' ? 'call' : 'meeting'} summary: ${title}`,
        confidence,
        evidence: cited,
        rationale: `Summary of ${type} ${call.id}; ${Math.round(confidence * statements.length)} of ${statements.length} statement(s) supported by the cited text`,
      }),
      makeProposal(base, {
        target: primary,
        kind: 'property',
        field: 'ai_summary',
        value: [output.summary, ...output.keyPoints.map((k) => `- ${k.text}`)].join('\n').slice(0, MAX_PROPERTY_CHARS),
        confidence,
        evidence: cited,
        observedValue: current.ai_summary ?? null,
      }),
      ...(output.nextSteps.length
        ? [
            {
              ...makeProposal(base, {
                target: primary,
                kind: 'property',
                field: 'ai_next_steps',
                value: renderNextSteps(output).slice(0, MAX_PROPERTY_CHARS),
                confidence: steps.confidence,
                evidence: evidence.supportingEvidence(output.nextSteps),
                observedValue: current.ai_next_steps ?? null,
                rationale: `grounding ${stepsGrounding.toFixed(2)} (share of next steps supported by their citations); ${steps.modelValidation.summary}`,
              }),
              modelValidation: steps.modelValidation,
            },
          ]
        : []),
      ...runMetadataProposals(base, primary, current),
    ];
  },
};
