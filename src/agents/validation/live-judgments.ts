import { wrapWords } from '../../core/wrap.ts';
import { pessimistic, fieldValidation } from '../judgment-validation.ts';
import { contentWords } from '../offline/sentences.ts';
import { wilsonLower } from '../scorer/validation.ts';
import type { FieldValidation, ModelValidationRecord, Tally } from './record.ts';

/**
 * Live drift of the judgments (`hubspot-ai validate judgments`): what the agents proposed, from the audit log,
 * against what happened later in HubSpot, where the data allows a comparison.
 *
 *   - Churn ratings (`account_summary.ai_churn_risk`, and `ai_recommendation`, which follows from it) are graded as
 *     `npm run calibrate` grades them: against the outcome of the first deal of the account that closed after the
 *     rating (within a year). `high` and `medium` claim the account is at risk (right when that deal was lost),
 *     `low` claims it is not (right when it was won). This is held-out data by construction (the outcome did not
 *     exist when the rating was made), so it becomes a validation record of the portal: it can lower the stored
 *     bound of a value class (the lower of the two is kept, pessimistic()), never raise it.
 *   - Next steps (`call_summary.ai_next_steps`) have no later label in HubSpot. What the data shows is whether a
 *     step was followed through: an engagement or task a person logged on the account within 30 days whose words
 *     cover most of the step's. That is a proxy (a step can be done without a trace, or be wrong and still be
 *     echoed), so it is reported and exposed as a metric, never turned into a bound.
 * Pure functions; judgment-report.ts in writeback reads the audit log and HubSpot.
 */

export interface LiveJudgment {
  accountId: string;
  at: string;
  field: 'ai_churn_risk' | 'ai_next_steps';
  value: string;
  written: boolean;
  confidence: number | null;
}

export interface AccountOutcome {
  accountId: string;
  closedAt: string;
  won: boolean;
}

export interface LaterActivity {
  accountId: string;
  at: string;
  text: string;
}

/** A rating counts against the first deal of its account that closes within this long after it. */
export const CHURN_HORIZON_DAYS = 365;
/** A next step counts as followed through when a person logs matching work on the account within this long. */
export const FOLLOW_THROUGH_DAYS = 30;
/** Share of a step's content words that a later activity must contain. */
const COVERAGE = 0.6;
const DAY = 86_400_000;

/** Below this many graded judgments a live figure is too noisy to act on (as for lead scores). */
export const MIN_LIVE_JUDGMENTS = 30;

/** Each churn rating with the first outcome of its account within the horizon: right/n per value class. */
export function gradeChurnRatings(judgments: readonly LiveJudgment[], outcomes: readonly AccountOutcome[], horizonDays = CHURN_HORIZON_DAYS): FieldValidation {
  const byAccount = new Map<string, AccountOutcome[]>();
  for (const o of outcomes) byAccount.set(o.accountId, [...(byAccount.get(o.accountId) ?? []), o]);
  for (const list of byAccount.values()) list.sort((a, b) => a.closedAt.localeCompare(b.closedAt));
  const out: FieldValidation = { n: 0, right: 0, byValue: {} };
  // One grade per (account, outcome): the newest rating made before that deal closed.
  const newest = new Map<string, { j: LiveJudgment; o: AccountOutcome }>();
  for (const j of judgments) {
    if (j.field !== 'ai_churn_risk') continue;
    const t = Date.parse(j.at);
    const o = (byAccount.get(j.accountId) ?? []).find((x) => Date.parse(x.closedAt) > t && Date.parse(x.closedAt) - t <= horizonDays * DAY);
    if (!o) continue;
    const key = `${j.accountId}\u0000${o.closedAt}`;
    const prev = newest.get(key);
    if (!prev || prev.j.at < j.at) newest.set(key, { j, o });
  }
  for (const { j, o } of newest.values()) {
    const right = j.value === 'low' ? o.won : !o.won;
    const cls = (out.byValue![j.value] ??= { n: 0, right: 0 });
    out.n++;
    cls.n++;
    if (right) {
      out.right++;
      cls.right++;
    }
  }
  return out;
}

/** The steps of an `ai_next_steps` value (one a line, `| owner:` and `| due:` dropped). */
export function stepsOf(value: string): string[] {
  return value.split('\n').map((l) => l.split(' | ')[0]!.trim()).filter(Boolean);
}

/** Each listed next step: followed through when a later activity on the account covers most of its words. */
export function gradeFollowThrough(judgments: readonly LiveJudgment[], activities: readonly LaterActivity[], now: Date, windowDays = FOLLOW_THROUGH_DAYS): Tally {
  const byAccount = new Map<string, Array<{ t: number; words: Set<string> }>>();
  for (const a of activities) byAccount.set(a.accountId, [...(byAccount.get(a.accountId) ?? []), { t: Date.parse(a.at), words: new Set(contentWords(a.text)) }]);
  const out: Tally = { n: 0, right: 0 };
  for (const j of judgments) {
    if (j.field !== 'ai_next_steps') continue;
    const t = Date.parse(j.at);
    // A step whose window has not ended yet cannot be judged.
    if (t + windowDays * DAY > now.getTime()) continue;
    const later = (byAccount.get(j.accountId) ?? []).filter((a) => a.t > t && a.t - t <= windowDays * DAY);
    for (const step of stepsOf(j.value)) {
      const words = [...new Set(contentWords(step))];
      if (words.length < 2) continue;
      out.n++;
      if (later.some((a) => words.filter((w) => a.words.has(w)).length / words.length >= COVERAGE)) out.right++;
    }
  }
  return out;
}

export interface LiveJudgmentFigure {
  key: string;
  valueClass: string | null;
  n: number;
  right: number;
  rate: number | null;
  interval: [number, number] | null;
  /** The stored bound for this field and class (what confidences are capped at now). */
  bound: number;
  /** The live interval lies entirely below the stored bound: the bound promises more than the portal shows. */
  belowBound: boolean;
}

export interface LiveJudgmentReport {
  churn: LiveJudgmentFigure[];
  followThrough: { n: number; followed: number; rate: number | null; interval: [number, number] | null };
  /** Measure again (calibrate on labelled data, or store the live record): some class's bound is not holding. */
  recalibrate: boolean;
  advice: string[];
  /** The portal's validation record: the stored one with the churn classes lowered by the live outcomes. */
  record: ModelValidationRecord | null;
}

const interval = (t: Tally): [number, number] | null => (t.n ? [wilsonLower(t.right, t.n), 1 - wilsonLower(t.n - t.right, t.n)] : null);

export function liveJudgmentReport(input: {
  judgments: readonly LiveJudgment[];
  outcomes: readonly AccountOutcome[];
  activities: readonly LaterActivity[];
  stored: ModelValidationRecord | null;
  now: Date;
  portalId: string;
}): LiveJudgmentReport {
  const churn = gradeChurnRatings(input.judgments, input.outcomes);
  const follow = gradeFollowThrough(input.judgments, input.activities, input.now);
  const who = input.stored ? `${input.stored.provider}:${input.stored.model}` : 'the model';
  const figures: LiveJudgmentFigure[] = [];
  const advice: string[] = [];
  let recalibrate = false;
  for (const [cls, t] of [[null, churn], ...Object.entries(churn.byValue ?? {}).sort()] as Array<[string | null, Tally]>) {
    const bound = fieldValidation(input.stored, who, 'account_summary.ai_churn_risk', cls).confidenceBound;
    const iv = interval(t);
    const belowBound = iv !== null && t.n >= MIN_LIVE_JUDGMENTS && iv[1] < bound;
    figures.push({ key: 'account_summary.ai_churn_risk', valueClass: cls, n: t.n, right: t.right, rate: t.n ? t.right / t.n : null, interval: iv, bound, belowBound });
    if (belowBound) {
      recalibrate = true;
      advice.push(`Churn ratings${cls ? ` "${cls}"` : ''} were right ${t.right}/${t.n} (95% CI ${iv[0].toFixed(2)}–${iv[1].toFixed(2)}) against a stored bound of ${bound.toFixed(2)}: store this portal's record (--write) and measure again on labelled data.`);
    }
  }
  if (churn.n < MIN_LIVE_JUDGMENTS) advice.push(`Only ${churn.n} churn ratings have a deal that closed after them (need ${MIN_LIVE_JUDGMENTS} to judge drift).`);
  if (follow.n < MIN_LIVE_JUDGMENTS) advice.push(`Only ${follow.n} next steps are older than ${FOLLOW_THROUGH_DAYS} days (need ${MIN_LIVE_JUDGMENTS} to report follow-through).`);
  if (!recalibrate && churn.n >= MIN_LIVE_JUDGMENTS) advice.push('Live churn outcomes agree with the stored bounds: no need to recalibrate.');
  let record: ModelValidationRecord | null = null;
  if (input.stored && churn.n > 0) {
    const live = { 'account_summary.ai_churn_risk': churn, 'account_summary.ai_recommendation': structuredClone(churn) };
    const lowered = pessimistic(
      { 'account_summary.ai_churn_risk': input.stored.fields['account_summary.ai_churn_risk'] ?? { n: 0, right: 0 }, 'account_summary.ai_recommendation': input.stored.fields['account_summary.ai_recommendation'] ?? { n: 0, right: 0 } },
      live,
    );
    // A class the live data did not see keeps the stored tally (pessimistic() would call it unmeasured).
    for (const [key, f] of Object.entries(lowered)) {
      for (const [cls, t] of Object.entries(f.byValue ?? {})) {
        const liveClass = live[key as keyof typeof live].byValue?.[cls];
        if (!liveClass || liveClass.n === 0) f.byValue![cls] = input.stored.fields[key]?.byValue?.[cls] ?? t;
      }
    }
    const data = `portal ${input.portalId}: ${churn.n} churn ratings against the deals that closed after them (live outcomes)`;
    record = {
      ...input.stored,
      measuredAt: input.now.toISOString(),
      data: `the lower of: ${input.stored.data} and ${data}`,
      command: 'hubspot-ai validate judgments --write',
      fields: { ...input.stored.fields, ...lowered },
      measurements: [...(input.stored.measurements ?? []), { role: 'live', data, fields: live }],
    };
  }
  return {
    churn: figures,
    followThrough: { n: follow.n, followed: follow.right, rate: follow.n ? follow.right / follow.n : null, interval: interval(follow) },
    recalibrate,
    advice,
    record,
  };
}

/** The report in lines of at most 80 columns. */
export function liveJudgmentLines(r: LiveJudgmentReport): string[] {
  const f2 = (x: number | null) => (x === null ? '–' : x.toFixed(2));
  const lines = ['Churn ratings against the deals that closed after them', `${'rating'.padEnd(10)}${'right/n'.padStart(10)}  rate  (95% CI)     bound  holds`];
  for (const c of r.churn) {
    const holds = c.interval === null ? '–' : c.belowBound ? 'NO' : c.n < MIN_LIVE_JUDGMENTS ? 'n<30' : 'yes';
    lines.push(`${(c.valueClass ?? 'all').padEnd(10)}${`${c.right}/${c.n}`.padStart(10)}  ${f2(c.rate)}  ${c.interval ? `(${f2(c.interval[0])}–${f2(c.interval[1])})` : '           '}  ${c.bound.toFixed(2).padStart(5)}  ${holds}`);
  }
  const ft = r.followThrough;
  lines.push(...wrapWords(`Next steps followed through within ${FOLLOW_THROUGH_DAYS} days: ${ft.followed}/${ft.n}${ft.rate === null ? '' : ` (${f2(ft.rate)}, 95% CI ${f2(ft.interval![0])}–${f2(ft.interval![1])})`}`, { rest: '  ' }));
  for (const a of r.advice) lines.push(...wrapWords(a, { rest: '  ' }));
  return lines;
}
