import { Client } from '@hubspot/api-client';
import { createHmac, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type SandboxHandle } from '../../src/sandbox/index.ts';
import { post } from './helpers.ts';

const SECRET = 'test-client-secret';

interface Delivery {
  events: Array<Record<string, unknown>>;
  valid: boolean;
}

/** A webhook receiver that checks HubSpot's v3 signature itself and fails the first delivery on purpose. */
async function receiver(): Promise<{ url: string; deliveries: Delivery[]; close: () => Promise<void> }> {
  const deliveries: Delivery[] = [];
  let first = true;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const ts = String(req.headers['x-hubspot-request-timestamp']);
      const uri = `http://${req.headers.host}${req.url}`;
      const expected = createHmac('sha256', SECRET).update(`POST${uri}${body}${ts}`).digest();
      const got = Buffer.from(String(req.headers['x-hubspot-signature-v3']), 'base64');
      const valid = got.length === expected.length && timingSafeEqual(got, expected) && Math.abs(Date.now() - Number(ts)) < 300_000;
      deliveries.push({ events: JSON.parse(body) as Array<Record<string, unknown>>, valid });
      res.statusCode = first ? 500 : 204;
      first = false;
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/hubspot/webhooks`, deliveries, close: () => new Promise((r) => server.close(() => r())) };
}

describe('sandbox webhooks', () => {
  let sb: SandboxHandle;
  let rx: Awaited<ReturnType<typeof receiver>>;
  const events = () => rx.deliveries.flatMap((d) => d.events);

  beforeAll(async () => {
    rx = await receiver();
    sb = await startSandbox({ port: 0, companies: 30, webhookTarget: rx.url, clientSecret: SECRET, webhookBatchMs: 20, webhookRetryBaseMs: 20 });
  });
  afterAll(async () => {
    await sb.close();
    await rx.close();
  });

  it('delivers signed batches for a simulated call and a deal-stage change, retrying a failed delivery', async () => {
    const companyId = sb.groundTruth().companies[0]!.id;
    const call = await post(`${sb.url}/_sandbox/simulate/call`, { companyId });
    expect(call.status).toBe(201);
    const callId = call.json.ids.calls[0] as string;
    expect(call.json.truth.nextSteps.length).toBeGreaterThan(0);
    const stage = await post(`${sb.url}/_sandbox/simulate/deal-stage`, {});
    const dealId = stage.json.ids.deals[0] as string;
    await sb.flushWebhooks();

    expect(rx.deliveries.length).toBeGreaterThanOrEqual(2);
    expect(rx.deliveries.every((d) => d.valid)).toBe(true);
    expect(rx.deliveries.every((d) => d.events.length <= 100)).toBe(true);
    // The first delivery was answered 500: the same events came again with attemptNumber 1.
    const firstIds = JSON.stringify(rx.deliveries[0]!.events.map((e) => e.eventId));
    const retry = rx.deliveries.slice(1).find((d) => JSON.stringify(d.events.map((e) => e.eventId)) === firstIds);
    expect(retry?.events.every((e) => e.attemptNumber === 1)).toBe(true);

    const all = events();
    const created = all.find((e) => e.subscriptionType === 'object.creation' && e.objectId === Number(callId));
    expect(created).toMatchObject({ objectTypeId: '0-48', portalId: Number(sb.portalId), appId: Number(sb.appId), changeSource: 'CRM_UI', sourceId: expect.stringMatching(/^userId:\d+$/) });
    expect(created).toHaveProperty('eventId');
    expect(created).toHaveProperty('subscriptionId');
    expect(created).toHaveProperty('occurredAt');
    const change = all.find((e) => e.subscriptionType === 'deal.propertyChange' && e.objectId === Number(dealId));
    expect(change).toMatchObject({ propertyName: 'dealstage', propertyValue: stage.json.truth.to, changeSource: 'CRM_UI' });
  });

  it('marks writes made with the token as the integration’s own, and reports merges and association changes', async () => {
    const client = new Client({ accessToken: sb.token, basePath: sb.url });
    const [a, b] = sb.groundTruth().companies.slice(1, 3).map((c) => c.id) as [string, string];
    await client.crm.companies.basicApi.update(a, { properties: { description: 'Written by the product' } });
    const contact = await client.crm.contacts.basicApi.create({
      properties: { email: 'hook@test.example' },
      associations: [{ to: { id: a }, types: [{ associationCategory: 'HUBSPOT_DEFINED' as never, associationTypeId: 279 }] }],
    });
    await client.apiRequest({ method: 'POST', path: '/crm/v3/objects/companies/merge', body: { primaryObjectId: a, objectIdToMerge: b } });
    await sb.flushWebhooks();
    const all = events();
    expect(all.find((e) => e.subscriptionType === 'company.propertyChange' && e.objectId === Number(a) && e.propertyName === 'description'))
      .toMatchObject({ changeSource: 'INTEGRATION', sourceId: sb.appId, propertyValue: 'Written by the product' });
    expect(all.find((e) => e.subscriptionType === 'contact.creation' && e.objectId === Number(contact.id))).toMatchObject({ changeSource: 'INTEGRATION' });
    expect(all.find((e) => e.subscriptionType === 'contact.associationChange' && e.fromObjectId === Number(contact.id)))
      .toMatchObject({ toObjectId: Number(a), associationType: 'CONTACT_TO_COMPANY', associationRemoved: false });
    expect(all.find((e) => e.subscriptionType === 'company.merge')).toMatchObject({ primaryObjectId: Number(a), mergedObjectIds: [Number(b)] });
  });

  it('fires propertyChange for a simulated human edit and simulates other activity', async () => {
    const companyId = sb.groundTruth().companies.find((c) => c.lifecycle !== 'customer')!.id;
    const edit = await post(`${sb.url}/_sandbox/simulate/human-edit`, { objectType: 'companies', objectId: companyId, properties: { lifecyclestage: 'customer' } });
    expect(edit.status).toBe(201);
    for (const kind of ['email', 'meeting', 'note', 'contact']) expect((await post(`${sb.url}/_sandbox/simulate/${kind}`, { companyId })).status).toBe(201);
    await sb.flushWebhooks();
    const all = events();
    expect(all.find((e) => e.subscriptionType === 'company.propertyChange' && e.objectId === Number(companyId) && e.propertyName === 'lifecyclestage'))
      .toMatchObject({ changeSource: 'CRM_UI', propertyValue: 'customer' });
    expect(all.some((e) => e.subscriptionType === 'object.creation' && e.objectTypeId === '0-49')).toBe(true);
    expect(all.some((e) => e.subscriptionType === 'contact.creation' && e.changeSource === 'CRM_UI')).toBe(true);
  });
});
