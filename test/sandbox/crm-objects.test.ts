import type { Client } from '@hubspot/api-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SandboxHandle } from '../../src/sandbox/index.ts';
import { apiError, sandboxWithClient } from './helpers.ts';

/** CRM v3 objects, properties, owners, pipelines and account info through the real @hubspot/api-client. */
describe('sandbox CRM v3 through @hubspot/api-client', () => {
  let sb: SandboxHandle;
  let client: Client;
  beforeAll(async () => ({ sb, client } = await sandboxWithClient({ companies: 30, rateLimit: 0, searchRate: 1000 })));
  afterAll(async () => sb.close());

  it('lists with a cursor, gets one object, and rejects a limit over 100', async () => {
    const first = await client.crm.companies.basicApi.getPage(10, undefined, ['name', 'industry']);
    expect(first.results).toHaveLength(10);
    expect(first.results[0]!.properties).toMatchObject({ name: expect.any(String), industry: expect.any(String), hs_object_id: first.results[0]!.id });
    const second = await client.crm.companies.basicApi.getPage(100, first.paging!.next!.after);
    expect(second.results).toHaveLength(20);
    expect(second.paging).toBeUndefined();
    expect(new Set([...first.results, ...second.results].map((c) => c.id)).size).toBe(30);
    const one = await client.crm.companies.basicApi.getById(first.results[0]!.id, ['domain']);
    expect(one.properties.domain).toMatch(/\.example\.com$/);
    const tooMany = await apiError(client.crm.companies.basicApi.getPage(101));
    expect(tooMany.code).toBe(400);
    expect(tooMany.body).toMatchObject({ status: 'error', category: 'VALIDATION_ERROR', correlationId: expect.any(String) });
    expect((await apiError(client.crm.deals.basicApi.getById('999999999'))).body.category).toBe('OBJECT_NOT_FOUND');
  });

  it('batch reads with property history, reports missing ids, and rejects more than 100 inputs', async () => {
    const groundTruth = () => sb.groundTruth();
    const companyId = groundTruth().companies[0]!.id;
    const res = await client.crm.companies.batchApi.read({ inputs: [{ id: companyId }, { id: '999999999999' }], properties: ['name'], propertiesWithHistory: ['lifecyclestage'] });
    expect(res.results).toHaveLength(1);
    expect((res as unknown as { errors: Array<{ context: { ids: string[] } }> }).errors[0]!.context.ids).toEqual(['999999999999']);
    const history = res.results[0]!.propertiesWithHistory!.lifecyclestage!;
    expect(history.length).toBeGreaterThan(0);
    expect(history[0]).toMatchObject({ sourceType: 'CRM_UI', value: groundTruth().companies[0]!.lifecycle });
    const inputs = Array.from({ length: 101 }, (_, i) => ({ id: String(100_001 + i) }));
    const err = await apiError(client.crm.contacts.batchApi.read({ inputs, properties: [], propertiesWithHistory: [] }));
    expect(err.code).toBe(400);
    expect(err.body).toMatchObject({ status: 'error', category: 'VALIDATION_ERROR' });
  });

  it('creates, updates and archives one object, maintaining system properties and INTEGRATION history', async () => {
    const created = await client.crm.deals.basicApi.create({ properties: { dealname: 'Sandbox test deal', amount: '1000', dealstage: 'appointmentscheduled', pipeline: 'default' }, associations: [] });
    expect(created.properties.hs_object_id).toBe(created.id);
    expect(created.properties.createdate).toBeTruthy();
    const before = created.properties.hs_lastmodifieddate!;
    const updated = await client.crm.deals.basicApi.update(created.id, { properties: { amount: '2000' } });
    expect(updated.properties.amount).toBe('2000');
    expect(Date.parse(updated.properties.hs_lastmodifieddate!)).toBeGreaterThan(Date.parse(before));
    const withHistory = await client.crm.deals.basicApi.getById(created.id, undefined, ['amount']);
    expect(withHistory.propertiesWithHistory!.amount!.map((h) => [h.value, h.sourceType, h.sourceId])).toEqual([
      ['2000', 'INTEGRATION', sb.appId],
      ['1000', 'INTEGRATION', sb.appId],
    ]);
    await client.crm.deals.basicApi.archive(created.id);
    expect((await apiError(client.crm.deals.basicApi.getById(created.id))).code).toBe(404);
    const bad = await apiError(client.crm.deals.basicApi.update(updated.id, { properties: { no_such_property: 'x' } }));
    expect(bad.code).toBe(404);
  });

  it('rejects unknown and read-only properties with HubSpot validation errors', async () => {
    const id = sb.groundTruth().companies[1]!.id;
    const unknown = await apiError(client.crm.companies.basicApi.update(id, { properties: { no_such_property: 'x' } }));
    expect(unknown.code).toBe(400);
    expect(String(unknown.body.message)).toContain('PROPERTY_DOESNT_EXIST');
    const readOnly = await apiError(client.crm.companies.basicApi.update(id, { properties: { hs_object_id: '5' } }));
    expect(readOnly.code).toBe(400);
  });

  it('creates engagements with v3 associations', async () => {
    const companyId = sb.groundTruth().companies[2]!.id;
    const note = await client.crm.objects.notes.basicApi.create({
      properties: { hs_note_body: 'Created by a test', hs_timestamp: new Date().toISOString() },
      associations: [{ to: { id: companyId }, types: [{ associationCategory: 'HUBSPOT_DEFINED' as never, associationTypeId: 190 }] }],
    });
    const assoc = await client.crm.associations.v4.basicApi.getPage('notes', note.id, 'companies');
    expect(assoc.results.map((r) => String(r.toObjectId))).toEqual([companyId]);
    const wrongType = await apiError(client.crm.objects.notes.basicApi.create({
      properties: { hs_note_body: 'x' },
      associations: [{ to: { id: companyId }, types: [{ associationCategory: 'HUBSPOT_DEFINED' as never, associationTypeId: 202 }] }],
    }));
    expect(wrongType.code).toBe(400);
  });

  it('batch creates, updates and archives, and rejects more than 100 inputs', async () => {
    const created = await client.crm.contacts.batchApi.create({ inputs: [1, 2, 3].map((i) => ({ properties: { email: `batch${i}@test.example`, firstname: `B${i}` }, associations: [] })) });
    expect(created.results).toHaveLength(3);
    const ids = created.results.map((r) => r.id);
    const updated = await client.crm.contacts.batchApi.update({ inputs: ids.map((id) => ({ id, properties: { lastname: 'Batch' } })) });
    expect(updated.results.map((r) => r.properties.lastname)).toEqual(['Batch', 'Batch', 'Batch']);
    await client.crm.contacts.batchApi.archive({ inputs: ids.map((id) => ({ id })) });
    const read = await client.crm.contacts.batchApi.read({ inputs: ids.map((id) => ({ id })), properties: [], propertiesWithHistory: [] });
    expect(read.results).toHaveLength(0);
    const many = Array.from({ length: 101 }, () => ({ properties: { email: 'x@test.example' }, associations: [] }));
    expect((await apiError(client.crm.contacts.batchApi.create({ inputs: many }))).code).toBe(400);
  });

  it('searches with filter groups, sorts and offset paging, within HubSpot limits', async () => {
    const truth = sb.groundTruth();
    const won = truth.deals.filter((d) => d.stage === 'closedwon').length;
    const req = (after?: string) => ({
      filterGroups: [{ filters: [{ propertyName: 'dealstage', operator: 'EQ' as never, value: 'closedwon' }] }],
      sorts: ['-amount'],
      properties: ['dealname', 'amount'],
      limit: 2,
      ...(after ? { after } : {}),
    });
    const page1 = await client.crm.deals.searchApi.doSearch(req());
    expect(page1.total).toBe(won);
    const amounts = page1.results.map((r) => Number(r.properties.amount));
    expect(amounts[0]).toBeGreaterThanOrEqual(amounts[1]!);
    const page2 = await client.crm.deals.searchApi.doSearch(req(page1.paging!.next!.after));
    expect(page2.results[0]!.id).not.toBe(page1.results[0]!.id);
    const since = await client.crm.companies.searchApi.doSearch({
      filterGroups: [{ filters: [{ propertyName: 'hs_lastmodifieddate', operator: 'GTE' as never, value: String(Date.UTC(2025, 0, 1)) }] }, { filters: [{ propertyName: 'industry', operator: 'IN' as never, values: ['RETAIL'] }] }],
      limit: 200,
    });
    expect(since.total).toBeGreaterThan(0);
    expect((await apiError(client.crm.companies.searchApi.doSearch({ limit: 201 }))).code).toBe(400);
    const beyond = await apiError(client.crm.companies.searchApi.doSearch({ limit: 100, after: '9950' }));
    expect(beyond.code).toBe(400);
    expect(beyond.body.category).toBe('VALIDATION_ERROR');
  });

  it('creates property groups and properties that can then be written on records', async () => {
    await client.crm.properties.groupsApi.create('companies', { name: 'ai_test', label: 'AI test' });
    const groups = await client.crm.properties.groupsApi.getAll('companies');
    expect(groups.results.map((g) => g.name)).toContain('ai_test');
    await client.crm.properties.coreApi.create('companies', { name: 'ai_summary', label: 'AI summary', type: 'string' as never, fieldType: 'textarea' as never, groupName: 'ai_test' });
    const all = await client.crm.properties.coreApi.getAll('companies');
    expect(all.results.find((p) => p.name === 'ai_summary')).toMatchObject({ groupName: 'ai_test', type: 'string' });
    expect((await apiError(client.crm.properties.coreApi.create('companies', { name: 'ai_summary', label: 'again', type: 'string' as never, fieldType: 'text' as never, groupName: 'ai_test' }))).code).toBe(409);
    const id = sb.groundTruth().companies[3]!.id;
    const updated = await client.crm.companies.basicApi.update(id, { properties: { ai_summary: 'A short summary' } });
    expect(updated.properties.ai_summary).toBe('A short summary');
  });

  it('merges companies: associations move to the primary and the other is archived', async () => {
    const [a, b] = sb.groundTruth().companies.slice(4, 6).map((c) => c.id) as [string, string];
    const contactsOf = async (id: string) => (await client.crm.associations.v4.basicApi.getPage('companies', id, 'contacts')).results.map((r) => String(r.toObjectId));
    const expected = new Set([...(await contactsOf(a)), ...(await contactsOf(b))]);
    // The client's discovery layer has no merge API for companies; its generic request still goes through auth.
    const res = await client.apiRequest({ method: 'POST', path: '/crm/v3/objects/companies/merge', body: { primaryObjectId: a, objectIdToMerge: b } });
    expect(res.status).toBe(200);
    expect(new Set(await contactsOf(a))).toEqual(expected);
    expect((await apiError(client.crm.companies.basicApi.getById(b))).code).toBe(404);
  });

  it('answers a missing or wrong token with a 401 in HubSpot’s shape', async () => {
    const { Client: C } = await import('@hubspot/api-client');
    const wrong = await apiError(new C({ accessToken: 'not-the-token', basePath: sb.url }).crm.companies.basicApi.getPage(1));
    expect(wrong.code).toBe(401);
    expect(wrong.body).toMatchObject({ status: 'error', category: 'INVALID_AUTHENTICATION', correlationId: expect.any(String) });
    const missing = await fetch(`${sb.url}/crm/v3/objects/companies`);
    expect(missing.status).toBe(401);
    expect(await missing.json()).toMatchObject({ status: 'error', category: 'INVALID_AUTHENTICATION' });
  });

  it('serves owners, pipelines and account info', async () => {
    const owners = await client.crm.owners.ownersApi.getPage(undefined, undefined, 3);
    expect(owners.results).toHaveLength(3);
    expect(owners.paging?.next?.after).toBeTruthy();
    const deals = await client.crm.pipelines.pipelinesApi.getAll('deals');
    const stages = deals.results[0]!.stages;
    expect(stages.map((s) => s.id)).toEqual(expect.arrayContaining(['appointmentscheduled', 'closedwon', 'closedlost']));
    expect(stages.find((s) => s.id === 'closedwon')?.metadata).toMatchObject({ probability: '1.0' });
    expect((await client.crm.pipelines.pipelinesApi.getAll('tickets')).results[0]?.stages).toHaveLength(4);
    const info = await client.apiRequest({ method: 'GET', path: '/account-info/v3/details' });
    expect(await info.json()).toMatchObject({ portalId: Number(sb.portalId) });
  });
});
