import { describe, expect, it } from 'vitest';
import { OFFLINE_EXTRACTIVE_V1 } from '../../src/agents/validation/offline-extractive-v1.ts';
import { fieldValidation } from '../../src/agents/judgment-validation.ts';
import { gradeChurnRatings, gradeFollowThrough, liveJudgmentLines, liveJudgmentReport, stepsOf, type LiveJudgment } from '../../src/agents/validation/live-judgments.ts';
import { judgmentsFromAudit } from '../../src/writeback/scorer-report/judgment-report.ts';
import type { AuditEntry } from '../../src/writeback/audit-store.ts';

const day = (n: number) => new Date(Date.UTC(2026, 0, 1) + n * 86_400_000).toISOString();
const rating = (accountId: string, at: number, value: string): LiveJudgment => ({ accountId, at: day(at), field: 'ai_churn_risk', value, written: false, confidence: 0.4 });

describe('live drift of judgments', () => {
  it('grades each churn rating against the first deal of its account that closed after it (the newest rating before it)', () => {
    const t = gradeChurnRatings(
      [rating('a', 0, 'low'), rating('a', 5, 'high'), rating('b', 0, 'medium'), rating('c', 0, 'high'), rating('d', 10, 'high')],
      [
        { accountId: 'a', closedAt: day(20), won: false }, // a: the newest rating (high) claims risk; lost: right
        { accountId: 'b', closedAt: day(30), won: true }, // b: medium claims risk; won: wrong
        { accountId: 'c', closedAt: day(400), won: false }, // c: beyond a year: not graded
        { accountId: 'd', closedAt: day(5), won: false }, // d: closed before the rating: not graded
      ],
    );
    expect(t).toEqual({ n: 2, right: 1, byValue: { high: { n: 1, right: 1 }, medium: { n: 1, right: 0 } } });
  });

  it('counts a next step followed through when work logged within 30 days covers its words, and skips steps still in their window', () => {
    const steps: LiveJudgment = { accountId: 'a', at: day(0), field: 'ai_next_steps', value: 'Send the pricing proposal | owner: Ana\nSchedule security review | due: Friday\nok', written: true, confidence: 0.9 };
    expect(stepsOf(steps.value)).toEqual(['Send the pricing proposal', 'Schedule security review', 'ok']);
    const t = gradeFollowThrough([steps], [{ accountId: 'a', at: day(3), text: 'Sent the pricing proposal to Dana' }, { accountId: 'b', at: day(3), text: 'security review scheduled' }], new Date(day(60)));
    expect(t).toEqual({ n: 2, right: 1 });
    expect(gradeFollowThrough([steps], [], new Date(day(10)))).toEqual({ n: 0, right: 0 });
  });

  it('flags a class whose live interval lies below its stored bound, and the portal record can only lower bounds', () => {
    // 40 "medium" ratings right 8 times: far below the stored medium bound.
    const judgments = Array.from({ length: 40 }, (_, i) => rating(`m${i}`, 0, 'medium'));
    const outcomes = judgments.map((j, i) => ({ accountId: j.accountId, closedAt: day(50), won: i >= 8 }));
    const r = liveJudgmentReport({ judgments, outcomes, activities: [], stored: OFFLINE_EXTRACTIVE_V1, now: new Date(day(100)), portalId: '7' });
    expect(r.recalibrate).toBe(true);
    const medium = r.churn.find((c) => c.valueClass === 'medium')!;
    expect(medium).toMatchObject({ n: 40, right: 8, belowBound: true });
    const before = fieldValidation(OFFLINE_EXTRACTIVE_V1, 'x', 'account_summary.ai_churn_risk', 'medium').confidenceBound;
    const after = fieldValidation(r.record, 'x', 'account_summary.ai_churn_risk', 'medium').confidenceBound;
    expect(after).toBeLessThan(before);
    // A class the live data did not see keeps its stored bound; next steps are untouched.
    expect(fieldValidation(r.record, 'x', 'account_summary.ai_churn_risk', 'high').confidenceBound).toBe(fieldValidation(OFFLINE_EXTRACTIVE_V1, 'x', 'account_summary.ai_churn_risk', 'high').confidenceBound);
    expect(r.record!.fields['call_summary.ai_next_steps']).toEqual(OFFLINE_EXTRACTIVE_V1.fields['call_summary.ai_next_steps']);
    expect(r.record!.measurements!.at(-1)!.role).toBe('live');
    for (const line of liveJudgmentLines(r)) expect(line.length).toBeLessThanOrEqual(80);

    // Live data that looks better than the stored bound does not raise it.
    const good = liveJudgmentReport({ judgments, outcomes: outcomes.map((o) => ({ ...o, won: false })), activities: [], stored: OFFLINE_EXTRACTIVE_V1, now: new Date(day(100)), portalId: '7' });
    expect(good.recalibrate).toBe(false);
    expect(fieldValidation(good.record, 'x', 'account_summary.ai_churn_risk', 'medium').confidenceBound).toBe(before);
  });

  it('reads proposed churn ratings and next steps from the audit log, written when applied, dry runs left out', () => {
    const base = { id: 1, at: day(0), proposalId: 'p1', runId: 'r', traceId: null, portalId: '7', accountId: 'a', objectType: 'companies', objectId: 'a', kind: 'property', confidence: 0.4, decision: 'review', reasons: [], status: null, outcome: null, previousValue: null, newValue: null, actor: 'agent', dryRun: false, detail: null, otelTraceId: null } as const;
    const entries = [
      { ...base, event: 'decided', agent: 'account_summary', field: 'ai_churn_risk', proposedValue: 'high' },
      { ...base, id: 2, event: 'applied', agent: 'account_summary', field: 'ai_churn_risk', proposedValue: 'high' },
      { ...base, id: 3, proposalId: 'p2', event: 'decided', agent: 'call_summary', field: 'ai_next_steps', proposedValue: 'Send the deck' },
      { ...base, id: 4, proposalId: 'p3', event: 'decided', agent: 'account_summary', field: 'ai_churn_risk', proposedValue: 'low', dryRun: true },
      { ...base, id: 5, proposalId: 'p4', event: 'decided', agent: 'account_summary', field: 'ai_summary', proposedValue: 'text' },
    ] as unknown as AuditEntry[];
    expect(judgmentsFromAudit(entries)).toEqual([
      { accountId: 'a', at: day(0), field: 'ai_churn_risk', value: 'high', written: true, confidence: 0.4 },
      { accountId: 'a', at: day(0), field: 'ai_next_steps', value: 'Send the deck', written: false, confidence: 0.4 },
    ]);
  });
});
