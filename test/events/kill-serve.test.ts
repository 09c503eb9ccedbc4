import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createQueue } from '../../src/queue/create-queue.ts';
import { describeRedis, uniqueName } from '../support/services.ts';
import { tempDir } from '../support/tmp.ts';
import { waitFor } from '../queue/queue.contract.ts';
import { event, v3Headers } from '../webhooks/webhook-app.ts';
import { startServe } from './serve-process.ts';

const NOW = Date.UTC(2025, 0, 15, 12, 0, 0);
const PATH = '/webhooks/hubspot';
const BATCHES = 10;
const PER_BATCH = 20;
const tmp = tempDir('hsai-kill-');
afterAll(() => tmp.cleanup());

/**
 * kill -9 of `serve` after deliveries were acknowledged and before they were processed (the first process has no
 * workers), then a restart with workers: every acknowledged event must be processed.
 */
async function killAndRestart(redisUrl: string | undefined): Promise<void> {
  const dataDir = fs.mkdtempSync(path.join(tmp.dir, 'run-'));
  const outFile = path.join(dataDir, 'processed.jsonl');
  const env = { DATA_DIR: dataDir, QUEUE_PREFIX: uniqueName('kill'), REDIS_URL: redisUrl ?? '', OUT_FILE: outFile, FIXED_NOW: String(NOW) };

  const first = await startServe({ ...env, WORKERS: '0' });
  const expected = new Set<string>();
  for (let b = 0; b < BATCHES; b++) {
    const events = Array.from({ length: PER_BATCH }, (_, i) => {
      const id = b * PER_BATCH + i + 1;
      expected.add(String(id));
      return event({ subscriptionType: 'contact.propertyChange', objectId: id, occurredAt: NOW - 1000 + i, propertyName: 'firstname', propertyValue: `n${id}` });
    });
    const body = JSON.stringify(events);
    const res = await fetch(`http://127.0.0.1:${first.port}${PATH}`, { method: 'POST', body, headers: v3Headers(PATH, body, NOW) });
    expect(res.status).toBe(200);
  }
  first.child.kill('SIGKILL');
  expect(await first.exited).toBeNull();
  expect(fs.existsSync(outFile)).toBe(false);

  const second = await startServe({ ...env, WORKERS: '1' });
  const observer = await createQueue({ redisUrl, dataDir, prefix: env.QUEUE_PREFIX, defaultMaxAttempts: 5 });
  try {
    const processed = () => new Set(fs.existsSync(outFile) ? fs.readFileSync(outFile, 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { objectId: string }).objectId) : []);
    await waitFor(() => processed().size === expected.size, 60_000, 'every acknowledged event processed');
    await observer.drain(60_000);
    expect([...processed()].sort()).toEqual([...expected].sort());
    expect((await observer.stats()).total.dead).toBe(0);
  } finally {
    await observer.close();
    second.child.kill('SIGTERM');
    await second.exited;
  }
}

describe('kill -9 of serve with acknowledged, unprocessed events', () => {
  it('processes every event after a restart (embedded queue)', async () => {
    await killAndRestart(undefined);
  });
});

describeRedis('kill -9 of serve with acknowledged, unprocessed events', (redisUrl) => {
  it('processes every event after a restart (BullMQ)', async () => {
    await killAndRestart(redisUrl);
  });
});
