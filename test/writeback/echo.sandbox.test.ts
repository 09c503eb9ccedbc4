import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCache } from '../../src/cache/create-cache.ts';
import type { KeyValueCache } from '../../src/cache/kv.ts';
import { classifyEvent } from '../../src/events/classify-event.ts';
import { echoStates, isEcho, recordOwnWrite } from '../../src/events/echo.ts';
import { createIngestHandlers } from '../../src/events/ingest-jobs.ts';
import { processBatch } from '../../src/events/process-batch.ts';
import { DEFAULT_ROUTING } from '../../src/events/routing.ts';
import { createHubSpotGateway } from '../../src/hubspot/create-gateway.ts';
import { createQueue } from '../../src/queue/create-queue.ts';
import type { GeneratePayload } from '../../src/queue/jobs.ts';
import { openIngestStack } from '../fixtures/backfill-stack.ts';
import { uniqueName } from '../support/services.ts';
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

  it("a note's webhook that comes before HubSpot answers the create is taken for ours: a rule on new notes does not run on it, and still runs on a person's note", async () => {
    // Between the write-back and the sandbox, a proxy that holds HubSpot's answer to the note create until released:
    // the sandbox has made the note and sent its webhook, the writer does not know the id yet.
    const proxy = await holdingProxy(h.sandbox.url);
    const gateway = createHubSpotGateway({ baseUrl: proxy.url, accessToken: h.sandbox.token, rateLimitPer10s: 1000, searchPerSecond: 50, timeoutMs: 10_000, maxRetries: 2 });
    const queue = await createQueue({ dataDir: tmp.dir, prefix: uniqueName('race'), defaultMaxAttempts: 1 });
    const stack = await openIngestStack({ baseUrl: h.sandbox.url, accessToken: h.sandbox.token, dataDir: tmp.dir, pool: false, cache: false, rateLimitPer10s: 1000 });
    let submitting: Promise<unknown> = Promise.resolve();
    let release = () => {};
    try {
      // No app attribution: what we recorded is the only signal.
      const writeback = await h.another({ gateway, appId: undefined });
      const company = (await firstIds(h, 'companies', 4))[3]; // not the first: a whale's history is slow to index
      await h.sandbox.flushWebhooks();
      received.length = 0;

      const held = proxy.holdNext('POST', '/crm/v3/objects/notes');
      release = held.release;
      const runId = 'run-race';
      const submit = writeback.submit([proposal({ runId, target: { objectType: 'companies', objectId: company! }, kind: 'note', value: 'Race note.' })], trace(runId));
      submitting = submit;
      await held.answered;
      await h.sandbox.flushWebhooks();
      const isNoteCreation = (e: HubSpotEvent) => e.subscriptionType === 'object.creation' && e.objectTypeId === '0-46';
      const ourCreation = received.filter(isNoteCreation);
      expect(ourCreation).toHaveLength(1);
      received.length = 0;
      // A person's note on the same company while ours is still being created.
      const res = await fetch(`${h.sandbox.url}/_sandbox/simulate/note`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ companyId: company, text: 'Customer called about renewal.' }) });
      const personNote = ((await res.json()) as { ids: { notes: string[] } }).ids.notes[0]!;
      await h.sandbox.flushWebhooks();
      const theirCreation = received.filter(isNoteCreation);
      expect(theirCreation.map((e) => String(e.objectId))).toEqual([personNote]);

      const rules = { ...DEFAULT_ROUTING, rules: [{ name: 'on-new-note', job: 'generate.account_summary' as const, objectTypes: ['notes' as const], actions: ['creation' as const], requireValue: false, enabled: true }] };
      const deps = { queue, cache, coalesceMs: 0, rules };
      const outcome = await processBatch(deps, { source: 'webhook', receivedAt: Date.now(), events: [...ourCreation, ...theirCreation] }, 'job-race');
      expect(outcome).toMatchObject({ processed: 2, echo: 0 });

      // The ingest jobs run for real (they read the notes from the sandbox); the generations they start are captured.
      const generations: GeneratePayload[] = [];
      const handlers = createIngestHandlers({ indexer: stack.indexer, gateway: stack.gateway, queue });
      const worker = queue.work({ 'ingest.record': handlers['ingest.record'], 'generate.account_summary': async (job) => void generations.push(job.payload as GeneratePayload) });
      await queue.drain();
      await worker.close();
      expect(generations.map((g) => `${g.objectType}/${g.objectId}`)).toEqual([`notes/${personNote}`]);

      held.release();
      const [result] = await submit;
      expect(result!.status).toBe('applied');
      const ourNote = String(ourCreation[0]!.objectId);
      expect(result!.detail).toContain(ourNote);
      // Reconciled with the id: a later event on our note is an echo outright.
      expect(await isEcho(cache, classifyEvent(ourCreation[0]!)!, ourCreation[0]!, undefined)).toBe(true);
      expect(await writeback.audit({ runId, event: 'applied' })).toHaveLength(1);

      // HubSpot answered: the create's window is closed, so a person's note made now is plainly theirs (it was
      // 'maybe' for the window's whole 300 s before), while our note stays ours.
      received.length = 0;
      const later = await fetch(`${h.sandbox.url}/_sandbox/simulate/note`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ companyId: company, text: 'Asked for the invoice again.' }) });
      const laterNote = ((await later.json()) as { ids: { notes: string[] } }).ids.notes[0]!;
      await h.sandbox.flushWebhooks();
      const laterCreation = received.filter(isNoteCreation);
      expect(laterCreation.map((e) => String(e.objectId))).toEqual([laterNote]);
      const items = [...ourCreation, ...laterCreation].map((e) => ({ c: classifyEvent(e)!, e }));
      expect(await echoStates(cache, items, undefined)).toEqual(['ours', 'theirs']);
    } finally {
      release();
      await submitting.catch(() => undefined);
      await stack.close();
      await queue.close();
      await gateway.close();
      await proxy.close();
    }
  });
});

/** An HTTP proxy to `target` that can hold the answer to one request (made upstream already) until released. */
async function holdingProxy(target: string): Promise<{
  url: string;
  holdNext(method: string, path: string): { answered: Promise<void>; release: () => void };
  close(): Promise<void>;
}> {
  let hold: { method: string; path: string; answered: () => void; gate: Promise<void> } | undefined;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        const headers: Record<string, string> = {};
        for (const name of ['authorization', 'content-type', 'accept']) if (typeof req.headers[name] === 'string') headers[name] = req.headers[name];
        const upstream = await fetch(`${target}${req.url ?? '/'}`, { method: req.method, headers, ...(chunks.length ? { body: Buffer.concat(chunks) } : {}) });
        const body = Buffer.from(await upstream.arrayBuffer());
        const h = hold;
        if (h && req.method === h.method && (req.url ?? '').split('?')[0] === h.path) {
          hold = undefined;
          h.answered();
          await h.gate;
        }
        const out: Record<string, string> = {};
        upstream.headers.forEach((v, k) => {
          if (!['content-length', 'content-encoding', 'transfer-encoding', 'connection', 'keep-alive'].includes(k)) out[k] = v;
        });
        res.writeHead(upstream.status, out).end(body);
      })().catch((err: unknown) => res.writeHead(502).end(String(err)));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    holdNext(method, path) {
      let answered!: () => void;
      let release!: () => void;
      const answeredP = new Promise<void>((r) => (answered = r));
      const gate = new Promise<void>((r) => (release = r));
      hold = { method, path, answered, gate };
      return { answered: answeredP, release };
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
