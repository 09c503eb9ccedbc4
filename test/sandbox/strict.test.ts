import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHubSpotGateway } from '../../src/hubspot/create-gateway.ts';
import { HubSpotAuthError, HubSpotDailyLimitError } from '../../src/hubspot/errors.ts';
import { startSandbox, type SandboxHandle } from '../../src/sandbox/index.ts';
import { waitFor } from '../queue/queue.contract.ts';

/**
 * The sandbox refuses what HubSpot refuses, over HTTP, with HubSpot's status codes and error bodies: values of
 * the wrong type or option, duplicate ids in a batch update, more than one sort, calls outside a token's
 * scopes, the daily limit; and it behaves as HubSpot does where the product could otherwise be fooled: search
 * lags writes, some 429s carry no Retry-After, ids vary in length, webhooks stop when the portal does.
 */

let sb: SandboxHandle;
const READ_CONTACTS = 'limited-token-contacts-only';

async function call(method: string, path: string, body?: unknown, token = sb.token): Promise<{ status: number; body: Record<string, unknown>; headers: Headers }> {
  const res = await fetch(`${sb.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {}, headers: res.headers };
}

async function first(type: string): Promise<string> {
  const r = await call('GET', `/crm/v3/objects/${type}?limit=1`);
  return (r.body.results as Array<{ id: string }>)[0]!.id;
}

/** HubSpot's validation errors as the message lists them: `[{isValid:false, message, error, name}]`. */
function validationItems(body: Record<string, unknown>): Array<{ name: string; error: string; message: string }> {
  const m = /^Property values were not valid: (\[.*\])$/s.exec(String(body.message));
  expect(m, String(body.message)).not.toBeNull();
  return JSON.parse(m![1]!) as Array<{ name: string; error: string; message: string }>;
}

beforeAll(async () => {
  sb = await startSandbox({ port: 0, companies: 6, rateLimit: 0, scopedTokens: { [READ_CONTACTS]: ['crm.objects.contacts.read'] } });
});
afterAll(async () => sb?.close());

describe('a sandbox that refuses like HubSpot', () => {
  it('validates values by type and option, failing the whole request with the invalid values listed', async () => {
    const deal = await first('deals');
    const before = (await call('GET', `/crm/v3/objects/deals/${deal}?properties=dealname,amount`)).body.properties as Record<string, string>;
    const r = await call('PATCH', `/crm/v3/objects/deals/${deal}`, { properties: { dealname: 'Renamed', amount: 'forty-two', closedate: 'next tuesday', dealstage: 'won-ish' } });
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ status: 'error', category: 'VALIDATION_ERROR', correlationId: expect.any(String) });
    expect(validationItems(r.body).map((i) => [i.name, i.error])).toEqual([
      ['amount', 'INVALID_DOUBLE'],
      ['closedate', 'INVALID_LONG'],
      ['dealstage', 'INVALID_OPTION'],
    ]);
    expect(validationItems(r.body).find((i) => i.name === 'dealstage')!.message).toMatch(/won-ish was not one of the allowed options: \[appointmentscheduled, /);
    const after = (await call('GET', `/crm/v3/objects/deals/${deal}?properties=dealname,amount`)).body.properties as Record<string, string>;
    expect(after.dealname).toBe(before.dealname); // nothing of the request was applied

    const callId = await first('calls');
    const bool = await call('PATCH', `/crm/v3/objects/calls/${callId}`, { properties: { hs_call_has_transcript: 'yes' } });
    expect(validationItems(bool.body)).toEqual([expect.objectContaining({ name: 'hs_call_has_transcript', error: 'INVALID_BOOLEAN' })]);
    const contact = await first('contacts');
    const spaced = await call('PATCH', `/crm/v3/objects/contacts/${contact}`, { properties: { lifecyclestage: 'lead ' } });
    expect(validationItems(spaced.body)[0]!.error).toBe('LEADING_TRAILING_WHITESPACE');
    // Well-formed values pass; an empty value clears.
    expect((await call('PATCH', `/crm/v3/objects/deals/${deal}`, { properties: { amount: '42.5', closedate: '2026-03-01', dealstage: 'closedwon' } })).status).toBe(200);
    expect((await call('PATCH', `/crm/v3/objects/deals/${deal}`, { properties: { amount: '' } })).status).toBe(200);
  });

  it('reads datetimes back as ISO 8601 whether written as ISO or epoch milliseconds', async () => {
    const deal = await first('deals');
    const ms = Date.UTC(2026, 4, 17, 9, 30);
    await call('PATCH', `/crm/v3/objects/deals/${deal}`, { properties: { closedate: String(ms) } });
    const read = (await call('GET', `/crm/v3/objects/deals/${deal}?properties=closedate`)).body.properties as Record<string, string>;
    expect(read.closedate).toBe('2026-05-17T09:30:00Z');
  });

  it("reads numbers back as the number they hold and a multi-select's options in the property's order", async () => {
    const deal = await first('deals');
    const created = await call('POST', '/crm/v3/properties/deals', {
      name: 'products', label: 'Products', type: 'enumeration', fieldType: 'checkbox', groupName: 'sandbox_information',
      options: ['crm', 'billing', 'api'].map((value, displayOrder) => ({ label: value, value, displayOrder })),
    });
    expect(created.status).toBe(201);
    expect((await call('PATCH', `/crm/v3/objects/deals/${deal}`, { properties: { amount: '1000.50', products: 'api;crm' } })).status).toBe(200);
    const read = (await call('GET', `/crm/v3/objects/deals/${deal}?properties=amount,products`)).body.properties as Record<string, string>;
    expect([read.amount, read.products]).toEqual(['1000.5', 'crm;api']);
    await call('PATCH', `/crm/v3/objects/deals/${deal}`, { properties: { amount: '5.0' } });
    expect(((await call('GET', `/crm/v3/objects/deals/${deal}?properties=amount`)).body.properties as Record<string, string>).amount).toBe('5');
  });

  it('checks enumerations against the options the portal has now (lead statuses edited by the portal)', async () => {
    const contact = await first('contacts');
    expect((await call('PATCH', `/crm/v3/objects/contacts/${contact}`, { properties: { hs_lead_status: 'UNQUALIFIED' } })).status).toBe(200);
    const edited = await call('PATCH', '/crm/v3/properties/contacts/hs_lead_status', { options: ['NEW', 'OPEN', 'IN_PROGRESS', 'CONNECTED'].map((value) => ({ label: value, value })) });
    expect(edited.status).toBe(200);
    const refused = await call('PATCH', `/crm/v3/objects/contacts/${contact}`, { properties: { hs_lead_status: 'BAD_TIMING' } });
    expect(refused.status).toBe(400);
    expect(validationItems(refused.body)[0]).toMatchObject({ name: 'hs_lead_status', error: 'INVALID_OPTION' });
  });

  it('refuses duplicate ids in a batch update and more than one sort rule', async () => {
    const contact = await first('contacts');
    const dup = await call('POST', '/crm/v3/objects/contacts/batch/update', { inputs: [{ id: contact, properties: { firstname: 'A' } }, { id: contact, properties: { firstname: 'B' } }] });
    expect(dup.status).toBe(400);
    expect(dup.body).toMatchObject({ category: 'VALIDATION_ERROR', message: expect.stringMatching(/Duplicate IDs found in batch input: \[\d+\]/) });
    const sorts = await call('POST', '/crm/v3/objects/contacts/search', { sorts: [{ propertyName: 'createdate', direction: 'ASCENDING' }, { propertyName: 'email', direction: 'ASCENDING' }], limit: 5 });
    expect(sorts.status).toBe(400);
    expect(sorts.body.category).toBe('VALIDATION_ERROR');
  });

  it('answers 403 MISSING_SCOPES to a token without the scope, which the gateway reports as such', async () => {
    expect((await call('GET', '/crm/v3/objects/contacts?limit=1', undefined, READ_CONTACTS)).status).toBe(200);
    const denied = await call('GET', '/crm/v3/objects/companies?limit=1', undefined, READ_CONTACTS);
    expect(denied.status).toBe(403);
    expect(denied.body).toMatchObject({ category: 'MISSING_SCOPES', errors: [{ context: { requiredGranularScopes: ['crm.objects.companies.read'] } }] });
    expect((await call('PATCH', `/crm/v3/objects/contacts/${await first('contacts')}`, { properties: { firstname: 'X' } }, READ_CONTACTS)).status).toBe(403);
    const g = createHubSpotGateway({ baseUrl: sb.url, accessToken: READ_CONTACTS, rateLimitPer10s: 1000, searchPerSecond: 50, timeoutMs: 5_000, maxRetries: 2 });
    try {
      const err = await g.listObjects('companies', { limit: 1 }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(HubSpotAuthError);
      expect((err as HubSpotAuthError).missingScopes).toEqual(['crm.objects.companies.read']);
    } finally {
      await g.close();
    }
  });

  it('takes the Bearer scheme in any case, and refuses other schemes and a missing token with 401', async () => {
    const url = `${sb.url}/crm/v3/objects/contacts?limit=1`;
    for (const scheme of ['bearer', 'BEARER', 'Bearer', 'bEaReR']) {
      expect((await fetch(url, { headers: { authorization: `${scheme} ${sb.token}` } })).status, scheme).toBe(200);
    }
    // A limited token keeps its scopes whatever the case of the scheme.
    expect((await fetch(`${sb.url}/crm/v3/objects/companies?limit=1`, { headers: { authorization: `bearer ${READ_CONTACTS}` } })).status).toBe(403);
    for (const authorization of [`Basic ${sb.token}`, `Bearer${sb.token}`, 'Bearer ', `Token ${sb.token}`]) {
      expect((await fetch(url, { headers: { authorization } })).status, authorization).toBe(401);
    }
  });

  it('gives ids of varying length that still increase', () => {
    const ids = sb.groundTruth().companies.map((c) => c.id);
    const all = [...ids, ...sb.groundTruth().calls.map((c) => c.id)];
    expect(new Set(all.map((id) => id.length)).size).toBeGreaterThanOrEqual(3);
    for (let i = 1; i < ids.length; i++) expect(Number(ids[i])).toBeGreaterThan(Number(ids[i - 1]));
  });
});

describe('limits', () => {
  it('enforces the daily limit with a DAILY 429 until the next day, which the gateway does not retry', async () => {
    const s = await startSandbox({ port: 0, companies: 2, rateLimit: 0, dailyLimit: 5 });
    try {
      const h = { authorization: `Bearer ${s.token}` };
      for (let i = 0; i < 5; i++) expect((await fetch(`${s.url}/crm/v3/objects/contacts?limit=1`, { headers: h })).status).toBe(200);
      const over = await fetch(`${s.url}/crm/v3/objects/contacts?limit=1`, { headers: h });
      expect(over.status).toBe(429);
      expect(await over.json()).toMatchObject({ policyName: 'DAILY', errorType: 'RATE_LIMIT' });
      expect(over.headers.get('retry-after')).toBeNull();
      expect(over.headers.get('x-hubspot-ratelimit-daily-remaining')).toBe('0');
      const g = createHubSpotGateway({ baseUrl: s.url, accessToken: s.token, rateLimitPer10s: 1000, searchPerSecond: 50, timeoutMs: 5_000, maxRetries: 3 });
      const before = s.metrics().requests;
      expect(await g.listObjects('contacts', { limit: 1 }).catch((e: unknown) => e)).toBeInstanceOf(HubSpotDailyLimitError);
      expect(s.metrics().requests - before).toBe(1); // not retried
      await g.close();
      s.newDay();
      expect((await fetch(`${s.url}/crm/v3/objects/contacts?limit=1`, { headers: h })).status).toBe(200);
    } finally {
      await s.close();
    }
  });

  it('sends some ten-secondly 429s without Retry-After', async () => {
    const s = await startSandbox({ port: 0, companies: 2, rateLimit: 2 });
    try {
      const answers = [];
      for (let i = 0; i < 24; i++) answers.push(await fetch(`${s.url}/crm/v3/objects/contacts?limit=1`, { headers: { authorization: `Bearer ${s.token}` } }));
      const limited = answers.filter((r) => r.status === 429);
      expect(limited.length).toBe(22);
      const withHeader = limited.filter((r) => r.headers.get('retry-after') !== null).length;
      expect(withHeader).toBeGreaterThan(0);
      expect(withHeader).toBeLessThan(limited.length);
    } finally {
      await s.close();
    }
  });
});

describe('search index lag', () => {
  it('finds a change only after the lag, while reads by id see it at once', async () => {
    const s = await startSandbox({ port: 0, companies: 2, rateLimit: 0, searchLagMs: 400 });
    try {
      const h = { authorization: `Bearer ${s.token}`, 'content-type': 'application/json' };
      const created = (await (await fetch(`${s.url}/crm/v3/objects/companies`, { method: 'POST', headers: h, body: JSON.stringify({ properties: { name: 'Zanzibarquux Ltd' } }) })).json()) as { id: string };
      expect((await fetch(`${s.url}/crm/v3/objects/companies/${created.id}`, { headers: h })).status).toBe(200);
      const find = async () =>
        ((await (await fetch(`${s.url}/crm/v3/objects/companies/search`, { method: 'POST', headers: h, body: JSON.stringify({ query: 'zanzibarquux', limit: 10 }) })).json()) as { total: number }).total;
      expect(await find()).toBe(0);
      await waitFor(async () => (await find()) === 1, 10_000, 'the new company searchable');
    } finally {
      await s.close();
    }
  });
});

describe('webhooks on shutdown', () => {
  it('stop at once: a delivery in flight is abandoned and nothing is retried', async () => {
    let received = 0;
    let abandoned = false;
    const target = http.createServer((req) => {
      received++;
      req.socket.on('close', () => (abandoned = true)); // never answered: only the sender can end it
    });
    await new Promise<void>((r) => target.listen(0, '127.0.0.1', r));
    const { port } = target.address() as { port: number };
    const s = await startSandbox({ port: 0, companies: 2, rateLimit: 0, webhookTarget: `http://127.0.0.1:${port}/hooks`, clientSecret: 'secret', webhookBatchMs: 10 });
    try {
      await fetch(`${s.url}/_sandbox/simulate/note`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
      await waitFor(() => received > 0, 10_000, 'a delivery in flight');
      await s.close();
      await waitFor(() => abandoned, 2_000, 'the delivery abandoned by the closing sandbox');
      expect(received).toBe(1);
    } finally {
      target.close();
    }
  });
});
