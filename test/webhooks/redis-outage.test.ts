import { createHash } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { createCache } from '../../src/cache/create-cache.ts';
import { processBatch, type BatchOutcome } from '../../src/events/process-batch.ts';
import type { WebhookBatchPayload } from '../../src/queue/jobs.ts';
import { createQueue } from '../../src/queue/create-queue.ts';
import { freePort } from '../../src/runtime/free-port.ts';
import { loadConfig } from '../../src/config/config.ts';
import { silentLogger } from '../../src/logging.ts';
import { createContainer } from '../../src/runtime/container.ts';
import { buildServiceApp } from '../../src/runtime/http.ts';
import { waitFor } from '../queue/queue.contract.ts';
import { hasRedisServer, startRedis, stopRedis } from '../support/redis-server.ts';
import { uniqueName } from '../support/services.ts';
import { tempDir } from '../support/tmp.ts';
import { buildWebhookApp, CLIENT_SECRET, event, PUBLIC_URL, v3Headers } from './webhook-app.ts';

/**
 * Redis down while HubSpot delivers. The queue waits for Redis to come back rather than failing, so the route
 * bounds that wait: the delivery is answered 503 in time for HubSpot to retry it, never left hanging, and never
 * 200 without a durable record. The add that was waiting still lands when Redis is back; with HubSpot's retry
 * that makes two jobs with the same events, and the event ledger processes each event once.
 */
const NOW = Date.UTC(2025, 0, 15, 12, 0, 0);
const tmp = tempDir('hsai-outage-');
afterAll(() => tmp.cleanup());

describe.skipIf(!hasRedisServer)('webhook deliveries while Redis is down (own redis-server)', () => {
  it('answers 503 UNAVAILABLE, then 200 to the retry, and every event is processed exactly once', async () => {
    const port = await freePort();
    let redis = await startRedis(port, tmp.dir, 'always');
    const queue = await createQueue({ redisUrl: `redis://127.0.0.1:${port}`, dataDir: tmp.dir, prefix: uniqueName('outage'), defaultMaxAttempts: 3 });
    const app = await buildWebhookApp(queue, { now: () => NOW, journalTimeoutMs: 300 });
    const cache = await createCache({ dataDir: tmp.dir });
    const deliver = (events: Array<Record<string, unknown>>) => {
      const body = JSON.stringify(events);
      return app.inject({ method: 'POST', url: '/webhooks/hubspot', payload: body, headers: v3Headers('/webhooks/hubspot', body, NOW) });
    };
    const workflowUrl = '/webhooks/hubspot/workflow?objectType=deals';
    const workflowBody = JSON.stringify({ portalId: 62515, objectId: 555, properties: { dealstage: 'closedwon' } });
    const workflow = () =>
      app.inject({
        method: 'POST',
        url: workflowUrl,
        payload: workflowBody,
        headers: {
          'content-type': 'application/json',
          'x-hubspot-signature': createHash('sha256').update(`${CLIENT_SECRET}POST${PUBLIC_URL}${workflowUrl}${workflowBody}`).digest('hex'),
          'x-hubspot-signature-version': 'v2',
        },
      });
    try {
      expect((await deliver([event({ subscriptionType: 'contact.creation', objectId: 101 })])).statusCode).toBe(200);

      await stopRedis(redis);
      const during = [
        event({ subscriptionType: 'deal.propertyChange', objectId: 7, propertyName: 'dealstage', propertyValue: 'closedwon' }),
        event({ subscriptionType: 'company.creation', objectId: 42 }),
      ];
      const refused = await deliver(during);
      expect(refused.statusCode).toBe(503);
      expect(refused.json()).toMatchObject({ error: { code: 'UNAVAILABLE' } });
      const refusedWorkflow = await workflow();
      expect(refusedWorkflow.statusCode).toBe(503);
      expect(refusedWorkflow.json()).toMatchObject({ error: { code: 'UNAVAILABLE' } });
      // The admin reads of the queue answer too, instead of waiting for Redis.
      const stats = await app.inject({ method: 'GET', url: '/v1/jobs/stats' });
      expect(stats.statusCode).toBe(503);
      expect(stats.json()).toMatchObject({ error: { code: 'UNAVAILABLE', message: expect.stringContaining('did not answer') } });

      redis = await startRedis(port, tmp.dir, 'always');
      // The queue reconnects on its own schedule (ioredis backs off up to 2 s); HubSpot's retry comes later still.
      await queue.stats();
      // HubSpot's retries: the same events, the next attempt number.
      expect((await deliver(during.map((e) => ({ ...e, attemptNumber: 1 })))).statusCode).toBe(200);
      expect((await workflow()).statusCode).toBe(200);

      const outcomes: BatchOutcome[] = [];
      const worker = queue.work({
        'webhook.batch': async (job) => void outcomes.push(await processBatch({ queue, cache, coalesceMs: 0 }, job.payload as WebhookBatchPayload, job.id)),
      });
      // Five journaled batches: the first, the two retries, and the two adds that waited out the outage.
      await waitFor(() => outcomes.length === 5, 20_000, 'five webhook batches');
      await worker.close();
      const sum = (k: keyof BatchOutcome) => outcomes.reduce((n, o) => n + o[k], 0);
      expect(sum('processed')).toBe(4);
      expect(sum('duplicate')).toBe(3);
    } finally {
      await app.close();
      await queue.close();
      await cache.close();
      await stopRedis(redis);
    }
  });

  it('answers a workflow action 503 through the whole service, and the retry joins the job that landed late', async () => {
    const port = await freePort();
    let redis = await startRedis(port, tmp.dir, 'always');
    const container = createContainer(
      loadConfig({
        DATA_DIR: tmp.dir,
        HUBSPOT_ACCESS_TOKEN: 'unused',
        HUBSPOT_CLIENT_SECRET: CLIENT_SECRET,
        WEBHOOK_PUBLIC_URL: PUBLIC_URL,
        WORKFLOW_ACTION_WAIT_MS: '0',
        REDIS_URL: `redis://127.0.0.1:${port}`,
        REDIS_PREFIX: uniqueName('outage-svc'),
        DATABASE_URL: '',
        QDRANT_URL: '',
      }),
      silentLogger,
    );
    const app = await buildServiceApp(container);
    const path = '/hubspot/actions/score-lead';
    const body = JSON.stringify({ callbackId: 'cb-outage-1', origin: { portalId: 62515 }, object: { objectId: 101, objectType: 'CONTACT' }, inputFields: {} });
    const execute = () => app.inject({ method: 'POST', url: path, payload: body, headers: v3Headers(path, body, Date.now()) });
    try {
      await stopRedis(redis);
      const refused = await execute();
      expect(refused.statusCode).toBe(503);
      expect(refused.json()).toMatchObject({ error: { code: 'UNAVAILABLE' } });

      redis = await startRedis(port, tmp.dir, 'always');
      const retried = await execute();
      expect(retried.statusCode).toBe(200);
      expect(retried.json()).toEqual({ outputFields: { hs_execution_state: 'BLOCK', hs_expiration_duration: 'P1D' } });
      const queue = await container.queue();
      await waitFor(async () => (await queue.stats()).total.waiting >= 1, 20_000, 'the action job');
      expect((await queue.stats()).total.waiting).toBe(1);
    } finally {
      await app.close();
      await container.close();
      await stopRedis(redis);
    }
  });
});
