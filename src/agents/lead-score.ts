import type { HubSpotObject } from '../core/objects.ts';
import type { Proposal } from '../core/proposal.ts';
import type { AgentContext } from '../retrieval/context-builder.ts';
import type { AgentDeps } from './agent-types.ts';
import { accountTarget, agentContext, currentValues, recordIdsOf } from './agent-support.ts';
import type { AgentDefinition } from './definition.ts';
import { leadIntentOffline, routeForScore } from './offline/lead-intent.ts';
import { fenceChunks, referenceChunks, renderFacts, renderTimeline } from './prompt-context.ts';
import type { Driver } from './scorer/drivers.ts';
import { makeProposal, runMetadataProposals, type ProposalBase, type Target } from './proposals.ts';
import { LeadIntentOutputSchema, type LeadIntentOutput } from './schemas.ts';
import { isClosedStage, observeAccount, observeDeal, type Observation } from './scorer/features.ts';
import { driversInline, driversList, topDrivers } from './scorer/drivers.ts';
import { scoreObservation, type Score, type ScorerModel } from './scorer/model.ts';
import { boundedConfidence, validationStatus } from './scorer/validation.ts';

/**
 * Lead score: the trained scorer gives the calibrated probability (score 0–100 and every proposal's
 * confidence); the model (or the offline extractor) adds cited intent reasons and a route. When the score is
 * confident it also proposes a core-field change (lifecycle stage or lead status), which the write-back
 * always sends to human review.
 */

/** Above this probability an early-stage account is proposed as sales-qualified; below the low mark, unqualified. */
export const QUALIFY_AT = 0.75;
export const DISQUALIFY_AT = 0.15;
const EARLY_LIFECYCLE = new Set(['subscriber', 'lead', 'marketingqualifiedlead']);

/**
 * A lead with no recorded activity yet (a form fill: no e-mail, call, meeting or note) has no score. The scorer
 * would read the missing activity as "12 months since the last activity", far outside the closed deals it was
 * trained on (the demo's new lead: -8.7 log-odds from that one feature, a 0/100 score), so a missing input would be
 * shown as a certain loss. Its route comes from intent only and waits for a person.
 */
export const NO_ACTIVITY = 'No lead score yet: there is no e-mail, call, meeting or note to score';

export function hasActivity(o: Observation): boolean {
  return o.meetings + o.inboundEmails + o.outboundEmails + o.calls + o.notes > 0;
}

export interface LeadScoreOutput {
  score: Score | null;
  observation: Observation;
  intent: LeadIntentOutput;
}

/**
 * Score the newest open deal when there is one (with the contacts on that deal, as in training); otherwise the
 * account as a whole.
 */
export async function observeForScoring(
  gateway: AgentDeps['gateway'],
  context: AgentContext,
  now?: number,
): Promise<{ observation: Observation; dealId: string | null }> {
  const h = context.history;
  const open = h.deals
    .filter((d) => !context.facts.deals.find((f) => f.id === d.id)?.isClosed && !isClosedStage(d))
    .sort((a, b) => (b.createdAt ?? '').localeCompare(a.createdAt ?? ''))[0];
  const opts = now === undefined ? {} : { now };
  if (!open) return { observation: observeAccount(h, opts), dealId: null };
  const onDeal = new Set((await gateway.batchAssociations('deals', 'contacts', [open.id])).get(open.id) ?? []);
  return { observation: observeDeal(h, open, { dealContacts: h.contacts.filter((c) => onDeal.has(c.id)), ...opts }), dealId: open.id };
}

function fitLabel(score: Score): string {
  const fit = score.contributions.filter((c) => c.feature.startsWith('industry=') || c.feature.startsWith('size=')).reduce((s, c) => s + c.contribution, 0);
  return fit > 0.25 ? 'high fit' : fit < -0.25 ? 'low fit' : 'medium fit';
}


interface LeadState {
  score: Score | null;
  /** Why there is no score although a scorer is loaded. */
  unscored: string | null;
  observation: Observation;
  scorer: ScorerModel | null;
}

export const leadScoreAgent: AgentDefinition<LeadState, LeadIntentOutput> = {
  name: 'lead_score',
  triggers: ['contacts', 'companies', 'deals'],
  onDemand: { kind: 'account' },
  prompt: 'lead_score',
  schema: LeadIntentOutputSchema,
  schemaName: 'lead_intent',

  async prepare({ deps, trigger, now }) {
    const context = await agentContext(deps, trigger, trigger.accountId, 'lead_score', { now });
    const scorer: ScorerModel | null = deps.scorer ?? null;
    const { observation } = await observeForScoring(deps.gateway, context, now.getTime());
    const unscored = scorer && !hasActivity(observation) ? NO_ACTIVITY : null;
    const score = scorer && !unscored ? scoreObservation(scorer, observation) : null;
    if (!scorer) deps.logger?.warn({ accountId: trigger.accountId }, 'no trained lead scorer: run `hubspot-ai train-scorer`; proposing intent only');
    const refs = referenceChunks(context.chunks).all;
    return {
      context,
      refs,
      recordIds: recordIdsOf(context),
      slots: {
        facts: renderFacts(context.facts),
        score: score ? `${score.score}/100 (calibrated win probability; main drivers: ${driversInline(topDrivers(score))})` : `not available (${unscored ?? 'no trained scorer'})`,
        timeline: renderTimeline(context.timeline),
        chunks: fenceChunks(refs),
      },
      state: { score, unscored, observation, scorer },
    };
  },

  extract: ({ state, refs }) => leadIntentOffline({ score: state.score?.score ?? null, ...(state.unscored ? { unscored: state.unscored } : {}), chunks: refs }),

  async propose({ output: intent, prepared, base: runBase, run, evidence }) {
    const target: Target = accountTarget(run.trigger.accountId);
    const current = await currentValues(run.deps.gateway, target, ['ai_lead_score', 'ai_fit_segment', 'ai_recommendation', 'ai_last_run', 'ai_model', 'lifecyclestage']);
    const { score, unscored, observation, scorer } = prepared.state;
    return leadScoreProposals({
      intent, score, observation, scorer, target, current, ...(unscored ? { unscored } : {}),
      base: runBase,
      cited: evidence.supportingEvidence(intent.reasons),
      contacts: leadContacts(prepared.context.history.contacts),
    });
  },
};

export interface LeadScoreProposalInput {
  intent: LeadIntentOutput;
  score: Score | null;
  /** Why there is no score although a scorer is loaded (NO_ACTIVITY). */
  unscored?: string;
  observation: Observation;
  scorer: ScorerModel | null;
  base: ProposalBase;
  target: Target;
  /** Current values of the account record's fields (observed values). */
  current: Record<string, string | null>;
  /** Chunk ids that support the intent reasons. */
  cited: string[];
  /** Contacts whose lead status could be proposed UNQUALIFIED. */
  contacts: HubSpotObject[];
}

/**
 * The lead-score proposals, a pure function of what the run found (property-tested in
 * test/agents/lead-score.property.test.ts). Every confidence comes from the scorer and is capped at the bound it
 * earned on held-out deals; every score-derived proposal carries the scorer's validation, so the write-back sends
 * an unvalidated scorer's output to review (`model_unvalidated`) with its figures.
 */
export function leadScoreProposals(input: LeadScoreProposalInput): Proposal[] {
  const { intent, score, observation, scorer, target, current, cited } = input;
  const base = { ...input.base, promptVersion: `${input.base.promptVersion}+${scorer?.version ?? 'no-scorer'}` };
  const status = input.unscored && !score
    ? { validated: false, confidenceBound: 0, summary: input.unscored }
    : scorer ? validationStatus(scorer.validation) : { validated: false, confidenceBound: 0, summary: 'no trained lead scorer: run `hubspot-ai train-scorer`' };
  const modelValidation = { validated: status.validated, confidenceBound: status.confidenceBound, summary: status.summary };
  const scored = (p: Proposal): Proposal => ({ ...p, modelValidation });
  const bounded = (c: number) => boundedConfidence(c, status);
  const reasonsText = intent.reasons.map((r) => `- ${r.text}`).join('\n');
  const proposals: Proposal[] = [];

  if (score) {
    const p = score.probability;
    // Confidence is the scorer's: the calibrated probability that the implied outcome (win or not) is right,
    // never above what the scorer showed on held-out deals.
    const modelConfidence = bounded(Math.max(p, 1 - p));
    const agrees = intent.route === routeForScore(score.score);
    const top = topDrivers(score);
    const drivers = `drivers: ${driversInline(top)}`;
    // Every review item derived from the score shows what moved it (the review page and the app card chart these).
    const withDrivers = (q: Proposal): Proposal => ({ ...scored(q), drivers: top });
    proposals.push(
      withDrivers(makeProposal(base, {
        target, kind: 'property', field: 'ai_lead_score', value: String(score.score), confidence: modelConfidence, evidence: cited,
        observedValue: current.ai_lead_score ?? null, rationale: `Calibrated win probability ${(p * 100).toFixed(1)}%; ${drivers}`,
      })),
      withDrivers(makeProposal(base, {
        target, kind: 'property', field: 'ai_fit_segment',
        value: `${observation.industry ?? 'unknown industry'} / ${observation.sizeBand ?? 'unknown size'} (${fitLabel(score)})`,
        confidence: modelConfidence, evidence: [], observedValue: current.ai_fit_segment ?? null,
      })),
      withDrivers(makeProposal(base, {
        target, kind: 'property', field: 'ai_recommendation', value: `${intent.route}\n${intent.summary}\n${reasonsText}`.trim(),
        // A route that contradicts the calibrated score needs a human to look.
        confidence: agrees ? modelConfidence : modelConfidence * 0.6, evidence: cited, observedValue: current.ai_recommendation ?? null,
        rationale: `${agrees ? 'Route consistent with the calibrated score' : `Route ${intent.route} departs from the score-based route ${routeForScore(score.score)}`}; ${drivers}`,
      })),
    );
    // The written score's companion note: the number and what drives it, on the record's timeline. Only when the
    // score changes, so re-scoring an unchanged account adds nothing to the timeline.
    if ((current.ai_lead_score ?? null) !== String(score.score)) {
      proposals.push(withDrivers(makeProposal(base, {
        target, kind: 'note', field: null,
        // An unvalidated scorer's number is an estimate, not a score out of 100 a rep can rely on: named so.
        title: status.validated ? `AI lead score: ${score.score}/100` : `AI lead score estimate: ${score.score} (scorer not validated)`,
        value: scoreNote(score.score, p, top, status.summary, current.ai_lead_score ?? null, status.validated),
        confidence: modelConfidence, evidence: cited,
      })));
    }
    const lifecycle = current.lifecyclestage ?? null;
    if (p >= QUALIFY_AT && lifecycle !== null && EARLY_LIFECYCLE.has(lifecycle)) {
      proposals.push(withDrivers(makeProposal(base, {
        target, kind: 'property', field: 'lifecyclestage', value: 'salesqualifiedlead', confidence: bounded(p), evidence: cited, observedValue: lifecycle,
        rationale: `Calibrated win probability ${(p * 100).toFixed(0)}% ≥ ${QUALIFY_AT * 100}%; ${drivers}`,
      })));
    }
    if (p <= DISQUALIFY_AT) {
      for (const contact of input.contacts) {
        proposals.push(withDrivers(makeProposal(base, {
          target: { objectType: 'contacts', objectId: contact.id }, kind: 'property', field: 'hs_lead_status', value: 'UNQUALIFIED', confidence: bounded(1 - p),
          evidence: cited, observedValue: contact.properties.hs_lead_status ?? null, rationale: `Calibrated win probability ${(p * 100).toFixed(0)}% ≤ ${DISQUALIFY_AT * 100}%; ${drivers}`,
        })));
      }
    }
  } else {
    proposals.push(scored(makeProposal(base, {
      target, kind: 'property', field: 'ai_recommendation', value: `${intent.route}\n${intent.summary}\n${reasonsText}`.trim(),
      // Without a scorer nothing is calibrated: the route is a person's call.
      confidence: 0, evidence: cited, observedValue: current.ai_recommendation ?? null, rationale: `${input.unscored ?? 'No trained scorer'}: route from intent only`,
    })));
  }
  proposals.push(...runMetadataProposals(base, target, current));
  return proposals;
}

/** Contacts whose lead status is still open; at most three, so one run cannot touch a whole buying group. */
function leadContacts(contacts: HubSpotObject[]): HubSpotObject[] {
  return contacts.filter((c) => !['UNQUALIFIED', 'BAD_TIMING'].includes(c.properties.hs_lead_status ?? '')).slice(0, 3);
}

/** The companion note of a written score: the score, the previous one, its top drivers (signed) and the scorer's standing. */
export function scoreNote(score: number, probability: number, drivers: readonly Driver[], scorerSummary: string, previous: string | null, validated = true): string {
  const change = previous !== null && previous !== '' ? ` (was ${previous})` : '';
  return [
    validated
      ? `Lead score ${score}/100${change}: calibrated win probability ${(probability * 100).toFixed(1)}%.`
      : `Lead score estimate ${score}${change}: the scorer has not been validated on past deals yet, so this estimate (win probability ${(probability * 100).toFixed(1)}%) is not a reliable score.`,
    `What drives it (contribution to the log-odds of winning, against an average deal):\n${driversList(drivers)}`,
    `Scorer: ${scorerSummary}`,
  ].join('\n\n');
}
