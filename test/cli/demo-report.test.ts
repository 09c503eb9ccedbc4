import { describe, expect, it } from 'vitest';
import { decisionLabel } from '../../src/cli/demo.ts';
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
});
