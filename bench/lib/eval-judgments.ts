import { accountSummaryAgent } from '../../src/agents/account-summary.ts';
import type { AgentDeps } from '../../src/agents/agent-types.ts';
import type { FieldValidation, Tally } from '../../src/agents/judgment-validation.ts';
import { runAgent } from '../../src/agents/runner.ts';
import type { GroundTruth } from '../../src/sandbox/types.ts';
import { evaluateCallSummaries } from './eval-call-summary.ts';

/**
 * How often the generating model's judgments are right, field by field, against the sandbox's labels: what
 * `npm run calibrate` stores as the model's validation (dev style) and reports on data written apart (test style).
 *
 *   - `call_summary.ai_next_steps`: each extracted next step is right when it means a labelled one (the eval's
 *     next-step precision, graded by meaning); a list's confidence is the share of its items that are right.
 *   - `account_summary.ai_churn_risk` and `ai_recommendation` (which follows from the rating): the sandbox labels
 *     deal outcomes, not renewals, so a rating is graded against the outcome of the account's most recently closed
 *     deal: `high` and `medium` claim the account is at risk (right when that deal was lost), `low` claims it is
 *     not (right when it was won). Accounts without a closed deal are not graded.
 * Every account and every labelled call is judged; nothing is sampled.
 */

export interface JudgmentGrades {
  fields: Record<string, FieldValidation>;
  /** Trivial baselines beside each field: what a constant answer would score. */
  baselines: Record<string, { name: string; precision: number }>;
  gradedAccounts: number;
  failures: number;
}

const tally = (): Tally => ({ n: 0, right: 0 });
const add = (t: Tally, right: boolean) => {
  t.n++;
  if (right) t.right++;
};

export async function gradeJudgments(deps: AgentDeps, truth: GroundTruth, log: (m: string) => void = () => {}): Promise<JudgmentGrades> {
  const fields: Record<string, FieldValidation> = {};
  let failures = 0;

  log('  call summaries: next steps on every labelled call…');
  const cs = await evaluateCallSummaries(deps, truth);
  failures += cs.failures;
  fields['call_summary.ai_next_steps'] = { n: cs.grade.precision[1], right: cs.grade.precision[0] };

  log('  account summaries: churn rating against the newest closed deal…');
  const outcomeById = new Map(truth.deals.map((d) => [d.id, d.outcome]));
  const churn: FieldValidation = { ...tally(), byValue: {} };
  let lost = 0;
  let graded = 0;
  for (const [i, company] of truth.companies.entries()) {
    const history = await deps.readHistory?.(company.id);
    const closed = (history?.deals ?? [])
      .map((d) => ({ outcome: outcomeById.get(d.id), at: d.properties.closedate ?? '' }))
      .filter((d) => d.outcome === 'won' || d.outcome === 'lost')
      .sort((a, b) => b.at.localeCompare(a.at));
    const newest = closed[0];
    if (!newest) continue;
    try {
      const r = await runAgent(accountSummaryAgent, deps, { portalId: truth.portalId, runId: `calibrate-account-${i}`, objectType: 'companies', objectId: company.id, accountId: company.id });
      if (!r.output) continue;
      const atRisk = newest.outcome === 'lost';
      const rating = r.output.churnRisk;
      const right = rating === 'low' ? !atRisk : atRisk;
      add(churn, right);
      add((churn.byValue![rating] ??= tally()), right);
      graded++;
      if (atRisk) lost++;
    } catch {
      failures++;
    }
  }
  fields['account_summary.ai_churn_risk'] = churn;
  // The recommendation is the rating's consequence ("Escalate", "Check in", "Keep the cadence"): right when it is.
  fields['account_summary.ai_recommendation'] = structuredClone(churn);
  const lostShare = graded ? lost / graded : 0;
  return {
    fields,
    baselines: {
      'account_summary.ai_churn_risk': lostShare >= 0.5 ? { name: 'always high', precision: lostShare } : { name: 'always low', precision: 1 - lostShare },
    },
    gradedAccounts: graded,
    failures,
  };
}

/** Adds one seed's grades into another's. */
export function mergeGrades(into: Record<string, FieldValidation>, add: Record<string, FieldValidation>): Record<string, FieldValidation> {
  for (const [k, f] of Object.entries(add)) {
    const t = (into[k] ??= { n: 0, right: 0 });
    t.n += f.n;
    t.right += f.right;
    for (const [v, c] of Object.entries(f.byValue ?? {})) {
      const x = ((t.byValue ??= {})[v] ??= { n: 0, right: 0 });
      x.n += c.n;
      x.right += c.right;
    }
  }
  return into;
}
