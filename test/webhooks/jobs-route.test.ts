import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { createQueue } from '../../src/queue/create-queue.ts';
import { PermanentJobError, type JobQueue } from '../../src/queue/queue.ts';
import { uniqueName } from '../support/services.ts';
import { tempDir } from '../support/tmp.ts';
import { waitFor } from '../queue/queue.contract.ts';
import { buildWebhookApp } from './webhook-app.ts';

const tmp = tempDir('hsai-jobs-');
afterAll(() => tmp.cleanup());

let queue: JobQueue;
let app: FastifyInstance;
beforeEach(async () => {
  queue = await createQueue({ dataDir: tmp.dir, prefix: uniqueName('jobs'), defaultMaxAttempts: 2 });
  app = await buildWebhookApp(queue);
});
afterEach(async () => {
  await app.close();
  await queue.close();
});

describe('/v1/jobs admin routes', () => {
  it('reports stats, lists dead jobs and re-drives them', async () => {
    let broken = true;
    const w = queue.work({
      'generate.lead_score': async () => {
        if (broken) throw new PermanentJobError('agent lead_score is not implemented yet');
      },
    });
    const [id] = await queue.enqueue([{ type: 'generate.lead_score', payload: { objectId: '1' } }]);
    await waitFor(async () => (await queue.stats()).total.dead === 1);

    const stats = await app.inject({ method: 'GET', url: '/v1/jobs/stats' });
    expect(stats.statusCode).toBe(200);
    expect(stats.json()).toMatchObject({ backend: 'embedded', byType: { 'generate.lead_score': { dead: 1 } }, total: { dead: 1 } });

    const dead = await app.inject({ method: 'GET', url: '/v1/jobs/dead?limit=10' });
    expect(dead.json().jobs).toEqual([expect.objectContaining({ id, type: 'generate.lead_score', error: 'agent lead_score is not implemented yet', attempts: 1 })]);

    const bad = await app.inject({ method: 'POST', url: '/v1/jobs/dead/retry', payload: {} });
    expect(bad.statusCode).toBe(400);

    broken = false;
    const retried = await app.inject({ method: 'POST', url: '/v1/jobs/dead/retry', payload: { ids: [id] } });
    expect(retried.json()).toEqual({ retried: 1 });
    await queue.drain();
    expect((await app.inject({ method: 'GET', url: '/v1/jobs/dead' })).json().jobs).toEqual([]);
    expect((await app.inject({ method: 'POST', url: '/v1/jobs/dead/retry', payload: { all: true } })).json()).toEqual({ retried: 0 });
    await w.close();
  });
});
