import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { VectorStore } from '../../src/retrieval/vector-store.ts';
import { companyWithOpenDeal, startE2eStack, type E2eStack } from './e2e-stack.ts';

/**
 * Issue 4, acceptance 1: signed batches from the sandbox's webhook target are verified, recorded, coalesced and
 * turned into ingest jobs; the index follows the sandbox's simulated activity. Everything runs for real: the
 * sandbox sends signed HTTP batches to the listening app, the workers run the queue, the index is the embedded
 * store. The steps build on each other (one portal), so they run in order.
 */
describe('webhooks → queue → index, end to end', () => {
  let s: E2eStack;
  let store: VectorStore;
  let companyId: string;
  const ids: { note?: string; email?: string; call?: string } = {};
  // Distinctive single tokens, so BM25 finds exactly the chunks that carry them.
  const FIRST = 'kestrelvane';
  const EDITED = 'marmotglade';
  const EMAIL = 'quillfeatherton';

  beforeAll(async () => {
    s = await startE2eStack({ companies: 15 });
    store = await s.container.store();
    const truth = s.sandbox.groundTruth();
    // Not the whale: re-indexing its ~1,500 chunks per event would only make the test slow.
    companyId = companyWithOpenDeal(truth, truth.whaleAccountIds);
  }, 120_000);
  afterAll(async () => s?.close());

  const sourcesOf = async (accountId: string) => new Set((await store.listChunkKeys(s.portalId, accountId)).map((k) => k.sourceId));
  const keywordSources = async (q: string) => (await store.searchKeyword(s.portalId, companyId, q, 10)).map((h) => h.chunk.sourceId);

  it('refuses a delivery whose signature does not verify, and records nothing for it', async () => {
    const before = (await s.jobStats())['webhook.batch'];
    const body = JSON.stringify([{ eventId: 1, subscriptionId: 1, portalId: Number(s.portalId), appId: Number(s.sandbox.appId), occurredAt: Date.now(), subscriptionType: 'company.creation', attemptNumber: 0, objectId: 1 }]);
    const timestamp = String(Date.now());
    const forged = crypto.createHmac('sha256', 'not-the-client-secret').update(`POST${s.url}/webhooks/hubspot${body}${timestamp}`).digest('base64');
    const res = await fetch(`${s.url}/webhooks/hubspot`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-hubspot-signature-v3': forged, 'x-hubspot-request-timestamp': timestamp },
      body,
    });
    expect(res.status).toBe(401);
    const after = (await s.jobStats())['webhook.batch'];
    expect(after.waiting + after.delayed + after.active + after.completed + after.dead).toBe(before.waiting + before.delayed + before.active + before.completed + before.dead);
  });

  it('indexes a new note, an incoming e-mail and a call that people add in HubSpot', async () => {
    const before = await s.jobStats();
    const note = await s.simulate('note', { companyId, text: `Procurement asked about the ${FIRST} rollout plan and the data residency terms.` });
    const email = await s.simulate('email', { companyId, text: `Hello, could you confirm the ${EMAIL} integration timeline before our board meeting?` });
    const call = await s.simulate('call', { companyId });
    ids.note = note.ids.notes?.[0];
    ids.email = email.ids.emails?.[0];
    ids.call = call.ids.calls?.[0];
    expect(ids.note && ids.email && ids.call).toBeTruthy();
    await s.settle();

    const after = await s.jobStats();
    // The sandbox's signed batches were verified and journaled (a refused one would never have become a job).
    expect(after['webhook.batch'].completed).toBeGreaterThan(before['webhook.batch'].completed);
    expect(after['ingest.record'].completed).toBeGreaterThan(before['ingest.record'].completed);
    expect(after.total.dead).toBe(0);

    const sources = await sourcesOf(companyId);
    expect(sources).toContain(`notes:${ids.note}`);
    expect(sources).toContain(`emails:${ids.email}`);
    expect(sources).toContain(`calls:${ids.call}`);
    // (AI notes written for the call may quote the history too, so "contains", not "equals".)
    expect(await keywordSources(FIRST)).toContain(`notes:${ids.note}`);
    expect(await keywordSources(EMAIL)).toContain(`emails:${ids.email}`);
    const [hit] = await store.searchKeyword(s.portalId, companyId, FIRST, 1);
    expect(hit?.chunk.text).toContain(`${FIRST} rollout plan`);
  });

  it('coalesces a burst of changes to one note into one ingest job, and the edited text replaces the old', async () => {
    await s.settle();
    const before = await s.jobStats();
    // One person's edit of three properties: three propertyChange events for the same note, in one burst.
    const edited = await fetch(`${s.sandbox.url}/_sandbox/simulate/human-edit`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        objectType: 'notes',
        objectId: ids.note,
        properties: { hs_note_body: `Correction: procurement now wants the ${EDITED} pilot first.`, hs_timestamp: new Date().toISOString(), hs_attachment_ids: '9001' },
      }),
    });
    expect(edited.status).toBe(201);
    await s.settle();
    const after = await s.jobStats();
    const delta = (t: 'webhook.batch' | 'ingest.record') => after[t].completed - before[t].completed;
    expect(delta('webhook.batch')).toBeGreaterThanOrEqual(1);
    expect(delta('ingest.record')).toBe(1);
    for (const t of ['generate.call_summary', 'generate.lead_score', 'generate.reply_draft', 'generate.account_summary', 'generate.enrichment'] as const) {
      expect(after[t].completed, t).toBe(before[t].completed);
    }

    expect(await keywordSources(EDITED)).toContain(`notes:${ids.note}`);
    expect(await keywordSources(FIRST)).not.toContain(`notes:${ids.note}`);
    const noteChunks = (await store.listChunkKeys(s.portalId, companyId)).filter((k) => k.sourceId === `notes:${ids.note}`);
    const texts = (await store.getChunks(s.portalId, noteChunks.map((k) => k.id))).map((c) => c.text).join('\n');
    expect(texts).toContain(EDITED);
    expect(texts).not.toContain(FIRST);
  });

  it('removes an archived note from the index', async () => {
    const res = await s.hubspot('DELETE', `/crm/v3/objects/notes/${ids.note}`);
    expect(res.status).toBe(204);
    await s.settle();
    // Gone from every account of the portal, not just the one we looked at.
    for (const accountId of await store.listAccounts(s.portalId)) expect(await sourcesOf(accountId), accountId).not.toContain(`notes:${ids.note}`);
    expect((await store.searchKeywordAll(s.portalId, EDITED, 10)).map((h) => h.chunk.sourceId)).not.toContain(`notes:${ids.note}`);
    // The rest of the account's new history stays.
    expect(await sourcesOf(companyId)).toContain(`emails:${ids.email}`);
    expect((await s.jobStats()).total.dead).toBe(0);
  });
});
