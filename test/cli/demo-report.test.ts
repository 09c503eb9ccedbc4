import { describe, expect, it } from 'vitest';
import { decisionLabel, isBookkeeping, settleLine, whereToLook } from '../../src/cli/demo.ts';
import { isUnchanged } from '../../src/writeback/decide.ts';

/** The demo's report names what became of each proposal; a write that would change nothing is not a refusal. */
describe('demo report labels', () => {
  const rejected = { event: 'rejected', status: 'rejected' } as const;

  it('shows a no-op write (no_change) as UNCHANGED, and a refusal as REJECTED', () => {
    const noChange = ['no_change: companies/1 already has ai_model = "offline-extractive-v1"', 'within_policy: companies.ai_model at 1.00'];
    expect(decisionLabel('reject', noChange, rejected)).toBe('UNCHANGED');
    expect(decisionLabel('reject', ['not_in_policy: companies.x is not in the write-back policy'], rejected)).toBe('REJECTED');
    // Refused for another reason too: a refusal, whatever the value.
    expect(decisionLabel('reject', [...noChange, 'target_outside_account: companies/1 belongs to account 2'], rejected)).toBe('REJECTED');
    expect(decisionLabel('apply', ['within_policy: ok'], { event: 'applied', status: 'applied' } as const)).toBe('APPLIED');
    expect(decisionLabel('review', ['below_threshold: 0.3 < 0.6'], { event: 'queued', status: 'pending_review' } as const)).toBe('WAITING FOR REVIEW');
  });

  it('isUnchanged holds for rejections only', () => {
    expect(isUnchanged('review', ['no_change: x'])).toBe(false);
    expect(isUnchanged('reject', ['no_change: x'])).toBe(true);
    expect(isUnchanged('reject', ['invalid_value: x', 'no_change: x'])).toBe(false);
  });

  it('points at what the demo serves, through the API, within 80 columns but for the copyable commands; after --exit at how to keep it up', () => {
    const o = { apiUrl: 'http://127.0.0.1:3000', reviewerToken: 'demo-reviewer-0123456789abcdef', adminToken: 'demo-admin-0123456789abcdef', accountId: '17', since: '2026-12-01T06:18:21.668Z' };
    const lines = whereToLook({ ...o, serving: true });
    expect(lines.filter((l) => !l.trimStart().startsWith('curl ') && l.length > 80)).toEqual([]);
    expect(lines).toContain('  Review page       http://127.0.0.1:3000/review');
    expect(lines.join('\n')).toContain('sign in with the token demo-reviewer-0123456789abcdef');
    // The audit log of the run comes from the API: the CLI's audit command would need the demo's own sandbox portal.
    expect(lines).toContain("    curl -H 'Authorization: Bearer demo-admin-0123456789abcdef' 'http://127.0.0.1:3000/v1/audit?since=2026-12-01T06%3A18%3A21.668Z'");
    expect(lines.join('\n')).not.toContain('npx hubspot-ai audit');
    const after = whereToLook({ ...o, serving: false }).join('\n');
    expect(after).not.toContain('http://');
    expect(after).toContain('without --exit');
  });

  it("leaves each run's ai_last_run and ai_model stamps out of the listed results, and nothing else", () => {
    expect(['ai_last_run', 'ai_model'].filter(isBookkeeping)).toEqual(['ai_last_run', 'ai_model']);
    expect(['ai_summary', 'ai_lead_score', 'ai_next_steps', 'hs_lead_status', 'industry', null, undefined].some(isBookkeeping)).toBe(false);
  });

  it('says while it waits how many jobs are done and how many are left', () => {
    expect(settleLine(1, 3)).toBe('  1 job done, 3 waiting or running');
    expect(settleLine(12, 0)).toBe('  12 jobs done, none waiting or running');
  });
});
