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
  /**
   * Keyed `<agent>.<field>`, e.g. `account_summary.ai_churn_risk`: the tallies the confidence bound is computed
   * from. With `measurements`, each field and value class holds the measurement whose 95 % lower bound is the lowest
   * (a class missing from one of them counts as unmeasured), so no bound exceeds what the held-out data showed.
   */
  fields: Record<string, FieldValidation>;
  /**
   * The measurements the record was composed from: the development data (the extractor's rules were written
   * against its phrasing) and held-out data (phrasing written apart, seeds never reported on).
   */
  measurements?: Array<{ role: 'development' | 'held-out' | 'live'; data: string; fields: Record<string, FieldValidation> }>;
  /**
   * The code the figures describe: a hash of the judged extractor's sources and the judged prompts' ids when the
   * record was measured (calibrate); a test fails when the code has moved on since.
   */
  codeVersion?: string;
}
