import type { Proposal } from '../core/proposal.ts';
import { wilsonLower } from './scorer/validation.ts';
import { OFFLINE_EXTRACTIVE_V1 } from './validation/offline-extractive-v1.ts';
import type { FieldValidation, ModelValidationRecord, Tally } from './validation/record.ts';

export type { FieldValidation, ModelValidationRecord, Tally } from './validation/record.ts';

/**
 * Confidence of generated judgments: a proposal that asserts something about the world (a churn rating, the
 * recommendation that follows from it, the next steps of a call) is right with some probability, and that
 * probability is not how well its statements are grounded: an extractive copy is always grounded, yet its churn
 * rating can be wrong. So a judgment's confidence is
 *
 *     min(grounding, the producing model's validated precision for that field)
 *
 * where validated precision is the 95 % Wilson lower bound of how often that model's value of that field was right
 * on labelled held-out data (`npm run calibrate`, which writes the records in `validation/`). The record is looked
 * up by the provider and model that produced the output (the runner does it; agents never branch on a provider).
 * A model with no record for the field (any LangChain chat model nobody has evaluated) cannot write the judgment
 * by itself: its confidence is 0 and the write-back sends it to review with `model_unvalidated` and why.
 *
 * Free text (summaries, reply drafts, AI notes) is not a judgment with a right answer: its bar stays grounding, the
 * share of statements supported by the chunk they cite (evidence-check.ts).
 */

/** Fewer judged items than this and a class's precision is not a validation (its interval is too wide). */
export const MIN_JUDGED = 30;

/** The records shipped with the product. A deployment can pass its own (`AgentDeps.validations`). */
export const VALIDATION_RECORDS: readonly ModelValidationRecord[] = [OFFLINE_EXTRACTIVE_V1];

export type ModelValidation = NonNullable<Proposal['modelValidation']>;

export interface JudgedConfidence {
  confidence: number;
  modelValidation: ModelValidation;
}

/** Rates a judgment of the model that produced the run's output; built once per run by the runner. */
export interface JudgmentRater {
  /**
   * @param field    the proposal's field (`ai_churn_risk`)
   * @param valueClass the class its precision is kept by (`high`), when the record keeps one
   * @param grounding  the share of the judgment's cited reasons supported by their chunks (0–1)
   */
  rate(field: string, valueClass: string | null, grounding: number): JudgedConfidence;
}

export function findValidation(records: readonly ModelValidationRecord[], provider: string, model: string): ModelValidationRecord | null {
  return records.find((r) => r.provider === provider && r.model === model) ?? null;
}

const pct = (x: number) => x.toFixed(2);

/** The figures for one field and class, and whether they are enough to write without a person. */
export function fieldValidation(record: ModelValidationRecord | null, who: string, key: string, valueClass: string | null): ModelValidation {
  const field = record?.fields[key];
  const asked = { key, valueClass };
  if (!record || !field) {
    return {
      ...asked,
      validated: false,
      confidenceBound: 0,
      summary: `${who} has no held-out validation for ${key}: its judgments are not calibrated, so a person decides (measure it with \`npm run calibrate\`)`,
    };
  }
  const cls = valueClass !== null ? field.byValue?.[valueClass] : undefined;
  const tally = cls ?? field;
  const label = cls ? `${key} (${valueClass})` : key;
  // Rounded down so that a confidence shown to 0.01 never exceeds the bound.
  const bound = Math.floor(wilsonLower(tally.right, tally.n) * 100) / 100;
  const figures = `${tally.right}/${tally.n} right (${pct(tally.n ? tally.right / tally.n : 0)}, 95% lower bound ${pct(bound)}) on ${record.data}, measured ${record.measuredAt.slice(0, 10)}`;
  if (tally.n < MIN_JUDGED) {
    return { ...asked, validated: false, confidenceBound: bound, summary: `${who}: too few labelled ${label} judgments to validate (${figures}; needs ≥ ${MIN_JUDGED})` };
  }
  return { ...asked, validated: true, confidenceBound: bound, summary: `${who}: ${label} ${figures}; confidence capped there` };
}

export function judgmentRater(records: readonly ModelValidationRecord[], provider: string, model: string, agent: string): JudgmentRater {
  const record = findValidation(records, provider, model);
  const who = `model ${provider}:${model}`;
  return {
    rate(field, valueClass, grounding) {
      const modelValidation = fieldValidation(record, who, `${agent}.${field}`, valueClass);
      const confidence = Math.max(0, Math.min(grounding, modelValidation.confidenceBound));
      return { confidence: Math.floor(confidence * 100) / 100, modelValidation };
    },
  };
}

const ZERO: Tally = { n: 0, right: 0 };
/** The tally with the lower 95 % bound (the more pessimistic measurement). */
const lower = (a: Tally | undefined, b: Tally | undefined): Tally => {
  const x = a ?? ZERO;
  const y = b ?? ZERO;
  return wilsonLower(x.right, x.n) <= wilsonLower(y.right, y.n) ? { n: x.n, right: x.right } : { n: y.n, right: y.right };
};

/**
 * Composes a record's tallies from two measurements (development and held-out data): per field and value class, the
 * one with the lower 95 % bound; a field or class absent from either counts as unmeasured (n 0: not validated).
 */
export function pessimistic(a: Record<string, FieldValidation>, b: Record<string, FieldValidation>): Record<string, FieldValidation> {
  const out: Record<string, FieldValidation> = {};
  for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) {
    const classes = new Set([...Object.keys(a[key]?.byValue ?? {}), ...Object.keys(b[key]?.byValue ?? {})]);
    out[key] = { ...lower(a[key], b[key]), ...(classes.size ? { byValue: Object.fromEntries([...classes].sort().map((c) => [c, lower(a[key]?.byValue?.[c], b[key]?.byValue?.[c])])) } : {}) };
  }
  return out;
}
