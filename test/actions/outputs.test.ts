import { describe, expect, it } from 'vitest';
import type { Proposal } from '../../src/core/proposal.ts';
import { outputsOf } from '../../src/actions/run-action.ts';
import { decide, type DecisionState } from '../../src/writeback/decide.ts';
import { defaultPolicy } from '../../src/writeback/policy.ts';

/**
 * The workflow action's `ai_status` from what the write-back decided: the decisions here are the real decision
 * engine's, on the states HubSpot can hold.
 */
describe('workflow action outputs', () => {
  const state: DecisionState = { currentValue: null, setBy: 'ai', propertyType: 'number', breaker: { autoWritesLastMinute: 0, objectWritesLastHour: 0, objectRecordCount: null }, killSwitch: false, targetAccounts: ['42'] };
  const proposal = (value: string): Proposal => ({
    id: `p-${value}`, portalId: '1', accountId: '42', runId: 'action-cb-1', target: { objectType: 'companies', objectId: '42' }, kind: 'property', field: 'ai_lead_score',
    value, confidence: 0.9, evidence: ['c1'], agent: 'lead_score', promptVersion: 'v1', model: 'offline', createdAt: '2026-12-01T00:00:00.000Z',
  });
  const run = (p: Proposal, current: string) => {
    const d = decide(p, defaultPolicy(), { ...state, currentValue: current });
    return {
      agent: 'lead_score' as const, accountId: '42', runId: p.runId, dryRun: false,
      results: [{ proposalId: p.id, target: p.target, kind: p.kind, field: p.field, value: p.value, confidence: p.confidence, evidence: p.evidence, decision: d.outcome, reasons: d.reasons, status: 'rejected' as const }],
    };
  };

  it('says nothing_to_change when HubSpot already holds the score (in its own form)', () => {
    expect(outputsOf('score-lead', run(proposal('64.0'), '64')).ai_status).toBe('nothing_to_change');
  });

  it('says refused when the value is also invalid, as the write-back counts it (not "unchanged")', () => {
    // 150 is out of the score's range: refused, even though a person typed the same 150 into HubSpot.
    const r = run(proposal('150'), '150');
    expect(r.results[0]!.reasons.map((x) => x.split(':')[0])).toEqual(expect.arrayContaining(['invalid_value', 'no_change']));
    expect(outputsOf('score-lead', r).ai_status).toBe('refused');
  });
});
