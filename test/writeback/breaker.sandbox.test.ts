import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parsePolicy } from '../../src/writeback/policy.ts';
import { firstIds, proposal, startHarness, trace, type Harness, accountOf } from './harness.ts';

/** The write-rate breaker counts real writes in the write log; prompts can be stored redacted. */
describe('write-rate breaker and prompt redaction against the sandbox', () => {
  let h: Harness;
  let companies: string[];

  beforeAll(async () => {
    h = await startHarness({
      writeback: {
        policy: parsePolicy({ breaker: { maxAutoWritesPerMinute: 3, maxObjectFractionPerHour: 0.25, fractionMinRecords: 1 } }),
        redactPrompts: true,
      },
    });
    companies = await firstIds(h, 'companies', 6);
  });
  afterAll(async () => h?.close());

  it('sends automatic writes to review once a type has had its share of records written this hour', async () => {
    // 12 companies, limit 25 %: writes one to three reach at most 3/12; a fourth record would make 4/12.
    const results = await h.writeback.submit(
      companies.slice(0, 4).map((id) => proposal({ runId: 'run-fraction', target: { objectType: 'companies', objectId: id }, field: 'ai_fit_segment', value: 'A' })),
      trace('run-fraction'),
    );
    expect(results.map((r) => r.status)).toEqual(['applied', 'applied', 'applied', 'pending_review']);
    expect(results[3]!.decision.reasons.join(' ')).toMatch(/breaker_fraction/);
  });

  it('sends automatic writes to review past the per-minute limit', async () => {
    const contact = (await firstIds(h, 'contacts', 1))[0]!;
    const [r] = await h.writeback.submit([proposal({ accountId: await accountOf(h, 'contacts', contact), runId: 'run-rate', target: { objectType: 'contacts', objectId: contact }, field: 'ai_fit_segment', value: 'B' })], trace('run-rate'));
    expect(r!.status).toBe('pending_review');
    expect(r!.decision.reasons.join(' ')).toMatch(/breaker_rate: 3 automatic writes in the last minute/);
  });

  it('stores prompts with e-mail addresses and phone numbers masked', async () => {
    const [entry] = await h.writeback.audit({ runId: 'run-rate', event: 'decided', withTrace: true });
    expect(entry!.trace!.prompt).toContain('Contact: [email], [phone].');
    expect(entry!.trace!.prompt).not.toContain('jane.doe@example.com');
  });
});
