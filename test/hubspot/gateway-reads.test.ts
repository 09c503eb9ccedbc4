import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENGAGEMENT_TYPES, type AccountHistory } from '../../src/core/objects.ts';
import { createHubSpotGateway } from '../../src/hubspot/create-gateway.ts';
import { accountsOfRecords } from '../../src/hubspot/account-resolver.ts';
import type { HubSpotGateway } from '../../src/hubspot/gateway.ts';
import { startSandbox, type GroundTruth } from '../../src/sandbox/index.ts';
import { HistoryOracle } from './history-oracle.ts';

type Sandbox = Awaited<ReturnType<typeof startSandbox>>;

const SEED = 7;
let sb: Sandbox;
let oracleSb: Sandbox;
let oracle: HistoryOracle;
let gw: HubSpotGateway;
let truth: GroundTruth;

beforeAll(async () => {
  sb = await startSandbox({ port: 0, seed: SEED, companies: 30, rateLimit: 190, searchRate: 5, faultRate: 0, latencyMs: 0 });
  // Same seed, so the same portal; no limit, so the per-record oracle runs fast and leaves `sb` counters alone.
  oracleSb = await startSandbox({ port: 0, seed: SEED, companies: 30, rateLimit: 0, searchRate: 0 });
  oracle = new HistoryOracle(oracleSb.url, oracleSb.token);
  gw = createHubSpotGateway({ baseUrl: sb.url, accessToken: sb.token, rateLimitPer10s: 190, searchPerSecond: 5, timeoutMs: 10_000, maxRetries: 3 });
  truth = sb.groundTruth();
});

afterAll(async () => {
  await gw?.close();
  await sb?.close();
  await oracleSb?.close();
});

function kinds(h: AccountHistory): Record<string, string[]> {
  const out: Record<string, string[]> = {
    contacts: h.contacts.map((c) => c.id).sort(),
    deals: h.deals.map((d) => d.id).sort(),
    tickets: h.tickets.map((t) => t.id).sort(),
  };
  for (const e of ENGAGEMENT_TYPES) out[e] = h.engagements.filter((x) => x.type === e).map((x) => x.object.id).sort();
  return out;
}

describe('HubSpot gateway reads against the sandbox portal', () => {
  it('reads the portal id from account info', async () => {
    expect(await gw.portalId()).toBe(sb.portalId);
  });

  it('pages through every company', async () => {
    const ids: string[] = [];
    let after: string | undefined;
    do {
      const page = await gw.listObjects('companies', { after, limit: 7, properties: ['name'] });
      ids.push(...page.results.map((c) => c.id));
      after = page.after;
    } while (after);
    expect(new Set(ids).size).toBe(truth.counts.companies);
    expect(ids.sort()).toEqual(truth.companies.map((c) => c.id).sort());
  });

  it('batch-reads records, leaving out ids that do not exist', async () => {
    const ids = truth.companies.map((c) => c.id);
    const read = await gw.batchRead('companies', [...ids, '999999999'], { properties: ['name', 'industry'] });
    expect(read.map((c) => c.id).sort()).toEqual([...ids].sort());
    const byId = new Map(read.map((c) => [c.id, c]));
    for (const c of truth.companies) expect(byId.get(c.id)?.properties.name).toBe(c.name);
  });

  it('reads property history in batches of 50', async () => {
    const [first] = await gw.batchRead('deals', truth.deals.slice(0, 3).map((d) => d.id), { properties: ['dealstage'], propertiesWithHistory: ['dealstage'] });
    expect(first?.propertiesWithHistory?.dealstage?.length).toBeGreaterThan(0);
    expect(first?.propertiesWithHistory?.dealstage?.at(-1)?.value ?? first?.properties.dealstage).toBeDefined();
  });

  it('assembles account histories that match a record-by-record reading, for companies and a company-less contact', async () => {
    const accounts = [
      truth.whaleAccountIds[0]!,
      ...truth.companies.filter((c) => !truth.whaleAccountIds.includes(c.id)).slice(0, 3).map((c) => c.id),
      ...truth.contactsWithoutCompany.slice(0, 2).map((id) => `contact:${id}`),
    ];
    const histories = await gw.accountHistories(accounts);
    expect(histories.map((h) => h.accountId)).toEqual(accounts);
    for (const h of histories) {
      expect(h.portalId).toBe(sb.portalId);
      expect(kinds(h)).toEqual(await oracle.history(h.accountId));
      // De-duplicated: an engagement reached through the company and a contact appears once.
      const keys = h.engagements.map((e) => `${e.type}:${e.object.id}`);
      expect(new Set(keys).size).toBe(keys.length);
    }

    const [company, , , , solo] = histories;
    const truthCompany = truth.companies.find((c) => c.id === company!.accountId)!;
    expect(company!.company?.properties.name).toBe(truthCompany.name);
    for (const d of truth.deals.filter((x) => x.companyId === truthCompany.id)) expect(company!.deals.map((x) => x.id)).toContain(d.id);
    for (const c of truth.calls.filter((x) => x.companyId === truthCompany.id)) {
      expect(company!.engagements.some((e) => e.type === 'calls' && e.object.id === c.id)).toBe(true);
    }
    expect(solo!.company).toBeUndefined();
    expect(solo!.contacts.map((c) => c.id)).toEqual([solo!.accountId.slice('contact:'.length)]);
    expect(solo!.engagements.length).toBeGreaterThan(0);
  });

  it('gives every engagement its full association set and the text properties the ingest needs', async () => {
    const [h] = await gw.accountHistories([truth.companies[1]!.id]);
    const sample = h!.engagements.filter((_, i) => i % 5 === 0).slice(0, 12);
    expect(sample.length).toBeGreaterThan(0);
    for (const e of sample) {
      expect(e.associations).toEqual({
        companies: (await oracle.associated(e.type, e.object.id, 'companies')).sort(),
        contacts: (await oracle.associated(e.type, e.object.id, 'contacts')).sort(),
        deals: (await oracle.associated(e.type, e.object.id, 'deals')).sort(),
        tickets: (await oracle.associated(e.type, e.object.id, 'tickets')).sort(),
      });
      expect(e.object.properties).toHaveProperty('hs_timestamp');
    }
    const email = h!.engagements.find((e) => e.type === 'emails');
    if (email) expect(Object.keys(email.object.properties)).toEqual(expect.arrayContaining(['hs_email_subject', 'hs_email_text', 'hs_email_direction']));
    const call = h!.engagements.find((e) => e.type === 'calls');
    if (call) expect(Object.keys(call.object.properties)).toEqual(expect.arrayContaining(['hs_call_title', 'hs_call_body']));
  });

  it('returns an account whose company is gone as an empty history', async () => {
    const [h] = await gw.accountHistories(['987654321']);
    expect(h).toMatchObject({ accountId: '987654321', contacts: [], deals: [], tickets: [], engagements: [] });
    expect(h!.company).toBeUndefined();
  });

  it('names the accounts a record or engagement rolls up to', async () => {
    const company = truth.companies[2]!.id;
    const soloContact = truth.contactsWithoutCompany[0]!;
    expect(await gw.accountsOf('companies', company)).toEqual([company]);
    expect(await gw.accountsOf('contacts', soloContact)).toEqual([`contact:${soloContact}`]);
    const contactOfCompany = (await oracle.associated('companies', company, 'contacts'))[0]!;
    expect(await gw.accountsOf('contacts', contactOfCompany)).toContain(company);
    const deal = truth.deals.find((d) => d.companyId === company);
    if (deal) expect(await gw.accountsOf('deals', deal.id)).toEqual([company]);
    const call = truth.calls.find((c) => c.companyId === company)!;
    expect(await gw.accountsOf('calls', call.id)).toContain(company);
  });

  it('answers for many records at once exactly what accountsOf answers one by one (the write-back\'s check)', async () => {
    const records = [
      ...truth.companies.slice(0, 3).map((c) => ({ objectType: 'companies' as const, objectId: c.id })),
      ...truth.contactsWithoutCompany.slice(0, 2).map((id) => ({ objectType: 'contacts' as const, objectId: id })),
      ...(await oracle.associated('companies', truth.companies[4]!.id, 'contacts')).map((id) => ({ objectType: 'contacts' as const, objectId: id })),
      ...truth.deals.slice(0, 6).map((d) => ({ objectType: 'deals' as const, objectId: d.id })),
      ...truth.deals.filter((d) => d.companyId === null).slice(0, 3).map((d) => ({ objectType: 'deals' as const, objectId: d.id })),
      { objectType: 'contacts' as const, objectId: '987654321' },
    ];
    const batch = await accountsOfRecords(gw, records);
    for (const r of records) expect(batch.get(`${r.objectType}/${r.objectId}`), `${r.objectType}/${r.objectId}`).toEqual(await gw.accountsOf(r.objectType, r.objectId));
  });
});

describe('batch only: the request count of a 30-company backfill', () => {
  it('reads every account history with a handful of batch calls and no per-record GET', async () => {
    const local = await startSandbox({ port: 0, seed: SEED, companies: 30, rateLimit: 190, searchRate: 5 });
    const g = createHubSpotGateway({ baseUrl: local.url, accessToken: local.token, rateLimitPer10s: 190, searchPerSecond: 5, timeoutMs: 10_000, maxRetries: 3 });
    try {
      const t = local.groundTruth();
      const accounts = [...t.companies.map((c) => c.id), ...t.contactsWithoutCompany.map((id) => `contact:${id}`)];
      const histories = await g.accountHistories(accounts);
      expect(histories).toHaveLength(accounts.length);
      expect(histories.every((h) => h.company || h.contacts.length === 1)).toBe(true);

      const m = local.metrics();
      const routes = Object.keys(m.byRoute);
      expect(routes).not.toContain('GET /crm/v3/objects/:type/:id');
      expect(routes).not.toContain('GET /crm/v4/objects/:type/:id/associations/:to');
      expect(routes.every((r) => r.endsWith('/batch/read') || r === 'GET /account-info/v3/details')).toBe(true);
      // A fixed number of association reads (account info; 3 company, 2 contact and 2 company-less checks; 20 to
      // find engagements, 20 for their association sets) plus one batch read per 100 objects of each type.
      const distinct = (ids: string[]) => new Set(ids).size;
      const perType = [
        distinct(histories.flatMap((h) => (h.company ? [h.company.id] : []))),
        distinct(histories.flatMap((h) => h.contacts.map((c) => c.id))),
        distinct(histories.flatMap((h) => h.deals.map((d) => d.id))),
        distinct(histories.flatMap((h) => h.tickets.map((x) => x.id))),
        ...ENGAGEMENT_TYPES.map((e) => distinct(histories.flatMap((h) => h.engagements.filter((x) => x.type === e).map((x) => x.object.id)))),
      ];
      const bound = 1 + 7 + 40 + perType.reduce((n, count) => n + Math.ceil(count / 100), 0);
      expect(m.requests).toBeLessThanOrEqual(bound);
      expect(m.requests).toBeLessThan(perType.reduce((a, b) => a + b, 0) / 10);
      expect(g.stats()).toMatchObject({ requests: m.requests, http429: 0, retries: 0, errors: 0 });
    } finally {
      await g.close();
      await local.close();
    }
  });

  it('lists records with complete association lists: HubSpot cuts them at 100, the gateway reads the rest', async () => {
    const whale = truth.whaleAccountIds[0]!;
    const found = new Map<string, Partial<Record<string, string[]>>>();
    let after: string | undefined;
    do {
      const page = await gw.listWithAssociations('companies', { after, properties: ['name'], associations: ['contacts', 'emails'] });
      for (const r of page.results) found.set(r.object.id, r.associations);
      after = page.after;
    } while (after);
    expect(found.size).toBe(truth.companies.length);
    const emails = (await gw.batchAssociations('companies', 'emails', [whale])).get(whale)!;
    expect(emails.length).toBeGreaterThan(100);
    expect(found.get(whale)!.emails).toEqual(emails);
    const some = truth.companies[2]!.id;
    expect(found.get(some)!.contacts).toEqual((await gw.batchAssociations('companies', 'contacts', [some])).get(some));
  });
});
