import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.ts';
import { silentLogger } from '../../src/logging.ts';
import { createContainer, type Container } from '../../src/runtime/container.ts';
import { queuePath, sqlitePath } from '../../src/db/sqlite.ts';
import { metricsText } from '../../src/metrics.ts';
import { tempDir } from '../support/tmp.ts';
import { waitFor } from '../queue/queue.contract.ts';

const tmp = tempDir('hsai-containers-');
afterAll(() => tmp.cleanup());

function embedded(dir: string, env: Record<string, string> = {}): Container {
  return createContainer(loadConfig({ DATA_DIR: dir, HUBSPOT_ACCESS_TOKEN: 'unused', REDIS_URL: '', DATABASE_URL: '', QDRANT_URL: '', ...env }), silentLogger);
}

/** Touches every SQLite-backed part: the SQL layer (with its migrations), the cache, the queue, the vector store. */
async function use(c: Container, key: string): Promise<void> {
  await (await c.cache()).set(key, Buffer.from(key));
  await (await c.queue()).enqueue([{ type: 'ingest.account', payload: { key }, key }]);
  await (await c.store()).ping();
  await (await c.sql()).db.selectNoFrom((eb) => eb.val(1).as('one')).execute();
  await (await c.scorers()).latestId('p1');
}

describe('the container owns its state', () => {
  it('two containers in one process share no connection, thread or cache, and leave nothing open when closed', async () => {
    const a = embedded(path.join(tmp.dir, 'a'));
    const b = embedded(path.join(tmp.dir, 'b'));
    await use(a, 'only-in-a');
    await use(b, 'only-in-b');

    // The data file and the queue journal's own file.
    const files = (dir: string) => [sqlitePath(dir), queuePath(dir)].map((f) => path.resolve(f)).sort();
    expect(a.held().sqliteFiles.sort()).toEqual(files(path.join(tmp.dir, 'a')));
    expect(b.held().sqliteFiles.sort()).toEqual(files(path.join(tmp.dir, 'b')));
    expect(a.held().checkpointThread).toBe(true);
    expect(b.held().checkpointThread).toBe(true);
    // No cross-talk: each sees only its own data.
    expect((await (await a.cache()).get('only-in-b'))).toBeNull();
    expect(await (await b.cache()).get('only-in-a')).toBeNull();
    expect((await (await a.queue()).stats()).total.waiting).toBe(1);
    expect((await (await b.queue()).stats()).total.waiting).toBe(1);

    await a.close();
    expect(a.held()).toEqual({ sqliteFiles: [], checkpointThread: false });
    // The other container is untouched by the first one's close.
    expect((await (await b.cache()).get('only-in-b'))?.toString()).toBe('only-in-b');
    expect(b.held().checkpointThread).toBe(true);
    await b.close();
    expect(b.held()).toEqual({ sqliteFiles: [], checkpointThread: false });
  });

  it('two containers on the same data directory each hold their own connection; closing one leaves the other working', async () => {
    const dir = path.join(tmp.dir, 'same');
    const a = embedded(dir);
    const b = embedded(dir);
    await use(a, 'written-by-a');
    await use(b, 'written-by-b');
    // The same file, so each reads what the other wrote, through its own connection.
    expect((await (await b.cache()).get('written-by-a'))?.toString()).toBe('written-by-a');
    await a.close();
    expect(a.held()).toEqual({ sqliteFiles: [], checkpointThread: false });
    expect((await (await b.cache()).get('written-by-a'))?.toString()).toBe('written-by-a');
    expect(await (await b.queue()).ping()).toBeUndefined();
    await b.close();
    expect(b.held()).toEqual({ sqliteFiles: [], checkpointThread: false });
  });

  it("two containers' scrape-time metrics are their own: each counts its own queue, and a closed one's are gone", async () => {
    const a = embedded(path.join(tmp.dir, 'metrics-a'));
    const b = embedded(path.join(tmp.dir, 'metrics-b'));
    try {
      const qa = await a.queue();
      const qb = await b.queue();
      await qa.enqueue([{ type: 'ingest.account', payload: { key: 'a1' }, key: 'a1' }]);
      await qa.enqueue([{ type: 'ingest.account', payload: { key: 'a2' }, key: 'a2' }]);
      await qb.enqueue([{ type: 'ingest.account', payload: { key: 'b1' }, key: 'b1' }]);
      const waiting = async (c: Container) => {
        const { body } = await metricsText(c.metrics);
        return Number(/hubspot_ai_queue_jobs\{type="ingest\.account",state="waiting"\} (\d+)/.exec(body)?.[1]);
      };
      expect(a.metrics).not.toBe(b.metrics);
      expect(await waiting(a)).toBe(2);
      expect(await waiting(b)).toBe(1);
      await a.close();
      expect(await a.metrics.registry.getMetricsAsJSON()).toEqual([]);
      expect(await waiting(b)).toBe(1);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('two containers count apart: their counters, portal labels, tracing and lookups cache are their own, and closing one empties only its own', async () => {
    // a labels the first portal it sees and traces (to a collector that is never reached); b labels only p2.
    const a = embedded(path.join(tmp.dir, 'counters-a'), { METRICS_PORTAL_LABELS: '1', METRICS_TOKEN: 'a-metrics-token-0123456789', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9' });
    const b = embedded(path.join(tmp.dir, 'counters-b'), { METRICS_PORTALS: 'p2', METRICS_TOKEN: 'a-metrics-token-0123456789' });
    const run = async (c: Container, portals: string[]) => {
      const q = await c.queue();
      await q.enqueue(portals.map((portalId, i) => ({ type: 'ingest.account' as const, payload: { portalId, accountId: `acc-${i}` }, key: `${portalId}-${i}` })));
      const worker = q.work({ 'ingest.account': async () => undefined });
      try {
        await waitFor(async () => (await q.stats())['ingest.account'].completed === portals.length, 20_000, 'the jobs to complete');
      } finally {
        await worker.close(5_000);
      }
    };
    const jobs = async (c: Container) =>
      Object.fromEntries(
        (await c.metrics.portalJobs.get()).values.filter((v) => v.labels.outcome === 'completed').map((v) => [String(v.labels.portal), v.value]),
      );
    try {
      await run(a, ['p1', 'p2', 'p1']);
      await run(b, ['p1', 'p2']);
      // a saw p1 first and labels one portal; b labels only the configured p2. Neither sees the other's jobs.
      expect(await jobs(a)).toEqual({ p1: 2, other: 1 });
      expect(await jobs(b)).toEqual({ other: 1, p2: 1 });
      expect((await a.metrics.jobDuration.get()).values.find((v) => v.metricName === 'hubspot_ai_job_duration_seconds_count')?.value).toBe(3);
      expect((await b.metrics.jobDuration.get()).values.find((v) => v.metricName === 'hubspot_ai_job_duration_seconds_count')?.value).toBe(2);
      expect((await metricsText(b.metrics)).body).toMatch(/hubspot_ai_portal_jobs_total\{portal="p2",type="ingest\.account",outcome="completed"\} 1/);
      // /metrics still shows the process's own metrics beside the container's.
      expect((await metricsText(a.metrics)).body).toContain('# TYPE process_cpu_user_seconds_total');

      expect((await a.tracing()).enabled).toBe(true);
      expect((await b.tracing()).enabled).toBe(false);
      expect(a.lookups).not.toBe(b.lookups);

      await a.close();
      expect(await a.metrics.registry.getMetricsAsJSON()).toEqual([]);
      expect(await jobs(b)).toEqual({ other: 1, p2: 1 });
    } finally {
      await a.close();
      await b.close();
    }
  });
});
