import { describe, expect, it } from 'vitest';
import { chunkDocument } from '../../src/text/chunker.ts';
import { documentsFromHistory, isEmptyDocument } from '../../src/text/documents.ts';
import type { AccountHistory, Engagement, EngagementType } from '../../src/core/objects.ts';

const none = { companies: [], contacts: [], deals: [], tickets: [] };
const engagement = (type: EngagementType, id: string, properties: Record<string, string | null>, contacts: string[] = ['c1']): Engagement => ({
  type,
  object: { id, properties },
  associations: { ...none, companies: ['42'], contacts, deals: ['d1'] },
});

const history: AccountHistory = {
  portalId: 'p1',
  accountId: '42',
  company: {
    id: '42',
    properties: { name: 'Acme Corp', domain: 'acme.example', industry: 'COMPUTER_SOFTWARE', numberofemployees: '250', lifecyclestage: 'customer', createdate: '2024-01-15T09:00:00.000Z' },
  },
  contacts: [{ id: 'c1', properties: { firstname: 'Jane', lastname: 'Doe', jobtitle: 'VP Operations', email: 'jane@acme.example', createdate: '2024-01-16T09:00:00Z' } }],
  deals: [{ id: 'd1', properties: { dealname: 'Acme expansion', dealstage: 'contractsent', amount: '50000', closedate: '2025-07-01T00:00:00Z', createdate: '2025-02-01T00:00:00Z' } }],
  tickets: [{ id: 't1', properties: { subject: 'SSO login fails', content: '<p>Users cannot log in with <b>Okta</b>.</p>', hs_ticket_priority: 'HIGH', createdate: '2025-05-01T08:00:00Z' } }],
  engagements: [
    engagement('emails', 'e1', {
      hs_timestamp: '1748944800000',
      hs_email_subject: 'Re: Quote',
      hs_email_direction: 'INCOMING_EMAIL',
      hs_email_from_firstname: 'Jane',
      hs_email_from_lastname: 'Doe',
      hs_email_to_email: 'bob@vendor.example',
      hs_email_html: '<div>We accept.</div><div>On Mon, Jun 2, 2025 at 9:00 AM Bob Li &lt;bob@vendor.example&gt; wrote:<blockquote>Here is the quote.</blockquote></div>',
    }),
    engagement('calls', 'k1', {
      hs_timestamp: '2025-06-03T15:00:00Z',
      hs_call_title: 'Discovery',
      hs_call_direction: 'OUTBOUND',
      hs_call_body: '<p>[00:00:05] Jane Doe (Acme): We need SSO.</p><p>[00:00:12] Bob Li: Okta works out of the box.</p>',
    }),
    engagement('notes', 'n1', { hs_timestamp: '2025-06-04T10:00:00Z', hs_note_body: '<p>Champion is Jane.</p><p>Budget confirmed.</p>' }),
    engagement('notes', 'n2', { hs_timestamp: '2025-06-05T10:00:00Z', hs_note_body: '<p>&nbsp;</p>' }),
    engagement('meetings', 'm1', { hs_meeting_start_time: '2025-06-06T10:00:00Z', hs_meeting_title: 'QBR', hs_meeting_body: null, hs_internal_meeting_notes: 'Renewal risk: low.' }),
    engagement('tasks', 'x1', { hs_timestamp: '2025-06-07T10:00:00Z', hs_task_subject: 'Send contract', hs_task_body: 'Send the MSA to legal.', hs_task_status: 'NOT_STARTED' }, []),
  ],
};

describe('documentsFromHistory', () => {
  const docs = documentsFromHistory(history);
  const byId = new Map(docs.map((d) => [d.sourceId, d]));

  it('produces one record document per company, contact and deal with readable properties', () => {
    expect(byId.get('companies:42')).toMatchObject({ sourceType: 'record', accountName: 'Acme Corp', occurredAt: '2024-01-15T09:00:00.000Z' });
    expect(byId.get('companies:42')!.body).toBe('Company: Acme Corp\nDomain: acme.example\nIndustry: Computer software\nEmployees: 250\nLifecycle stage: Customer');
    expect(byId.get('contacts:c1')!.body).toContain('Job title: VP Operations');
    expect(byId.get('deals:d1')!.body).toBe('Deal: Acme expansion\nStage: Contract sent\nAmount: 50,000\nClose date: 2025-07-01');
  });

  it('normalizes engagements: de-quoted e-mail, transcript turns, HTML notes, meetings, tasks and tickets', () => {
    expect(byId.get('emails:e1')).toMatchObject({
      sourceType: 'email',
      direction: 'inbound',
      title: 'Re: Quote',
      body: 'We accept.',
      occurredAt: '2025-06-03T10:00:00.000Z',
      participants: ['Jane Doe', 'bob@vendor.example'],
      relatedIds: ['companies:42', 'contacts:c1', 'deals:d1'],
    });
    const call = byId.get('calls:k1')!;
    expect(call.turns).toEqual([
      { speaker: 'Jane Doe', affiliation: 'Acme', at: '00:00:05', text: 'We need SSO.' },
      { speaker: 'Bob Li', at: '00:00:12', text: 'Okta works out of the box.' },
    ]);
    expect(call).toMatchObject({ direction: 'outbound', participants: ['Jane Doe', 'Bob Li'] });
    expect(byId.get('notes:n1')!.body).toBe('Champion is Jane.\n\nBudget confirmed.');
    expect(byId.get('meetings:m1')!.body).toBe('Internal notes:\nRenewal risk: low.');
    expect(byId.get('tasks:x1')!.body).toBe('Status: NOT_STARTED\nSend the MSA to legal.');
    expect(byId.get('tickets:t1')).toMatchObject({ sourceType: 'ticket', title: 'SSO login fails', body: 'Priority: HIGH\nUsers cannot log in with Okta.' });
  });

  it('returns empty sources with an empty body, and they chunk to nothing', () => {
    const empty = byId.get('notes:n2')!;
    expect(isEmptyDocument(empty)).toBe(true);
    expect(chunkDocument(empty)).toEqual([]);
  });

  it('names a contact-only account after the contact and chunks every non-empty document', () => {
    const contactAccount = documentsFromHistory({ ...history, accountId: 'contact:c1', company: undefined });
    expect(contactAccount[0]!.accountName).toBe('Jane Doe');
    const chunks = docs.filter((d) => !isEmptyDocument(d)).flatMap((d) => chunkDocument(d));
    expect(chunks.length).toBe(docs.length - 1);
    expect(chunks.find((c) => c.sourceId === 'calls:k1')!.text).toBe(
      'Account: Acme Corp | Call (outbound) | 2025-06-03 | Participants: Jane Doe, Bob Li | 00:00:05–00:00:12\nTitle: Discovery\n[00:00:05] Jane Doe (Acme): We need SSO.\n[00:00:12] Bob Li: Okta works out of the box.',
    );
  });
});

describe("documentsFromHistory: shared engagements and the product's own output", () => {
  it("shows a shared engagement only with this account's related records", () => {
    const shared: AccountHistory = {
      ...history,
      engagements: [{ type: 'calls', object: { id: 'k9', properties: { hs_call_title: 'Joint call', hs_call_body: 'We agreed on the pilot.' } }, associations: { companies: ['42', '77'], contacts: ['c1', 'c-of-77'], deals: ['d1', 'd-of-77'], tickets: [] } }],
    };
    const call = documentsFromHistory(shared).find((d) => d.sourceId === 'calls:k9')!;
    expect(call.relatedIds).toEqual(['companies:42', 'contacts:c1', 'deals:d1']);
    expect(call.participants).toEqual(['Jane Doe']);
  });

  it('indexes AI notes and tasks apart, as ai_output, recognised by marker, flag or our app as creator', () => {
    const ai = (id: string, type: EngagementType, properties: Record<string, string | null>, productOutput?: boolean): Engagement => ({
      type, object: { id, properties: { hs_timestamp: '2025-06-08T10:00:00Z', ...properties } }, associations: { ...none, companies: ['42'] }, ...(productOutput === undefined ? {} : { productOutput }),
    });
    const docs = documentsFromHistory({
      ...history,
      engagements: [
        ai('n10', 'notes', { hs_note_body: '<p>🤖 AI-generated</p><p>Budget approved.</p><p>[hsai:abc]</p>' }),
        ai('n11', 'notes', { hs_note_body: 'Summary without marker', ai_generated: 'true' }),
        ai('x10', 'tasks', { hs_task_subject: 'Reply', hs_task_body: 'Draft', hs_object_source: 'INTEGRATION', hs_object_source_id: '999' }, true),
        ai('n12', 'notes', { hs_note_body: 'A person wrote this.' }),
      ],
    });
    const type = (id: string) => docs.find((d) => d.sourceId.endsWith(`:${id}`))!.sourceType;
    expect([type('n10'), type('n11'), type('x10'), type('n12')]).toEqual(['ai_output', 'ai_output', 'ai_output', 'note']);
    const chunk = chunkDocument(docs.find((d) => d.sourceId === 'notes:n10')!)[0]!;
    expect(chunk.text).toMatch(/^Account: Acme Corp \| Earlier AI output \|/);
  });
});
