import { ENGAGEMENT_FRAME_LENGTH, ProposalSchema, type Decision, type DecisionOutcome, type Proposal } from '../core/proposal.ts';
import { AI_PREFIX, fieldRule, fillEmptyThreshold, isProtectedField, negativeRecommendationThreshold, type Mode, type Policy } from './policy.ts';
import { invalidValueReason, MAX_VALUE_LENGTH } from './ai-properties.ts';
import { samePropertyValue, type PropertyType } from '../core/property-value.ts';

/**
 * The decision engine: a pure function of the proposal, the policy and what the record looks like now. It never
 * reads anything else, so its guarantees are checked by property-based tests (test/writeback/decide.property.test.ts):
 *   - nothing outside the policy is applied (deny, unknown fields, non-`ai_*` fields, invalid proposals);
 *   - protected (core) fields are never applied automatically;
 *   - a proposal below its confidence threshold is never applied; a negative recommendation (disqualify, nurture)
 *     is held to the policy's stricter bar;
 *   - an output of a model that failed held-out validation, or whose confidence exceeds the bound the model
 *     earned there, is never applied (`model_unvalidated`, with the model's figures);
 *   - a non-empty human-set value is never overwritten automatically unless the policy allows it;
 *   - a non-`ai_*` field is applied only as a fill-empty field of the policy and only while it is empty now
 *     (`fills_empty_only` otherwise): enrichment never replaces a value that is there; and only with a validated
 *     model whose held-out bound clears the policy's `fillEmpty.minValidatedPrecision` (`model_unvalidated`);
 *   - the kill switch and the write-rate breaker stop every automatic write;
 *   - a proposal whose target, or any record its note or task would be associated with, does not belong to its
 *     job's account (by HubSpot's associations when deciding) is rejected, whatever else holds: writes stay
 *     inside the account the job works for;
 *   - a property proposal is `no_change` exactly when its value equals the current one in HubSpot's form for the
 *     property's type (core/property-value.ts, the comparison echo suppression, undo and "who set it" use): a
 *     datetime HubSpot sends back as `...:00Z` is our `...:00.000Z`, a number `5` is our `5.0`, a multi-select's
 *     options in another order are our value, while a string property compares as written ("02139" is not
 *     "2139") and a value of unknown type exactly.
 * Every rule that fires adds a reason; the strictest outcome wins (reject > review > apply).
 */

export type SetBy = 'human' | 'ai' | 'none';

export interface BreakerState {
  /** Automatic writes (any object) in the last 60 s. */
  autoWritesLastMinute: number;
  /** Distinct records of the proposal's object type written automatically in the last hour. */
  objectWritesLastHour: number;
  /** How many records of that type the portal holds; null when unknown (the fraction rule is then skipped). */
  objectRecordCount: number | null;
}

export interface DecisionState {
  /** The field's value now (null for notes and tasks, or an empty property). */
  currentValue: string | null;
  /** Who set the current value, from HubSpot's property history. */
  setBy: SetBy;
  /**
   * The property's HubSpot type (the portal's definition), which decides how values compare; undefined when
   * unknown (values are then compared exactly).
   */
  propertyType?: PropertyType | string;
  breaker: BreakerState;
  killSwitch: boolean;
  /**
   * The accounts the target record rolls up to now, from HubSpot's associations (hubspot/account-resolver.ts),
   * not from the index. The proposal's `accountId` must be one of them.
   */
  targetAccounts: readonly string[];
  /**
   * For a note or task associated with several records (`proposal.associations`): the accounts each of them rolls
   * up to now, keyed `objectType/objectId`. A record missing here belongs to no account.
   */
  associationAccounts?: Readonly<Record<string, readonly string[]>>;
}

/** Stable reason codes; the text after the colon explains the case to a reviewer. */
export type ReasonCode =
  | 'invalid_proposal'
  | 'target_outside_account'
  | 'not_in_policy'
  | 'denied_by_policy'
  | 'invalid_value'
  | 'no_change'
  | 'protected_field'
  | 'not_ai_owned'
  | 'policy_requires_review'
  | 'below_threshold'
  | 'negative_recommendation'
  | 'model_unvalidated'
  | 'human_value'
  | 'fills_empty_only'
  | 'changed_since_observed'
  | 'kill_switch'
  | 'breaker_rate'
  | 'breaker_fraction'
  | 'within_policy';

const RANK: Record<DecisionOutcome, number> = { apply: 0, review: 1, reject: 2 };

export function decide(proposal: Proposal, policy: Policy, state: DecisionState): Decision {
  const reasons: Array<{ outcome: DecisionOutcome; text: string }> = [];
  const add = (outcome: DecisionOutcome, code: ReasonCode, detail: string) => reasons.push({ outcome, text: `${code}: ${detail}` });

  const parsed = ProposalSchema.safeParse(proposal);
  if (!parsed.success) {
    add('reject', 'invalid_proposal', parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
    return finish(proposal, reasons);
  }

  const p = parsed.data;
  const target = `${p.target.objectType}/${p.target.objectId}`;
  if (!state.targetAccounts.includes(p.accountId)) {
    const owners = state.targetAccounts.length ? `account ${state.targetAccounts.join(', ')}` : 'no account';
    add('reject', 'target_outside_account', `${target} belongs to ${owners}, not to ${p.accountId}, the account this job works for`);
  }
  for (const a of p.associations ?? []) {
    const key = `${a.objectType}/${a.objectId}`;
    const accounts = state.associationAccounts?.[key] ?? [];
    if (!accounts.includes(p.accountId)) {
      const owners = accounts.length ? `account ${accounts.join(', ')}` : 'no account';
      add('reject', 'target_outside_account', `the ${p.kind} would also be associated with ${key}, which belongs to ${owners}, not to ${p.accountId}, the account this job works for`);
    }
  }
  let mode: Mode;
  let threshold: number;

  if (p.kind === 'property') {
    if (p.associations?.length) add('reject', 'invalid_proposal', 'a property proposal has no associations (only notes and tasks do)');
    if (!p.field || !/^[a-z0-9_]+$/.test(p.field)) {
      add('reject', 'invalid_proposal', `a property proposal needs a property name (got ${JSON.stringify(p.field)})`);
      return finish(p, reasons);
    }
    const field = p.field;
    const fillThreshold = fillEmptyThreshold(policy, p.target.objectType, field);
    const rule = fieldRule(policy, p.target.objectType, field) ?? (fillThreshold !== null ? { mode: 'auto' as const, confidenceThreshold: fillThreshold } : undefined);
    if (!rule) {
      add('reject', 'not_in_policy', `${p.target.objectType}.${field} is not in the write-back policy`);
      return finish(p, reasons);
    }
    mode = rule.mode;
    threshold = rule.confidenceThreshold ?? policy.defaultConfidenceThreshold;
    if (mode === 'deny') {
      add('reject', 'denied_by_policy', `the policy denies writes to ${p.target.objectType}.${field}`);
      return finish(p, reasons);
    }
    const invalid = invalidValueReason(field, p.value);
    if (invalid) add('reject', 'invalid_value', `${field}: ${invalid}`);
    if (state.currentValue !== null && samePropertyValue(state.currentValue, p.value, state.propertyType)) {
      add('reject', 'no_change', `${target} already has ${field} = ${JSON.stringify(truncate(p.value))}`);
    }
    // Defence in depth: a policy object built without parsePolicy could still say `auto` here.
    if (isProtectedField(policy, field)) {
      add('review', 'protected_field', `${field} is a core field: a human must approve every change`);
      mode = 'review';
    } else if (!field.startsWith(AI_PREFIX) && fillThreshold === null) {
      add('review', 'not_ai_owned', `${field} is not an AI-owned ${AI_PREFIX}* property`);
      mode = 'review';
    } else if (!field.startsWith(AI_PREFIX) && !isEmpty(state.currentValue)) {
      add('review', 'fills_empty_only', `${field} already holds ${JSON.stringify(truncate(state.currentValue ?? ''))} (set by ${state.setBy === 'none' ? 'an unknown source' : state.setBy === 'human' ? 'a person' : 'the AI'}); enrichment fills empty fields only, so a person chooses between the two`);
      mode = 'review';
    }
    // The agent reasoned about the value it saw; if someone changed it since, its proposal may no longer fit.
    if (p.observedValue !== undefined && !samePropertyValue(p.observedValue, state.currentValue, state.propertyType)) {
      add('review', 'changed_since_observed', `${field} changed from ${JSON.stringify(truncate(p.observedValue ?? ''))} to ${JSON.stringify(truncate(state.currentValue ?? ''))} after the agent looked`);
    }
    const overwriteHuman = rule.overwriteHumanValues ?? policy.overwriteHumanValues;
    if (mode === 'auto' && state.setBy === 'human' && !isEmpty(state.currentValue) && !overwriteHuman) {
      add(policy.humanValueAction, 'human_value', `a person set ${field} to ${JSON.stringify(truncate(state.currentValue ?? ''))}; the policy does not let the AI overwrite it`);
    }
  } else {
    const rule = p.kind === 'note' ? policy.notes : policy.tasks;
    mode = rule.mode;
    threshold = rule.confidenceThreshold;
    if (mode === 'deny') {
      add('reject', 'denied_by_policy', `the policy does not allow AI ${p.kind}s`);
      return finish(p, reasons);
    }
    if (p.field !== null) add('reject', 'invalid_proposal', `a ${p.kind} proposal has no field (got ${JSON.stringify(p.field)})`);
    if (p.value.trim() === '') add('reject', 'invalid_value', `the ${p.kind} body is empty`);
    // The header and marker the writer adds take a few hundred characters of HubSpot's limit.
    if (p.value.length > MAX_VALUE_LENGTH - ENGAGEMENT_FRAME_LENGTH) add('reject', 'invalid_value', `the ${p.kind} body is ${p.value.length} characters, too long`);
  }

  // Where a validated model's confidence comes from, so a reviewer (and the demo) sees why it is what it is.
  const basis = p.modelValidation?.validated ? `; ${p.modelValidation.summary}` : '';
  if (p.confidence < threshold) {
    add('review', 'below_threshold', `confidence ${p.confidence.toFixed(2)} is below the threshold ${threshold.toFixed(2)}${basis}`);
  }
  const negativeBar = p.kind === 'property' && p.field ? negativeRecommendationThreshold(policy, p.field, p.value) : null;
  if (negativeBar !== null && p.confidence < negativeBar) {
    add('review', 'negative_recommendation', `"${truncate(p.value.trim().split(/\s/, 1)[0] ?? '', 40)}" is a negative recommendation: it needs confidence ≥ ${negativeBar.toFixed(2)} (got ${p.confidence.toFixed(2)})`);
  }
  // Filling a portal's own (non-`ai_*`) field takes a model that proved itself on that field, not just a number.
  const fillBar = p.kind === 'property' && p.field && !p.field.startsWith(AI_PREFIX) && fillEmptyThreshold(policy, p.target.objectType, p.field) !== null ? policy.fillEmpty.minValidatedPrecision : null;
  if (fillBar !== null && mode === 'auto') {
    const v = p.modelValidation;
    if (!v) add('review', 'model_unvalidated', `${p.field} is the portal's own field: filling it needs the producing model's held-out validation for it (none given)`);
    else if (v.validated && v.confidenceBound < fillBar) {
      add('review', 'model_unvalidated', `${p.field} is the portal's own field: filling it needs a held-out precision bound ≥ ${fillBar.toFixed(2)} (the model showed ${v.confidenceBound.toFixed(2)}); ${v.summary}`);
    }
  }
  if (p.modelValidation) {
    const v = p.modelValidation;
    if (!v.validated) add('review', 'model_unvalidated', v.summary);
    else if (p.confidence > v.confidenceBound) {
      add('review', 'model_unvalidated', `confidence ${p.confidence.toFixed(2)} exceeds the ${v.confidenceBound.toFixed(2)} the model showed on held-out data; ${v.summary}`);
    }
  }
  if (mode === 'review') add('review', 'policy_requires_review', `the policy sends ${describe(p)} to review`);

  const automatic = mode === 'auto';
  if (automatic && (state.killSwitch || policy.killSwitch)) add('review', 'kill_switch', 'the kill switch stops every automatic write');
  if (automatic && state.breaker.autoWritesLastMinute >= policy.breaker.maxAutoWritesPerMinute) {
    add('review', 'breaker_rate', `${state.breaker.autoWritesLastMinute} automatic writes in the last minute (limit ${policy.breaker.maxAutoWritesPerMinute})`);
  }
  const count = state.breaker.objectRecordCount;
  if (automatic && count !== null && count >= policy.breaker.fractionMinRecords) {
    const fraction = (state.breaker.objectWritesLastHour + 1) / Math.max(count, 1);
    if (fraction > policy.breaker.maxObjectFractionPerHour) {
      add('review', 'breaker_fraction', `writing would touch ${(fraction * 100).toFixed(1)}% of ${p.target.objectType} within an hour (limit ${(policy.breaker.maxObjectFractionPerHour * 100).toFixed(1)}%)`);
    }
  }
  if (reasons.length === 0) add('apply', 'within_policy', `${describe(p)} is auto at confidence ${p.confidence.toFixed(2)} ≥ ${threshold.toFixed(2)}${basis}`);
  return finish(p, reasons);
}

function finish(p: Proposal, reasons: Array<{ outcome: DecisionOutcome; text: string }>): Decision {
  const outcome = reasons.reduce<DecisionOutcome>((acc, r) => (RANK[r.outcome] > RANK[acc] ? r.outcome : acc), 'apply');
  return { proposalId: typeof p?.id === 'string' ? p.id : '', outcome, reasons: reasons.map((r) => r.text) };
}

function describe(p: Proposal): string {
  return p.kind === 'property' ? `${p.target.objectType}.${p.field}` : `AI ${p.kind}s`;
}

function isEmpty(v: string | null): boolean {
  return v === null || v.trim() === '';
}

function truncate(v: string, n = 80): string {
  return v.length > n ? `${v.slice(0, n)}…` : v;
}

/** The codes that refuse a proposal outright (decide's, and those submit adds after reading HubSpot). */
const REFUSING = new Set<string>(['invalid_proposal', 'target_outside_account', 'target_outside_portal', 'target_missing', 'not_in_policy', 'denied_by_policy', 'invalid_value']);

/**
 * A rejection whose only cause is `no_change`: the record already holds the value, so there was nothing to write.
 * Audited as `rejected` (the audit kinds stay as they are); shown to people as "unchanged", not as a refusal.
 */
export function isUnchanged(outcome: string | null | undefined, reasons: readonly string[]): boolean {
  if (outcome !== 'reject') return false;
  const codes = reasons.map((r) => (r.includes(':') ? r.slice(0, r.indexOf(':')) : r).trim());
  return codes.includes('no_change') && !codes.some((c) => REFUSING.has(c));
}

/** The reason codes of a decision (the part before the colon), for tests and metrics. */
export function reasonCodes(d: Decision): ReasonCode[] {
  return d.reasons.map((r) => r.slice(0, r.indexOf(':')) as ReasonCode);
}
