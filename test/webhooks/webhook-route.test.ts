import { createHash } from 'node:crypto';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { createQueue } from '../../src/queue/create-queue.ts';
import type { JobQueue } from '../../src/queue/queue.ts';
import type { WebhookBatchPayload } from '../../src/queue/jobs.ts';
import { uniqueName } from '../support/services.ts';
import { tempDir } from '../support/tmp.ts';
import { buildWebhookApp, CLIENT_SECRET, event, PUBLIC_URL, v3Headers } from './webhook-app.ts';

const NOW = Date.UTC(2025, 0, 15, 12, 0, 0);
const PATH = '/webhooks/hubspot';
const tmp = tempDir('hsai-webhooks-');
afterAll(() => tmp.cleanup());

let queue: JobQueue;
let app: FastifyInstance;
beforeEach(async () => {
  queue = await createQueue({ dataDir: tmp.dir, prefix: uniqueName('wh'), defaultMaxAttempts: 3 });
  app = await buildWebhookApp(queue, { now: () => NOW });
});
afterEach(async () => {
  await app.close();
  await queue.close();
});

const batch = JSON.stringify([
  event({ subscriptionType: 'contact.creation', objectId: 101 }),
  event({ subscriptionType: 'deal.propertyChange', objectId: 7, propertyName: 'dealstage', propertyValue: 'closedwon' }),
]);

async function jobsRecorded(): Promise<number> {
  return (await queue.stats()).total.waiting;
}

async function capturedBatches(): Promise<WebhookBatchPayload[]> {
  const seen: WebhookBatchPayload[] = [];
  const w = queue.work({ 'webhook.batch': async (job) => void seen.push(job.payload as WebhookBatchPayload) });
  await queue.drain();
  await w.close();
  return seen;
}

describe('POST /webhooks/hubspot', () => {
  it('records a signed batch as one durable webhook.batch job, then answers 200', async () => {
    const res = await app.inject({ method: 'POST', url: PATH, payload: batch, headers: v3Headers(PATH, batch, NOW) });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ accepted: 2, ignored: 0 });
    expect(await jobsRecorded()).toBe(1);
    const [recorded] = await capturedBatches();
    expect(recorded).toMatchObject({ source: 'webhook', receivedAt: NOW });
    expect(recorded!.events.map((e) => e.objectId)).toEqual([101, 7]);
  });

  it('rebuilds the signed URI with the query string as sent', async () => {
    const url = `${PATH}?portal=62515&tag=a%3Ab`;
    const res = await app.inject({ method: 'POST', url, payload: batch, headers: v3Headers(url, batch, NOW) });
    expect(res.statusCode).toBe(200);
  });

  const rejected: Array<[string, () => { headers: Record<string, string>; payload: string }]> = [
    ['forged (signed with another secret)', () => ({ headers: v3Headers(PATH, batch, NOW, 'not-the-secret'), payload: batch })],
    ['unsigned', () => ({ headers: { 'content-type': 'application/json' }, payload: batch })],
    ['stale (6 minutes old)', () => ({ headers: v3Headers(PATH, batch, NOW - 6 * 60_000), payload: batch })],
    ['future-dated (6 minutes ahead)', () => ({ headers: v3Headers(PATH, batch, NOW + 6 * 60_000), payload: batch })],
    ['tampered (body changed after signing)', () => ({ headers: v3Headers(PATH, batch, NOW), payload: batch.replace('"objectId":101', '"objectId":102') })],
    ['signed for another URL', () => ({ headers: v3Headers('/webhooks/other', batch, NOW), payload: batch })],
    ['signed for another host', () => ({ headers: v3Headers(PATH, batch, NOW, CLIENT_SECRET, 'https://evil.example.com'), payload: batch })],
    [
      'v1-signed while only v3 is accepted',
      () => ({
        headers: {
          'content-type': 'application/json',
          'x-hubspot-signature': createHash('sha256').update(CLIENT_SECRET + batch).digest('hex'),
          'x-hubspot-signature-version': 'v1',
        },
        payload: batch,
      }),
    ],
  ];
  for (const [name, make] of rejected) {
    it(`rejects a ${name} request with 401 and records nothing`, async () => {
      const { headers, payload } = make();
      const res = await app.inject({ method: 'POST', url: PATH, payload, headers });
      expect(res.statusCode).toBe(401);
      expect(res.json().error.code).toBe('INVALID_SIGNATURE');
      expect((await queue.stats()).total).toMatchObject({ waiting: 0, delayed: 0, active: 0 });
    });
  }

  const malformed: Array<[string, string, RegExp]> = [
    ['invalid JSON', '[{"eventId":1,', /not valid JSON/],
    ['an empty body', '', /empty/],
    ['a JSON object instead of an array', '{"eventId":1}', /JSON array of HubSpot events/],
    ['an empty array', '[]', /empty/],
    ['an event without occurredAt', JSON.stringify([{ eventId: 1, portalId: 1, subscriptionType: 'contact.creation', objectId: 1 }]), /\[0\]\.occurredAt/],
    ['an event with a text portalId', JSON.stringify([{ eventId: 1, portalId: 'acme', occurredAt: 1, subscriptionType: 'contact.creation' }]), /\[0\]\.portalId/],
    ['an event without a subscription type', JSON.stringify([{ eventId: 1, portalId: 1, occurredAt: 1, objectId: 1 }]), /\[0\]\.subscriptionType: is required/],
  ];
  for (const [name, payload, message] of malformed) {
    it(`rejects ${name} with 400 saying what is wrong, and records nothing`, async () => {
      const res = await app.inject({ method: 'POST', url: PATH, payload, headers: v3Headers(PATH, payload, NOW) });
      expect(res.statusCode).toBe(400);
      expect(res.json().error.message).toMatch(message);
      expect(await jobsRecorded()).toBe(0);
    });
  }

  it('rejects an oversized body with 413 and records nothing', async () => {
    const big = JSON.stringify(Array.from({ length: 800 }, (_, i) => event({ subscriptionType: 'contact.propertyChange', objectId: i, propertyName: 'notes', propertyValue: 'x'.repeat(100) })));
    const res = await app.inject({ method: 'POST', url: PATH, payload: big, headers: v3Headers(PATH, big, NOW) });
    expect(res.statusCode).toBe(413);
    expect(res.json().error.code).toBe('PAYLOAD_TOO_LARGE');
    expect(await jobsRecorded()).toBe(0);
  });

  it('accepts unknown subscription types and ignores them', async () => {
    const body = JSON.stringify([
      event({ subscriptionType: 'line_item.creation', objectId: 5 }),
      event({ subscriptionType: 'contact.somethingNew', objectId: 6 }),
      event({ subscriptionType: 'object.creation', objectTypeId: '2-12345', objectId: 7 }),
    ]);
    const res = await app.inject({ method: 'POST', url: PATH, payload: body, headers: v3Headers(PATH, body, NOW) });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ accepted: 0, ignored: 3, jobId: null });
    expect(await jobsRecorded()).toBe(0);
  });

  it('keeps the known events of a mixed batch', async () => {
    const body = JSON.stringify([event({ subscriptionType: 'line_item.creation', objectId: 5 }), event({ subscriptionType: 'company.creation', objectId: 9 })]);
    const res = await app.inject({ method: 'POST', url: PATH, payload: body, headers: v3Headers(PATH, body, NOW) });
    expect(res.json()).toMatchObject({ accepted: 1, ignored: 1 });
    const [recorded] = await capturedBatches();
    expect(recorded!.events.map((e) => e.subscriptionType)).toEqual(['company.creation']);
  });

  it('refuses every delivery when no client secret is configured', async () => {
    const bare = await buildWebhookApp(queue, { now: () => NOW, clientSecret: undefined });
    const res = await bare.inject({ method: 'POST', url: PATH, payload: batch, headers: v3Headers(PATH, batch, NOW) });
    expect(res.statusCode).toBe(401);
    await bare.close();
  });

  it('accepts v1 when configured', async () => {
    const v1app = await buildWebhookApp(queue, { now: () => NOW, allowedVersions: ['v1', 'v3'] });
    const headers = { 'content-type': 'application/json', 'x-hubspot-signature': createHash('sha256').update(CLIENT_SECRET + batch).digest('hex'), 'x-hubspot-signature-version': 'v1' };
    const res = await v1app.inject({ method: 'POST', url: PATH, payload: batch, headers });
    expect(res.statusCode).toBe(200);
    await v1app.close();
  });
});

describe('POST /webhooks/hubspot/workflow', () => {
  const WF = '/webhooks/hubspot/workflow?objectType=deals';
  const v2 = (body: string, url = WF, secret = CLIENT_SECRET) => ({
    'content-type': 'application/json',
    'x-hubspot-signature': createHash('sha256').update(`${secret}POST${PUBLIC_URL}${url}${body}`).digest('hex'),
    'x-hubspot-signature-version': 'v2',
  });

  it('turns the enrolled record into a workflow event for the same jobs', async () => {
    const body = JSON.stringify({ portalId: 62515, objectId: 555, properties: { dealname: 'Big one', dealstage: 'closedwon' } });
    const res = await app.inject({ method: 'POST', url: WF, payload: body, headers: v2(body) });
    expect(res.statusCode).toBe(200);
    const [recorded] = await capturedBatches();
    expect(recorded).toMatchObject({ source: 'workflow', receivedAt: NOW });
    expect(recorded!.events).toEqual([
      expect.objectContaining({ portalId: 62515, objectId: '555', objectTypeId: '0-3', subscriptionType: 'object.workflow', occurredAt: NOW }),
    ]);
  });

  it('understands the legacy contact format', async () => {
    const url = '/webhooks/hubspot/workflow';
    const body = JSON.stringify({ vid: 901, 'portal-id': 62515, properties: { email: { value: 'a@b.c' } } });
    const res = await app.inject({ method: 'POST', url, payload: body, headers: v2(body, url) });
    expect(res.statusCode).toBe(200);
    const [recorded] = await capturedBatches();
    expect(recorded!.events[0]).toMatchObject({ objectId: '901', objectTypeId: '0-1' });
  });

  it('rejects a bad v2 signature with 401 and a body without a record with 400, recording nothing', async () => {
    const body = JSON.stringify({ portalId: 62515, objectId: 555 });
    const forged = await app.inject({ method: 'POST', url: WF, payload: body, headers: v2(body, WF, 'nope') });
    expect(forged.statusCode).toBe(401);
    const noType = '/webhooks/hubspot/workflow';
    const missing = await app.inject({ method: 'POST', url: noType, payload: body, headers: v2(body, noType) });
    expect(missing.statusCode).toBe(400);
    expect(missing.json().error.message).toMatch(/no object type/);
    expect(await jobsRecorded()).toBe(0);
  });
});
