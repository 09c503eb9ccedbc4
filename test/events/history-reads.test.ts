import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HubSpotGateway } from '../../src/hubspot/gateway.ts';
import { startE2eStack, type E2eStack } from '../e2e/e2e-stack.ts';

/**
 * Issue 17: one history read per event, at most. An account's whole history costs ~50 HubSpot requests; the event
 * path patches the indexed snapshot instead, and the generation an event starts reads that snapshot. Each kind of
 * event below goes through the product as `serve` + `worker` run it (signed webhook, batch job, ingest job, the
 * generations its routing asks for, their write-back and the echo of that write), and the gateway counts every
 * `accountHistories` call meanwhile.
 */
let s: E2eStack;
let gw: HubSpotGateway;
const reads: Record<string, number> = {};

beforeAll(async () => {
  s = await startE2eStack({ companies: 6 });
  gw = await s.container.gateway();
}, 180_000);

afterAll(async () => {
  console.log(`history reads per event, by kind (webhook → ingest → generation → write-back): ${JSON.stringify(reads)}`);
  await s?.close();
});

async function api<T = unknown>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await s.hubspot(method, path, body);
  if (!res.ok) throw new Error(`${method} ${path} → ${res.status} ${await res.text()}`);
  return (res.status === 204 ? null : await res.json()) as T;
}

/** Runs one person's action in HubSpot, waits until its webhooks and every job they caused are done, counts. */
async function historyReadsOf(kind: string, action: () => Promise<unknown>): Promise<number> {
  await s.settle();
  const before = gw.stats().historyReads;
  await action();
  await s.settle();
  const n = gw.stats().historyReads - before;
  reads[kind] = n;
  return n;
}

const company = (i: number) => s.sandbox.groundTruth().companies[i]!.id;
const associated = async (from: string, id: string, to: string) =>
  (await api<{ results: Array<{ toObjectId: string | number }> }>('GET', `/crm/v4/objects/${from}/${id}/associations/${to}`)).results.map((r) => String(r.toObjectId));
const assoc = (typeId: number, id: string) => ({ to: { id }, types: [{ associationCategory: 'HUBSPOT_DEFINED', associationTypeId: typeId }] });

describe('history reads per event', () => {
  it('engagements created or edited, with and without a generation: at most one each', async () => {
    expect(await historyReadsOf('note', () => s.simulate('note', { companyId: company(0) }))).toBeLessThanOrEqual(1);
    expect(await historyReadsOf('call (call summary)', () => s.simulate('call', { companyId: company(0) }))).toBeLessThanOrEqual(1);
    expect(await historyReadsOf('incoming e-mail (reply draft)', () => s.simulate('email', { companyId: company(1) }))).toBeLessThanOrEqual(1);
    const note = (await s.simulate('note', { companyId: company(1) })).ids.notes![0]!;
    expect(await historyReadsOf('note edited', () => s.simulate('human-edit', { objectType: 'notes', objectId: note, properties: { hs_note_body: 'Edited: the pilot moves to May.' } }))).toBeLessThanOrEqual(1);
  });

  it('records changed, created, associated, merged and deleted: at most one each', async () => {
    expect(await historyReadsOf('deal stage (account summary)', () => s.simulate('deal-stage', {}))).toBeLessThanOrEqual(1);
    expect(await historyReadsOf('new contact at a company (lead score)', () => s.simulate('contact', { companyId: company(2) }))).toBeLessThanOrEqual(1);
    expect(await historyReadsOf('new lead of its own (lead score)', () => s.simulate('contact', {}))).toBeLessThanOrEqual(1);
    expect(
      await historyReadsOf('new company (lead score, enrichment)', () =>
        api('POST', '/crm/v3/objects/companies', { properties: { name: 'Plovercrest Labs', domain: 'plovercrest.example', industry: 'COMPUTER_SOFTWARE' } }),
      ),
    ).toBeLessThanOrEqual(1);
    const [deal] = await associated('companies', company(2), 'deals');
    const note = (await s.simulate('note', { companyId: company(2) })).ids.notes![0]!;
    expect(
      await historyReadsOf('new contact with a deal and a note', () =>
        api('POST', '/crm/v3/objects/contacts', {
          properties: { firstname: 'Ada', lastname: 'Wren', email: 'ada.wren@example.org' },
          associations: [assoc(4, deal!), assoc(201, note)],
        }),
      ),
    ).toBeLessThanOrEqual(1);
    const [from, to] = [company(3), company(4)];
    const [contact] = await associated('companies', from, 'contacts');
    expect(
      await historyReadsOf('contact moved to another company', async () => {
        await api('POST', '/crm/v4/associations/contacts/companies/batch/archive', { inputs: [{ from: { id: contact }, to: [{ id: from }] }] });
        await api('PUT', `/crm/v4/objects/contacts/${contact}/associations/default/companies/${to}`);
      }),
    ).toBeLessThanOrEqual(1);
    const ticket = (await api<{ id: string }>('POST', '/crm/v3/objects/tickets', { properties: { subject: 'Login loop', hs_pipeline: '0', hs_pipeline_stage: '1' }, associations: [assoc(339, to)] })).id;
    const [toDeal] = await associated('companies', to, 'deals');
    expect(await historyReadsOf('deal–ticket association', () => api('PUT', `/crm/v4/objects/deals/${toDeal}/associations/default/tickets/${ticket}`))).toBeLessThanOrEqual(1);
    const [keep, merged] = await associated('companies', to, 'contacts');
    expect(await historyReadsOf('contacts merged', () => api('POST', '/crm/v3/objects/contacts/merge', { primaryObjectId: keep, objectIdToMerge: merged }))).toBeLessThanOrEqual(1);
    expect(await historyReadsOf('note deleted', () => api('DELETE', `/crm/v3/objects/notes/${note}`))).toBeLessThanOrEqual(1);
    expect(await historyReadsOf('deal deleted', () => api('DELETE', `/crm/v3/objects/deals/${deal}`))).toBeLessThanOrEqual(1);
  });
});
