import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { createQueue } from '../../src/queue/create-queue.ts';
import { freePort } from '../../src/runtime/free-port.ts';
import { startSandbox, type SandboxHandle } from '../../src/sandbox/index.ts';
import { startCli, stopCli, waitUntilServing } from '../support/cli-process.ts';
import { redisUrl, uniqueName } from '../support/services.ts';
import { tempDir } from '../support/tmp.ts';
import { waitFor } from '../queue/queue.contract.ts';

/**
 * The compiled JavaScript (`npm run build`, what the container image runs: `node dist/main.js`) serves, works
 * jobs, answers health checks and stops cleanly, with no TypeScript at run time. CI builds before testing;
 * locally the suite skips until `npm run build` has run.
 */
const MAIN = path.resolve('dist/main.js');
const built = fs.existsSync(MAIN);
const CI = process.env.CI === 'true' || process.env.CI === '1';
if (!built && CI) throw new Error('dist/main.js is missing but CI=true: run `npm run build` before the tests');
if (!built) console.warn('[skipped] compiled JavaScript: run `npm run build` first');

const run = (args: string[], env: Record<string, string>) => startCli(args, env, [MAIN]);

const compose = YAML.parse(fs.readFileSync('docker-compose.yml', 'utf8')) as { services: Record<string, { healthcheck?: { test: string[] } }> };
const PROMETHEUS_ACCEPT = 'application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1';
/** `name{label="value",...} number` of the Prometheus text format. */
const SAMPLE_LINE = /^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="(\\.|[^"\\])*",?)*\})? (-?[0-9.e+-]+|NaN|\+Inf|-Inf)( \d+)?$/;

describe.skipIf(!built)('compiled JavaScript (dist/)', () => {
  const tmp = tempDir('hsai-dist-');
  let sandbox: SandboxHandle;
  beforeAll(async () => {
    sandbox = await startSandbox({ port: 0, companies: 5, rateLimit: 0 });
  });
  afterAll(async () => {
    await sandbox?.close();
    tmp.cleanup();
  });

  it('runs serve: health, API docs, the review page assets, a clean stop', async () => {
    const port = await freePort();
    const p = run(['serve'], { DATA_DIR: fs.mkdtempSync(path.join(tmp.dir, 's-')), PORT: String(port), HUBSPOT_BASE_URL: sandbox.url, HUBSPOT_CLIENT_SECRET: 'dist-secret' });
    try {
      await waitUntilServing(p, `http://127.0.0.1:${port}/healthz`);
      const base = `http://127.0.0.1:${port}`;
      expect((await fetch(`${base}/docs/json`)).status).toBe(200);
      expect((await fetch(`${base}/review`)).status).toBe(200);
      expect((await fetch(`${base}/review/assets/review.js`)).headers.get('content-type')).toMatch(/javascript/);
      // The container's HEALTHCHECK script, compiled too.
      const hc = startCli(['--port', String(port), '--path', '/readyz'], {}, [path.resolve('dist/healthcheck.js')]);
      expect(await hc.exited).toEqual({ code: 0, signal: null });
      p.child.kill('SIGTERM');
      expect(await p.exited).toEqual({ code: 0, signal: null });
    } finally {
      await stopCli(p);
    }
  }, 300_000);

  it('runs a backfill (worker threads included) and, with Redis, a worker that completes a job', async () => {
    const dataDir = fs.mkdtempSync(path.join(tmp.dir, 'w-'));
    const env = { DATA_DIR: dataDir, HUBSPOT_BASE_URL: sandbox.url, HUBSPOT_ACCESS_TOKEN: sandbox.token };
    const backfill = run(['backfill', '--nice', '0', '--json'], env);
    expect((await backfill.exited).code, backfill.stderr()).toBe(0);
    expect(JSON.parse(backfill.stdout())).toMatchObject({ accounts: expect.any(Number) });

    const url = redisUrl();
    if (!url) return; // the BullMQ worker needs Redis (CI has it)
    const prefix = uniqueName('dist');
    const workerPort = await freePort();
    const queue = await createQueue({ redisUrl: url, dataDir, prefix, defaultMaxAttempts: 3 });
    const w = run(['worker'], { ...env, REDIS_URL: url, REDIS_PREFIX: prefix, WORKER_PORT: String(workerPort) });
    try {
      await waitUntilServing(w, `http://127.0.0.1:${workerPort}/healthz`);
      const contact = ((await (await fetch(`${sandbox.url}/crm/v3/objects/contacts?limit=1`, { headers: { authorization: `Bearer ${sandbox.token}` } })).json()) as { results: Array<{ id: string }> }).results[0]!.id;
      await queue.enqueue([{ type: 'ingest.record', payload: { portalId: sandbox.portalId, objectType: 'contacts', objectId: contact, reason: 'manual', occurredAt: Date.now() } }]);
      await waitFor(async () => (await queue.stats())['ingest.record'].completed === 1, 150_000, 'the job completed by the compiled worker');
      // Scraped as Prometheus scrapes it (its Accept header): the text exposition format, every sample well formed.
      const scrape = await fetch(`http://127.0.0.1:${workerPort}/metrics`, { headers: { accept: PROMETHEUS_ACCEPT } });
      expect(scrape.status).toBe(200);
      expect(scrape.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
      const exposition = await scrape.text();
      expect(exposition).toMatch(/hubspot_ai_job_duration_seconds_count\{type="ingest.record",outcome="completed"\} 1/);
      const samples = exposition.split('\n').filter((l) => l && !l.startsWith('#'));
      expect(samples.length).toBeGreaterThan(50);
      for (const l of samples) expect(l).toMatch(SAMPLE_LINE);
      // Healthy as compose sees it: the worker service's own HEALTHCHECK command, pointed at this worker's port.
      const check = compose.services.worker!.healthcheck!.test;
      expect(check.slice(0, 2)).toEqual(['CMD', 'node']);
      const args = check.slice(3).map((a, i, all) => (all[i - 1] === '--port' ? String(workerPort) : a));
      const hc = startCli(args, {}, [path.resolve(check[2]!)]);
      expect(await hc.exited, hc.stderr()).toEqual({ code: 0, signal: null });
      w.child.kill('SIGTERM');
      expect((await w.exited).code).toBe(0);
    } finally {
      await stopCli(w);
      await queue.close();
    }
  }, 300_000);
});
