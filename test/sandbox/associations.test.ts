import type { Client } from '@hubspot/api-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SandboxHandle } from '../../src/sandbox/index.ts';
import { apiError, sandboxWithClient } from './helpers.ts';

describe('sandbox associations v4 through @hubspot/api-client', () => {
  let sb: SandboxHandle;
  let client: Client;
  beforeAll(async () => ({ sb, client } = await sandboxWithClient({ companies: 30, rateLimit: 0 })));
  afterAll(async () => sb.close());

  it('batch reads with per-input paging for a whale account', async () => {
    const whale = sb.groundTruth().whaleAccountIds[0]!;
    const seen = new Set<string>();
    let after: string | undefined;
    let pages = 0;
    do {
      const res = await client.crm.associations.v4.batchApi.getPage('companies', 'emails', { inputs: [{ id: whale, ...(after ? { after } : {}) }] });
      const r = res.results[0]!;
      for (const t of r.to) seen.add(String(t.toObjectId));
      expect(r.to[0]!.associationTypes[0]).toMatchObject({ category: 'HUBSPOT_DEFINED', typeId: 185 });
      after = r.paging?.next?.after;
      pages++;
    } while (after);
    expect(pages).toBeGreaterThan(1);
    expect(seen.size).toBeGreaterThan(500);
    const emails = await client.crm.objects.emails.searchApi.doSearch({ filterGroups: [{ filters: [{ propertyName: 'associations.company', operator: 'EQ' as never, value: whale }] }], limit: 1 });
    expect(emails.total).toBe(seen.size);
  });

  it('reads many inputs at once, reports inputs without associations, and rejects more than 1,000', async () => {
    const companies = sb.groundTruth().companies.map((c) => ({ id: c.id }));
    const res = await client.crm.associations.v4.batchApi.getPage('companies', 'contacts', { inputs: [...companies, { id: '999999999999' }] });
    expect(res.results).toHaveLength(companies.length);
    expect((res as unknown as { errors: unknown[] }).errors).toHaveLength(1);
    const inputs = Array.from({ length: 1001 }, (_, i) => ({ id: String(100_001 + i) }));
    const err = await apiError(client.crm.associations.v4.batchApi.getPage('companies', 'contacts', { inputs }));
    expect(err.code).toBe(400);
    expect(err.body).toMatchObject({ status: 'error', category: 'VALIDATION_ERROR' });
  });

  it('creates and archives associations in batches and by default type', async () => {
    const [c1, c2] = sb.groundTruth().companies.slice(0, 2).map((c) => c.id) as [string, string];
    const contact = await client.crm.contacts.basicApi.create({ properties: { email: 'assoc@test.example' }, associations: [] });
    await client.crm.associations.v4.batchApi.create('contacts', 'companies', {
      inputs: [{ _from: { id: contact.id }, to: { id: c1 }, types: [{ associationCategory: 'HUBSPOT_DEFINED' as never, associationTypeId: 279 }] }],
    });
    await client.crm.associations.v4.basicApi.createDefault('contacts', contact.id, 'companies', c2);
    const read = await client.crm.associations.v4.batchApi.getPage('contacts', 'companies', { inputs: [{ id: contact.id }] });
    expect(read.results[0]!.to.map((t) => String(t.toObjectId)).sort()).toEqual([c1, c2].sort());
    // The first company is the primary one, reported with HubSpot's labelled type 1.
    expect(read.results[0]!.to.find((t) => String(t.toObjectId) === c1)!.associationTypes.map((a) => a.typeId)).toEqual([279, 1]);
    await client.crm.associations.v4.batchApi.archive('contacts', 'companies', { inputs: [{ _from: { id: contact.id }, to: [{ id: c1 }] }] });
    const after = await client.crm.associations.v4.basicApi.getPage('contacts', contact.id, 'companies');
    expect(after.results.map((r) => String(r.toObjectId))).toEqual([c2]);
    const invalid = await apiError(client.crm.associations.v4.batchApi.create('contacts', 'companies', {
      inputs: [{ _from: { id: contact.id }, to: { id: c1 }, types: [{ associationCategory: 'HUBSPOT_DEFINED' as never, associationTypeId: 190 }] }],
    }));
    expect(invalid.code).toBe(400);
  });
});
