import { silentLogger } from '../logging.ts';
import type { AgentDeps, AgentResult, AgentTrigger } from './agent-types.ts';
import { accountRecords, accountTarget, citations, currentValues, engagementTargets, groundedConfidence, readTrigger, recordIdsOf, skippedTrace, agentContext } from './agent-support.ts';
import type { OfflineCallSummaryInput } from './offline/types.ts';
import { fenceChunks, referenceChunks, renderFacts, renderTimeline } from './prompt-context.ts';
import { loadPrompt } from './prompts.ts';
import { makeProposal, runMetadataProposals, uniqueTargets, type ProposalBase, type Target } from './proposals.ts';
import { runModel } from './run-model.ts';
import { CallSummaryOutputSchema, type CallSummaryOutput } from './schemas.ts';

/**
 * Call summary: the call's transcript plus the account's retrieved history → key points, next steps (owner and
 * due date when stated), objections, risks, competitors. Proposed as a note on the account's record and on the
 * call's contact and deal of this account, and as `ai_summary` / `ai_next_steps` on that deal (or the account
 * record when there is none). A call shared with another account (a partner's contact on the line) is summarised
 * once per account, each run writing only to its own account's records.
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

type Cited<T> = T & { evidence: string[] };

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

export async function runCallSummary(deps: AgentDeps, trigger: AgentTrigger): Promise<AgentResult & { output: CallSummaryOutput | null }> {
  const logger = deps.logger ?? silentLogger;
  const type = trigger.objectType === 'meetings' ? 'meetings' : 'calls';
  const source = SOURCES[type];
  const call = await readTrigger(deps.gateway, type, trigger.objectId, [...source.properties]);
  const accountId = trigger.accountId;
  const pick = (keys: readonly string[]) => keys.map((k) => call.properties[k] ?? '').filter(Boolean).join('\n');
  const title = pick(source.title) || (type === 'calls' ? 'Call' : 'Meeting');
  const body = pick(source.body);
  // Creation webhooks carry no content: an empty call ends the job cleanly, its content update re-triggers it.
  if (body.trim() === '') return { proposals: [], trace: skippedTrace(deps, 'call_summary', trigger, `${type} ${call.id} has no content`), output: null };
  const context = await agentContext(deps, trigger, accountId, 'call_summary', { queryText: `${title}\n${body}`, triggerIds: [`${type}:${call.id}`], ...(deps.now ? { now: deps.now() } : {}) });
  const assoc = await engagementTargets(deps.gateway, type, call.id, accountRecords(context.history));
  const refs = referenceChunks(context.chunks);
  const prompt = loadPrompt('call_summary');
  const offline: OfflineCallSummaryInput = { trigger: refs.trigger, history: refs.history };
  const { result, trace } = await runModel({
    provider: deps.provider,
    agent: 'call_summary',
    runId: trigger.runId,
    prompt,
    ...(trigger.signal ? { signal: trigger.signal } : {}),
    slots: {
      facts: renderFacts(context.facts),
      timeline: renderTimeline(context.timeline),
      trigger: fenceChunks(refs.trigger),
      chunks: fenceChunks(refs.history),
    },
    schema: CallSummaryOutputSchema,
    schemaName: 'call_summary',
    offlineContext: offline,
    context,
    recordIds: [`${type}:${call.id}`, ...recordIdsOf(context)],
  });

  // Citations → chunk ids; anything the model cited that it was not shown is dropped here.
  const cite = <T extends { evidence: string[] }>(items: T[]): Array<Cited<T>> => items.map((i) => ({ ...i, evidence: citations(i.evidence, refs.all) }));
  const output: CallSummaryOutput = {
    ...result.output,
    keyPoints: cite(result.output.keyPoints),
    nextSteps: cite(result.output.nextSteps),
    objections: cite(result.output.objections),
    risks: cite(result.output.risks),
    competitors: cite(result.output.competitors),
  };
  const items = [...output.keyPoints, ...output.nextSteps, ...output.objections, ...output.risks, ...output.competitors];
  const evidence = [...new Set(items.flatMap((i) => i.evidence))];
  const confidence = groundedConfidence(items, result.provider === 'offline' ? 0.7 : 0.9);

  const own = accountTarget(accountId);
  const companyId = own.objectType === 'companies' ? own.objectId : undefined;
  const contactId = assoc.contacts[0] ?? (own.objectType === 'contacts' ? own.objectId : undefined);
  const dealId = assoc.deals[0];
  const noteTargets = uniqueTargets([
    companyId ? { objectType: 'companies', objectId: companyId } : null,
    contactId ? { objectType: 'contacts', objectId: contactId } : null,
    dealId ? { objectType: 'deals', objectId: dealId } : null,
  ]);
  const primary: Target = dealId ? { objectType: 'deals', objectId: dealId } : own;

  const base: ProposalBase = {
    portalId: trigger.portalId,
    accountId,
    runId: trigger.runId,
    agent: 'call_summary',
    promptVersion: prompt.id,
    model: result.model,
    createdAt: (deps.now?.() ?? new Date()).toISOString(),
  };
  const note = renderCallNote(title, call.properties.hs_timestamp ?? call.properties.hs_meeting_start_time ?? '', output);
  const current = await currentValues(deps.gateway, primary, ['ai_summary', 'ai_next_steps', 'ai_last_run', 'ai_model']);
  const proposals = [
    ...noteTargets.map((target) =>
      makeProposal(base, { target, kind: 'note', field: null, value: note, title: `AI ${type === 'calls' ? 'call' : 'meeting'} summary: ${title}`, confidence, evidence, rationale: `Summary of ${type} ${call.id}` }),
    ),
    makeProposal(base, {
      target: primary,
      kind: 'property',
      field: 'ai_summary',
      value: [output.summary, ...output.keyPoints.map((k) => `- ${k.text}`)].join('\n').slice(0, MAX_PROPERTY_CHARS),
      confidence,
      evidence,
      observedValue: current.ai_summary ?? null,
    }),
    ...(output.nextSteps.length
      ? [
          makeProposal(base, {
            target: primary,
            kind: 'property',
            field: 'ai_next_steps',
            value: renderNextSteps(output).slice(0, MAX_PROPERTY_CHARS),
            confidence: groundedConfidence(output.nextSteps, result.provider === 'offline' ? 0.7 : 0.9),
            evidence: [...new Set(output.nextSteps.flatMap((n) => n.evidence))],
            observedValue: current.ai_next_steps ?? null,
          }),
        ]
      : []),
    ...runMetadataProposals(base, primary, current),
  ];
  logger.debug({ objectType: type, objectId: call.id, accountId, proposals: proposals.length, chunks: context.chunks.length }, 'call summary generated');
  return { proposals, trace, output };
}
