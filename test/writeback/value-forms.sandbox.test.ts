import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCache } from '../../src/cache/create-cache.ts';
import type { KeyValueCache } from '../../src/cache/kv.ts';
import { classifyEvent } from '../../src/events/classify-event.ts';
import { isEcho, recordOwnWrite } from '../../src/events/echo.ts';
import type { HubSpotEvent } from '../../src/webhooks/hubspot-event.ts';
import type { WritebackService } from '../../src/writeback/create-writeback.ts';
import { AI_GROUP } from '../../src/writeback/ai-properties.ts';
import { tempDir } from '../support/tmp.ts';
import { firstIds, humanEdit, proposal, readProps, startHarness, trace, type Harness } from './harness.ts';

/**
 * HubSpot answers with its own form of the value we wrote: a number as the number it holds (`1000.5` for our
 * `1000.50`), an instant as ISO for our epoch milliseconds, a date as `YYYY-MM-DD`, a multi-select's options in
 * the property's order (`crm;api` for our `api;crm`). Every "is this still our value?" check compares by the
 * property's type: the echo of our write (no app attribution), who set the value (no app id to find in the
 * history), undo, and the sweep of interrupted writes. A genuinely different value (5 and 50, two instants a
 * second apart) stays a person's. End to end against the sandbox over HTTP, whose forms these are.
 */

const RUN_AT = Date.parse('2026-05-17T09:30:00Z');
const RENEWAL = Date.parse('2026-05-17T00:00:00Z');
/** Written values and the form the sandbox sends back. */
const FORMS = {
  ai_products: { written: 'api;crm', back: 'crm;api' },
  ai_contract_value: { written: '1000.50', back: '1000.5' },
  ai_last_run: { written: String(RUN_AT), back: '2026-05-17T09:30:00Z' },
  ai_renewal_date: { written: String(RENEWAL), back: '2026-05-17' },
} as const;
type Field = keyof typeof FORMS;
const FIELDS = Object.keys(FORMS) as Field[];

describe('our values come back in HubSpot\'s form and are still recognised as ours', () => {
  let h: Harness;
  let cache: KeyValueCache;
  let server: http.Server;
  /** A service without HUBSPOT_APP_ID: the value it last wrote is its only way to know its own writes. */
  let noAppId: WritebackService;
  let companies: string[];
  const tmp = tempDir('hsai-forms-');
  const received: HubSpotEvent[] = [];

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString('utf8')));
      req.on('end', () => {
        received.push(...(JSON.parse(body) as HubSpotEvent[]));
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const target = `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks/hubspot`;
    cache = await createCache({ dataDir: tmp.dir });
    h = await startHarness({
      sandbox: { webhookTarget: target, clientSecret: 'forms-test-secret', webhookBatchMs: 10 },
      writeback: { onOwnWrite: (w) => recordOwnWrite(cache, w) },
    });
    // Properties of the portal beside setup's: a multi-select, a number without a range, a date.
    const group = AI_GROUP.name;
    await h.gateway.createProperty('companies', {
      name: 'ai_products', label: 'AI products', type: 'enumeration', fieldType: 'checkbox', groupName: group,
      options: [{ label: 'CRM', value: 'crm', displayOrder: 0 }, { label: 'Billing', value: 'billing', displayOrder: 1 }, { label: 'API', value: 'api', displayOrder: 2 }],
    });
    await h.gateway.createProperty('companies', { name: 'ai_contract_value', label: 'AI contract value', type: 'number', fieldType: 'number', groupName: group });
    await h.gateway.createProperty('companies', { name: 'ai_renewal_date', label: 'AI renewal date', type: 'date', fieldType: 'date', groupName: group });
    noAppId = await h.another({ appId: undefined });
    companies = await firstIds(h, 'companies', 8);
  });
  afterAll(async () => {
    await h?.close();
    await cache?.close();
    await new Promise((resolve) => server?.close(resolve));
    tmp.cleanup();
  });

  const write = (company: string, runId: string, values: Partial<Record<Field | 'ai_lead_score', string>>) =>
    Object.entries(values).map(([field, value]) => proposal({ runId, target: { objectType: 'companies', objectId: company }, field, value, confidence: 0.95 }));

  async function expectForms(company: string): Promise<void> {
    expect(await readProps(h, 'companies', company, FIELDS)).toEqual(Object.fromEntries(FIELDS.map((f) => [f, FORMS[f].back])));
  }

  it('echo suppression recognises the webhook of our write in HubSpot\'s form', async () => {
    const company = companies[1]!;
    await h.sandbox.flushWebhooks();
    received.length = 0;
    const results = await h.writeback.submit(write(company, 'run-echo', Object.fromEntries(FIELDS.map((f) => [f, FORMS[f].written]))), trace('run-echo'));
    expect(results.map((r) => r.status)).toEqual(FIELDS.map(() => 'applied'));
    await h.sandbox.flushWebhooks();
    await expectForms(company);

    const changes = received.filter((e) => e.subscriptionType === 'company.propertyChange' && String(e.objectId) === company);
    expect(Object.fromEntries(changes.map((e) => [e.propertyName, e.propertyValue]))).toEqual(Object.fromEntries(FIELDS.map((f) => [f, FORMS[f].back])));
    // No app attribution: what the writer recorded is the only signal.
    for (const e of changes) expect(await isEcho(cache, classifyEvent(e)!, e, undefined), `${e.propertyName}=${e.propertyValue}`).toBe(true);
  });

  it('who set the value: our own value in HubSpot\'s form is ours, so the next run may replace it', async () => {
    const company = companies[2]!;
    const first = await noAppId.submit(write(company, 'run-who-1', Object.fromEntries(FIELDS.map((f) => [f, FORMS[f].written]))), trace('run-who-1'));
    expect(first.map((r) => r.status)).toEqual(FIELDS.map(() => 'applied'));
    await expectForms(company);

    const next = { ai_products: 'billing', ai_contract_value: '1200', ai_last_run: '2026-05-18T09:30:00Z', ai_renewal_date: '2026-06-17' };
    const second = await noAppId.submit(write(company, 'run-who-2', next), trace('run-who-2'));
    expect(Object.fromEntries(second.map((r) => [r.proposal.field, `${r.status} ${r.decision.reasons.join(', ')}`]))).toEqual(
      Object.fromEntries(FIELDS.map((f) => [f, expect.stringMatching(/^applied /)])),
    );
    const decided = await noAppId.audit({ runId: 'run-who-2', event: 'decided' });
    expect(decided.map((d) => d.detail)).toEqual(FIELDS.map(() => expect.stringMatching(/^current value set by ai /)));
  });

  it('undo restores a value HubSpot holds in its own form', async () => {
    const company = companies[3]!;
    const before = await readProps(h, 'companies', company, FIELDS);
    await h.writeback.submit(write(company, 'run-undo', Object.fromEntries(FIELDS.map((f) => [f, FORMS[f].written]))), trace('run-undo'));
    await expectForms(company);

    const report = await h.writeback.undo({ runId: 'run-undo', dryRun: false, actor: 'ops' });
    expect(report.items.filter((i) => i.action === 'skip').map((i) => `${i.field}: ${i.detail}`)).toEqual([]);
    expect(report).toMatchObject({ restored: FIELDS.length, skipped: 0, failed: 0 });
    // Empty before (null): restored as '' (an empty value clears a property).
    expect(await readProps(h, 'companies', company, FIELDS)).toEqual(Object.fromEntries(FIELDS.map((f) => [f, before[f] ?? ''])));
  });

  it('the intent sweep finds an interrupted write landed when HubSpot holds it in its own form', async () => {
    const company = companies[4]!;
    // HubSpot carries out the batch update and the answer is lost (every try): the intents stay intents.
    h.sandbox.setFaults({ failRoute: { route: 'POST /crm/v3/objects/:type/batch/update', status: 503, times: 10, afterHandling: true } });
    try {
      const results = await h.writeback.submit(write(company, 'run-sweep', Object.fromEntries(FIELDS.map((f) => [f, FORMS[f].written]))), trace('run-sweep'));
      expect(results.map((r) => r.status)).toEqual(FIELDS.map(() => 'failed'));
    } finally {
      h.sandbox.setFaults({ failRoute: { route: 'POST /crm/v3/objects/:type/batch/update', status: 503, times: 0 } });
    }
    await expectForms(company);

    // Older than the timeout: every intent recorded up to now.
    const report = await h.writeback.sweepInterruptedWrites({ olderThanMs: -60_000 });
    expect(report).toEqual({ landed: FIELDS.length, queued: 0, skipped: 0 });
    expect(await h.writeback.countReviews({ status: 'pending' })).toBe(0);
  });

  it('a genuinely different value stays different: 5 is not 50, two instants a second apart are two values, text "2" is not "2.0"', async () => {
    const company = companies[5]!;
    // A text property holds what was typed: a person's "2" is not our "2.0", though both read as the number 2.
    const ours = { ai_contract_value: '5', ai_last_run: '2026-05-17T09:30:00Z', ai_products: 'crm', ai_fit_segment: '2.0' };
    const theirs = { ai_contract_value: '50', ai_last_run: '2026-05-17T09:30:01Z', ai_products: 'crm;api', ai_fit_segment: '2' };
    const fields = Object.keys(ours) as Array<keyof typeof ours>;
    await h.sandbox.flushWebhooks();
    received.length = 0;
    expect((await h.writeback.submit(write(company, 'run-diff', ours), trace('run-diff'))).map((r) => r.status)).toEqual(fields.map(() => 'applied'));
    await humanEdit(h, 'companies', company, theirs);
    await h.sandbox.flushWebhooks();

    // Echo: the person's values are not our echo, even without attribution.
    const human = received.filter((e) => e.subscriptionType === 'company.propertyChange' && String(e.objectId) === company && e.changeSource !== 'INTEGRATION');
    expect(human.map((e) => e.propertyName).sort()).toEqual([...fields].sort());
    for (const e of human) expect(await isEcho(cache, classifyEvent(e)!, e, undefined), `${e.propertyName}=${e.propertyValue}`).toBe(false);

    // Undo leaves the person's values alone.
    const undo = await h.writeback.undo({ runId: 'run-diff', dryRun: false, actor: 'ops' });
    expect(undo).toMatchObject({ restored: 0, skipped: fields.length });
    expect(await readProps(h, 'companies', company, fields)).toEqual(theirs);

    // Who set it: another integration (not a person's UI) wrote 50 after our 5; without our app id, only the value tells.
    const other = companies[6]!;
    await noAppId.submit(write(other, 'run-diff-who-1', { ai_contract_value: '5' }), trace('run-diff-who-1'));
    await h.gateway.batchUpdate('companies', [{ id: other, properties: { ai_contract_value: '50' } }]);
    const [next] = await noAppId.submit(write(other, 'run-diff-who-2', { ai_contract_value: '7' }), trace('run-diff-who-2'));
    expect(next!.status).toBe('pending_review');
    expect(next!.decision.reasons.join(' ')).toContain('human_value');

    // Sweep: an intent for 5 where HubSpot holds 50 did not land.
    const third = companies[7]!;
    h.sandbox.setFaults({ failRoute: { route: 'POST /crm/v3/objects/:type/batch/update', status: 503, times: 10 } });
    try {
      expect((await h.writeback.submit(write(third, 'run-diff-sweep', { ai_contract_value: '5' }), trace('run-diff-sweep')))[0]!.status).toBe('failed');
    } finally {
      h.sandbox.setFaults({ failRoute: { route: 'POST /crm/v3/objects/:type/batch/update', status: 503, times: 0 } });
    }
    await h.gateway.batchUpdate('companies', [{ id: third, properties: { ai_contract_value: '50' } }]);
    expect(await h.writeback.sweepInterruptedWrites({ olderThanMs: -60_000 })).toEqual({ landed: 0, queued: 1, skipped: 0 });
  });
});
