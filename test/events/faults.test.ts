import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { SqliteKv } from '../../src/cache/sqlite-kv.ts';
import { createWebhookBatchHandler } from '../../src/events/process-batch.ts';
import { generationSpecs } from '../../src/events/ingest-jobs.ts';
import { DEFAULT_ROUTING } from '../../src/events/routing.ts';
import { createQueue } from '../../src/queue/create-queue.ts';
import type { GeneratePayload, IngestRecordPayload } from '../../src/queue/jobs.ts';
import type { JobQueue, WorkerHandle } from '../../src/queue/queue.ts';
import { describeRedis, uniqueName } from '../support/services.ts';
import { tempDir } from '../support/tmp.ts';
import { buildWebhookApp, event, v3Headers } from '../webhooks/webhook-app.ts';

const NOW = Date.UTC(2025, 0, 15, 12, 0, 0);
const PATH = '/webhooks/hubspot';
const tmp = tempDir('hsai-faults-');
afterAll(() => tmp.cleanup());

/**
 * A HubSpot-shaped peer over real HTTP: `GET /crm/v3/objects/deals/:id`. Scripted answers per id are served
 * first (503, 429 with Retry-After), then the record's current state; unknown ids are 404 (deleted).
 */
class FakePortal {
  readonly records = new Map<string, Record<string, string>>();
  readonly script = new Map<string, Array<{ status: number; headers?: Record<string, string> }>>();
  readonly requests: string[] = [];
  private server = http.createServer((req, res) => {
    const id = /\/crm\/v3\/objects\/deals\/(\d+)/.exec(req.url ?? '')?.[1] ?? '';
    this.requests.push(id);
    const scripted = this.script.get(id)?.shift();
    if (scripted) {
      res.writeHead(scripted.status, { 'content-type': 'application/json', ...scripted.headers });
      return res.end(JSON.stringify({ status: 'error', message: 'scripted failure', errorType: scripted.status === 429 ? 'RATE_LIMIT' : 'INTERNAL' }));
    }
    const record = this.records.get(id);
    res.writeHead(record ? 200 : 404, { 'content-type': 'application/json' });
    res.end(JSON.stringify(record ? { id, properties: record } : { status: 'error', message: 'resource not found' }));
  });
  url = '';
  async start(): Promise<void> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }
  async stop(): Promise<void> {
    await new Promise((r) => this.server.close(r));
  }
}

function faultSuite(redisUrl: string | undefined): void {
  let queue: JobQueue;
  let cache: SqliteKv;
  let app: FastifyInstance;
  let worker: WorkerHandle;
  let portal: FakePortal;
  let ingested: Array<{ id: string; state: Record<string, string> | 'deleted'; attempt: number }>;
  let summaries: GeneratePayload[];

  beforeEach(async () => {
    portal = new FakePortal();
    await portal.start();
    ingested = [];
    summaries = [];
    queue = await createQueue({ redisUrl, dataDir: tmp.dir, prefix: uniqueName('faults'), defaultMaxAttempts: 5, backoffBaseMs: 20 });
    cache = new SqliteKv({ file: `${tmp.dir}/${uniqueName('kv')}.db` });
    app = await buildWebhookApp(queue, { now: () => NOW });
    worker = queue.work(
      {
        'webhook.batch': createWebhookBatchHandler({ queue, cache, coalesceMs: 50, rules: DEFAULT_ROUTING }),
        // The shape of the real ingest job: read the record's current state; a 404 means it was deleted meanwhile.
        'ingest.record': async (job) => {
          const p = job.payload as IngestRecordPayload;
          const res = await fetch(`${portal.url}/crm/v3/objects/${p.objectType}/${p.objectId}`, { signal: job.signal });
          if (res.status === 404) return void ingested.push({ id: p.objectId, state: 'deleted', attempt: job.attempt });
          if (res.status === 429 || res.status >= 500) {
            const retryAfter = Number(res.headers.get('retry-after') ?? NaN);
            throw Object.assign(new Error(`HubSpot answered ${res.status}`), Number.isFinite(retryAfter) ? { retryAfterMs: retryAfter * 1000 } : {});
          }
          const body = (await res.json()) as { properties: Record<string, string> };
          ingested.push({ id: p.objectId, state: body.properties, attempt: job.attempt });
          // Then, like the real job, the generations it carries, for the account it found (one here).
          await queue.enqueue(generationSpecs(p, { current: [`company-of-${p.objectId}`], versions: new Map([[`company-of-${p.objectId}`, 'v']]) }));
        },
        'generate.account_summary': async (job) => void summaries.push(job.payload as GeneratePayload),
        'generate.lead_score': async () => undefined,
        'generate.enrichment': async () => undefined,
      },
      { concurrency: 4 },
    );
  });
  afterEach(async () => {
    await worker.close();
    await app.close();
    await queue.close();
    await cache.close();
    await portal.stop();
  });

  const deliver = async (events: Array<Record<string, unknown>>) => {
    const body = JSON.stringify(events);
    const res = await app.inject({ method: 'POST', url: PATH, payload: body, headers: v3Headers(PATH, body, NOW) });
    expect(res.statusCode).toBe(200);
  };
  const stageChange = (id: number, stage: string, at: number, eventId: number) =>
    event({ eventId, subscriptionType: 'deal.propertyChange', objectId: id, occurredAt: at, propertyName: 'dealstage', propertyValue: stage });

  it('retries a job through HubSpot 503 and 429 answers and finishes it later', async () => {
    portal.records.set('1', { dealstage: 'closedwon' });
    portal.script.set('1', [{ status: 503 }, { status: 429, headers: { 'retry-after': '0' } }]);
    await deliver([stageChange(1, 'closedwon', NOW - 1000, 1)]);
    await queue.drain(30_000);
    expect(portal.requests.filter((id) => id === '1')).toHaveLength(3);
    expect(ingested).toEqual([{ id: '1', state: { dealstage: 'closedwon' }, attempt: 3 }]);
    expect((await queue.stats()).total).toMatchObject({ dead: 0, failed: 0 });
  });

  it('ends a job for a record deleted meanwhile cleanly', async () => {
    await deliver([stageChange(2, 'closedwon', NOW - 1000, 2)]);
    await queue.drain(30_000);
    expect(ingested).toEqual([{ id: '2', state: 'deleted', attempt: 1 }]);
    expect((await queue.stats()).total.dead).toBe(0);
  });

  it('has one effect, on the newest state, for a batch delivered twice and an older event arriving late', async () => {
    portal.records.set('3', { dealstage: 'closedwon' });
    const newest = stageChange(3, 'closedwon', NOW - 1000, 31);
    const older = stageChange(3, 'negotiation', NOW - 5000, 30);
    await deliver([newest]);
    await queue.drain(30_000);
    await deliver([{ ...newest, attemptNumber: 1 }]); // HubSpot's redelivery of the same batch
    await deliver([older]); // out of order: older than what was processed
    await queue.drain(30_000);
    expect(ingested).toEqual([{ id: '3', state: { dealstage: 'closedwon' }, attempt: 1 }]);
    expect(summaries).toHaveLength(1);
    expect(summaries[0]!.trigger).toMatchObject({ propertyValue: 'closedwon' });
  });
}

describe('faults during processing (embedded queue)', () => faultSuite(undefined));
describeRedis('faults during processing (BullMQ)', (url) => faultSuite(url));
