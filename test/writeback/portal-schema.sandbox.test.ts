import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkDefinedValue } from '../../src/writeback/property-schema.ts';
import { accountOf, firstIds, proposal, readProps, startHarness, trace, type Harness } from './harness.ts';

/**
 * A portal refuses values its properties cannot hold (an option it does not have, a word for a number). The
 * write-back checks proposals against the portal's own definitions before anyone is asked to approve them, so an
 * impossible value is rejected with a reason instead of failing a batch write after approval.
 */
describe('write-back against the portal\'s property definitions', () => {
  let h: Harness;
  let contacts: string[];

  beforeAll(async () => {
    h = await startHarness();
    contacts = await firstIds(h, 'contacts', 3);
    // This portal edited its lead statuses: no UNQUALIFIED.
    const res = await fetch(`${h.sandbox.url}/crm/v3/properties/contacts/hs_lead_status`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${h.sandbox.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ options: ['NEW', 'OPEN', 'IN_PROGRESS', 'CONNECTED', 'BAD_TIMING'].map((value) => ({ label: value, value })) }),
    });
    expect(res.status).toBe(200);
  }, 120_000);
  afterAll(async () => h?.close());

  it('rejects an option the portal does not have, and queues one it has', async () => {
    const contact = contacts[0]!;
    const accountId = await accountOf(h, 'contacts', contact);
    const seen = (await readProps(h, 'contacts', contact, ['hs_lead_status'])).hs_lead_status;
    const [missing, present] = await h.writeback.submit(
      [
        proposal({ accountId, runId: 'run-schema-1', agent: 'lead_score', target: { objectType: 'contacts', objectId: contact }, field: 'hs_lead_status', value: 'UNQUALIFIED', observedValue: seen }),
        proposal({ accountId, runId: 'run-schema-1', agent: 'lead_score', target: { objectType: 'contacts', objectId: contact }, field: 'lifecyclestage', value: 'opportunity', observedValue: null, id: 'run-schema-1:lifecycle' }),
      ],
      trace('run-schema-1', 'lead_score'),
    );
    expect(missing!.decision.outcome).toBe('reject');
    expect(missing!.decision.reasons.join(' ')).toMatch(/invalid_value: "UNQUALIFIED" is not one of this portal's options for hs_lead_status \(NEW, OPEN, IN_PROGRESS, CONNECTED, BAD_TIMING\)/);
    expect(present!.status).toBe('pending_review');
    expect((await h.writeback.listReviews({ objectId: contact })).map((r) => r.proposal.field)).toEqual(['lifecyclestage']);
  });

  it('refuses an approval whose edited value the portal cannot hold, and writes the one it can', async () => {
    const contact = contacts[1]!;
    const accountId = await accountOf(h, 'contacts', contact);
    const [queued] = await h.writeback.submit(
      [proposal({ accountId, runId: 'run-schema-2', agent: 'lead_score', target: { objectType: 'contacts', objectId: contact }, field: 'hs_lead_status', value: 'OPEN', observedValue: (await readProps(h, 'contacts', contact, ['hs_lead_status'])).hs_lead_status })],
      trace('run-schema-2', 'lead_score'),
    );
    expect(queued!.status).toBe('pending_review');
    const reviewId = queued!.detail!;
    await expect(h.writeback.approve(reviewId, { actor: 'rita', editedValue: 'UNQUALIFIED' })).rejects.toMatchObject({ code: 'INVALID_EDIT' });
    const ok = await h.writeback.approve(reviewId, { actor: 'rita', editedValue: 'CONNECTED' });
    expect(ok.status).toBe('approved');
    expect((await readProps(h, 'contacts', contact, ['hs_lead_status'])).hs_lead_status).toBe('CONNECTED');
  });

  it('checks numbers, booleans, datetimes and options the way HubSpot does', () => {
    const def = (type: string, options: string[] = [], fieldType = 'text') => ({ name: 'p', type, fieldType, options: options.map((value) => ({ label: value, value })) });
    expect(checkDefinedValue(def('number'), 'forty-two')).toMatch(/not a number/);
    expect(checkDefinedValue(def('number'), '-12.5e3')).toBeUndefined();
    expect(checkDefinedValue(def('bool'), 'yes')).toMatch(/not true or false/);
    expect(checkDefinedValue(def('datetime'), 'next tuesday')).toMatch(/not an ISO 8601/);
    expect(checkDefinedValue(def('datetime'), '2026-05-17T09:30:00Z')).toBeUndefined();
    expect(checkDefinedValue(def('datetime'), '1779010200000')).toBeUndefined();
    expect(checkDefinedValue(def('enumeration', ['a', 'b'], 'checkbox'), 'a;b')).toBeUndefined();
    expect(checkDefinedValue(def('enumeration', ['a', 'b'], 'checkbox'), 'a;c')).toMatch(/"c" is not one of/);
    expect(checkDefinedValue(def('enumeration', []), 'anything')).toBeUndefined(); // options kept elsewhere (pipelines)
    expect(checkDefinedValue(def('string'), ' any text ')).toBeUndefined();
    expect(checkDefinedValue(def('enumeration', ['a']), '')).toBeUndefined(); // clearing
  });
});
