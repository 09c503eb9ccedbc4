import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCache } from '../../src/cache/create-cache.ts';
import type { KeyValueCache } from '../../src/cache/kv.ts';
import { classifyEvent } from '../../src/events/classify-event.ts';
import { isEcho, recordOwnWrite } from '../../src/events/echo.ts';
import type { HubSpotEvent } from '../../src/webhooks/hubspot-event.ts';
import { firstIds, humanEdit, proposal, startHarness, trace, type Harness } from './harness.ts';
import { tempDir } from '../support/tmp.ts';

/**
 * The product's own writes come back from HubSpot as webhooks and must never start generation again. End to end:
 * the sandbox delivers real webhooks for the write-back's writes (and its undo) to a local receiver, and the
 * event module's echo check recognises every one of them, with and without HubSpot's app attribution; a
 * person's edit is not an echo.
 */
describe('own writes are recognisable in webhooks', () => {
  let h: Harness;
  let cache: KeyValueCache;
  let server: http.Server;
  const tmp = tempDir('hsai-echo-');
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
      sandbox: { webhookTarget: target, clientSecret: 'echo-test-secret', webhookBatchMs: 10 },
      writeback: { onOwnWrite: (w) => recordOwnWrite(cache, w) },
    });
  });
  afterAll(async () => {
    await h?.close();
    await cache?.close();
    await new Promise((resolve) => server?.close(resolve));
    tmp.cleanup();
  });

  it('every webhook caused by a write-back write or undo is an echo; a human edit is not', async () => {
    const [company] = await firstIds(h, 'companies', 1);
    const [contact] = await firstIds(h, 'contacts', 1);
    await h.sandbox.flushWebhooks();
    received.length = 0;

    const runId = 'run-echo';
    const results = await h.writeback.submit(
      [
        proposal({ runId, target: { objectType: 'companies', objectId: company! }, field: 'ai_summary', value: 'Echo summary.' }),
        proposal({ runId, agent: 'lead_score', target: { objectType: 'companies', objectId: company! }, field: 'ai_lead_score', value: '64' }),
        proposal({ runId, target: { objectType: 'companies', objectId: company! }, kind: 'note', value: 'Echo note.' }),
        // A run on a whole second: HubSpot keeps the instant and sends it back without the zero fraction.
        proposal({ runId, target: { objectType: 'companies', objectId: company! }, field: 'ai_last_run', value: '2026-11-30T23:40:00.000Z', confidence: 1 }),
      ],
      trace(runId),
    );
    expect(results.map((r) => r.status)).toEqual(['applied', 'applied', 'applied', 'applied']);
    await h.writeback.undo({ runId, dryRun: false, actor: 'ops' });
    await h.sandbox.flushWebhooks();
    const ours = [...received];
    received.length = 0;

    await humanEdit(h, 'contacts', contact!, { firstname: 'Edited-by-a-person' });
    await h.sandbox.flushWebhooks();
    const human = [...received];

    const kinds = new Set(ours.map((e) => `${e.subscriptionType}:${e.propertyName ?? ''}`));
    expect(kinds).toEqual(new Set(['company.propertyChange:ai_summary', 'company.propertyChange:ai_lead_score', 'company.propertyChange:ai_last_run', 'object.creation:', 'object.deletion:']));
    expect(ours.find((e) => e.propertyName === 'ai_last_run')?.propertyValue).toBe('2026-11-30T23:40:00Z');
    expect(ours.every((e) => e.changeSource === 'INTEGRATION' && e.sourceId === h.sandbox.appId)).toBe(true);
    expect(human.length).toBeGreaterThan(0);

    const echo = async (e: HubSpotEvent, appId: string | undefined) => isEcho(cache, classifyEvent(e)!, e, appId);
    for (const appId of [h.sandbox.appId, undefined]) {
      for (const e of ours) expect(await echo(e, appId), `${e.subscriptionType} ${e.propertyName ?? ''} (appId ${appId})`).toBe(true);
      for (const e of human) expect(await echo(e, appId)).toBe(false);
    }
  });
});
