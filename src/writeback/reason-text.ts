import type { ReasonCode } from './decide.ts';

/**
 * Decision reasons in words a sales rep understands. The stable code (`below_threshold`) stays available to
 * the page as a tooltip and in the API; the detail after the colon (the numbers) is kept as the second line.
 */
export const REASON_TEXT: Record<ReasonCode, string> = {
  invalid_proposal: 'The AI produced something malformed, so it was refused.',
  target_outside_account: 'This record belongs to another account than the one the AI was working on, so nothing is written to it.',
  not_in_policy: 'The write-back policy does not mention this field, so the AI may not change it.',
  denied_by_policy: 'The write-back policy forbids the AI to change this.',
  invalid_value: 'The proposed value is not valid for this field.',
  no_change: 'The record already has this value.',
  protected_field: 'A person must approve every change to this core field.',
  not_ai_owned: 'This field belongs to people, not to the AI, so a person decides.',
  policy_requires_review: 'Your policy sends this kind of change to a person first.',
  below_threshold: 'The AI is not confident enough to make this change on its own.',
  negative_recommendation: 'Disqualifying or parking a lead needs more certainty than the AI has, so a person decides.',
  model_unvalidated: 'The model that produced this has not proven itself on labelled past data yet, so a person decides.',
  human_value: 'A person set the current value, and the AI never overwrites people on its own.',
  fills_empty_only: 'The field already has a value; enrichment only fills empty fields, so you choose between the current value and the proposal.',
  changed_since_observed: 'Someone changed this field after the AI looked at it.',
  kill_switch: 'Automatic writes are switched off (kill switch).',
  breaker_rate: 'The AI has made many changes in the last minute, so it paused and asks a person.',
  breaker_fraction: 'This would touch an unusually large share of your records within an hour.',
  within_policy: 'Allowed by the policy at this confidence.',
};

export interface ReasonView {
  code: string;
  text: string;
  detail: string;
}

/** `below_threshold: confidence 0.31 is below the threshold 0.60` → code, plain text and detail. */
export function explainReason(reason: string): ReasonView {
  const colon = reason.indexOf(':');
  const code = colon < 0 ? reason : reason.slice(0, colon).trim();
  const detail = colon < 0 ? '' : reason.slice(colon + 1).trim();
  const text = (REASON_TEXT as Record<string, string>)[code] ?? detail ?? code;
  return { code, text, detail };
}
