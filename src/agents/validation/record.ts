/** The shape of a model's validation record (see judgment-validation.ts for how it is used). */

export interface Tally {
  /** Judged items (fields graded against labels). */
  n: number;
  /** Of which right. */
  right: number;
}

export interface FieldValidation extends Tally {
  /** Per value class, when the field's values differ in precision (a churn rating of `high` vs `low`). */
  byValue?: Record<string, Tally>;
}

/** What one model showed on labelled data: versioned, written by `npm run calibrate`, reviewed like code. */
export interface ModelValidationRecord {
  /** `offline`, or the LangChain provider key (`openai`, `azure_openai`…). */
  provider: string;
  model: string;
  /** Bumped when the grading or the data changes: a record is comparable only within one version. */
  version: number;
  measuredAt: string;
  /** Where it was measured: never the data its figures are reported on. */
  data: string;
  command: string;
  /** Keyed `<agent>.<field>`, e.g. `account_summary.ai_churn_risk`. */
  fields: Record<string, FieldValidation>;
}
