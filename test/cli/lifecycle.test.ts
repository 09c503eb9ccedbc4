import net from 'node:net';
import path from 'node:path';
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createQueue } from '../../src/queue/create-queue.ts';
import { freePort } from '../../src/runtime/free-port.ts';
import { startSandbox, type SandboxHandle } from '../../src/sandbox/index.ts';
import { signV3 } from '../../src/webhooks/verify-signature.ts';
import { startCli, stopCli, waitUntilServing, type CliProcess } from '../support/cli-process.ts';
import { runCli } from '../support/cli.ts';
import { describeRedis, uniqueName } from '../support/services.ts';
import { tempDir } from '../support/tmp.ts';
import { waitFor } from '../queue/queue.contract.ts';

/**
 * The process lifecycle as an operator meets it: unreachable dependencies end a command with exit code 4 and
 * one line; SIGTERM stops an idle process at once and a busy one within SHUTDOWN_GRACE_MS, handing unfinished
 * jobs back to the queue.
 */

const tmp = tempDir('hsai-lifecycle-');
let sandbox: SandboxHandle;
const silent = new Set<net.Socket>();
let silentServer: net.Server;
let silentPort: number;
let refusedPort: number;

beforeAll(async () => {
  sandbox = await startSandbox({ port: 0, companies: 5, rateLimit: 0 });
  // Accepts connections and never answers: the worst kind of unreachable (no error, only silence).
  silentServer = net.createServer((s) => {
    silent.add(s);
    s.on('close', () => silent.delete(s));
  });
  await new Promise<void>((r) => silentServer.listen(0, '127.0.0.1', r));
  silentPort = (silentServer.address() as net.AddressInfo).port;
  refusedPort = await freePort();
}, 180_000);

afterAll(async () => {
  for (const s of silent) s.destroy();
  silentServer?.close();
  await sandbox?.close();
  tmp.cleanup();
});

function dataDir(): string {
  return fs.mkdtempSync(path.join(tmp.dir, 'd-'));
}

const timed = async <T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> => {
  const t0 = performance.now();
  const value = await fn();
  return { ms: performance.now() - t0, value };
};

describe('unreachable dependencies', () => {
  it('end a command with exit code 4 and one line naming the dependency, within seconds', async () => {
    const base = { DATA_DIR: dataDir(), HUBSPOT_BASE_URL: sandbox.url, HUBSPOT_ACCESS_TOKEN: sandbox.token };
    // What starting the CLI itself costs on this machine right now (tsx, config): the checks come on top.
    const startup = (await timed(() => runCli(['config'], base))).ms;
    const cases: Array<{ name: string; args: string[]; env: Record<string, string>; says: RegExp }> = [
      { name: 'Redis (silent)', args: ['backfill', '--json'], env: { REDIS_URL: `redis://127.0.0.1:${silentPort}` }, says: /^hubspot-ai: Redis at redis:\/\/127\.0\.0\.1:\d+ is unreachable: no answer within/ },
      { name: 'Redis (refused)', args: ['jobs', 'stats', '--json'], env: { REDIS_URL: `redis://127.0.0.1:${refusedPort}` }, says: /^hubspot-ai: Redis at .* is unreachable: connect ECONNREFUSED/ },
      { name: 'PostgreSQL', args: ['backfill', '--json'], env: { DATABASE_URL: `postgres://app:pw@127.0.0.1:${silentPort}/x` }, says: /^hubspot-ai: PostgreSQL at postgres:\/\/app:\*+@127\.0\.0\.1:\d+\/x is unreachable/ },
      { name: 'Qdrant', args: ['backfill', '--json'], env: { QDRANT_URL: `http://127.0.0.1:${silentPort}` }, says: /^hubspot-ai: Qdrant at .* is unavailable: no answer in time/ },
      { name: 'HubSpot', args: ['backfill', '--json'], env: { HUBSPOT_BASE_URL: `http://127.0.0.1:${silentPort}` }, says: /^hubspot-ai: HubSpot at .* is unavailable: no answer in time/ },
      { name: 'HubSpot (worker)', args: ['worker'], env: { HUBSPOT_BASE_URL: `http://127.0.0.1:${refusedPort}` }, says: /^hubspot-ai: HubSpot at .* is unavailable: ECONNREFUSED/ },
    ];
    for (const c of cases) {
      // One at a time: the time limit is about the checks, not about processes competing for two cores.
      const { ms, value: r } = await timed(() => runCli(c.args, { ...base, ...c.env }));
      expect(r.code, `${c.name}: ${r.stderr}`).toBe(4);
      expect(r.stderr.trim().split('\n'), c.name).toHaveLength(1);
      expect(r.stderr.trim(), c.name).toMatch(c.says);
      expect(r.stderr, c.name).not.toContain(':pw@');
      // The checks give up after 2 s (without them a silent peer holds a command for 15 s to forever); the bound
      // leaves room for a loaded machine.
      expect(ms - startup, `${c.name} took ${Math.round(ms)} ms (start-up ${Math.round(startup)} ms)`).toBeLessThan(10_000);
    }
  }, 180_000);
});

/** A signed HubSpot delivery with one contact change in the sandbox's portal (others are dropped), posted to a listening `serve`. */
async function deliverContactChange(port: number, secret: string, contactId: string, portalId: string): Promise<void> {
  const url = `http://127.0.0.1:${port}/webhooks/hubspot`;
  const body = JSON.stringify([
    { eventId: Date.now(), subscriptionId: 1, portalId: Number(portalId), appId: 1, occurredAt: Date.now(), attemptNumber: 0, subscriptionType: 'contact.propertyChange', objectId: Number(contactId), propertyName: 'firstname', propertyValue: 'Ada', changeSource: 'CRM_UI' },
  ]);
  const ts = Date.now();
  const res = await fetch(url, {
    method: 'POST',
    body,
    headers: { 'content-type': 'application/json', 'x-hubspot-signature-v3': signV3({ method: 'POST', uri: url, rawBody: body, timestamp: ts, clientSecret: secret }), 'x-hubspot-request-timestamp': String(ts) },
  });
  expect(res.status).toBe(200);
}

function shutdownMs(p: CliProcess): number {
  const line = p.logs().find((l) => l.msg === 'shut down');
  expect(line, p.stderr().slice(-2000)).toBeDefined();
  return line!.shutdownMs as number;
}

describe('serve shutdown', () => {
  it('stops in well under 2 s when idle', async () => {
    const port = await freePort();
    const p = startCli(['serve'], { DATA_DIR: dataDir(), PORT: String(port), HUBSPOT_BASE_URL: sandbox.url, HUBSPOT_CLIENT_SECRET: 'secret-1', SHUTDOWN_GRACE_MS: '30000' });
    try {
      await waitUntilServing(p, `http://127.0.0.1:${port}/healthz`);
      p.child.kill('SIGTERM');
      expect(await p.exited).toEqual({ code: 0, signal: null });
      // Measured by the process from the signal to the end of its shutdown; a 30 s grace period must not matter
      // (idle, it takes a few hundred ms; the bound leaves room for a loaded machine).
      expect(shutdownMs(p)).toBeLessThan(10_000);
    } finally {
      await stopCli(p);
    }
  });

  it('hands a job still running after SHUTDOWN_GRACE_MS back to the queue, where it runs again', async () => {
    const dir = dataDir();
    const port = await freePort();
    const contactId = await firstContact(sandbox);
    const env = { DATA_DIR: dir, PORT: String(port), HUBSPOT_BASE_URL: sandbox.url, HUBSPOT_ACCESS_TOKEN: sandbox.token, HUBSPOT_CLIENT_SECRET: 'secret-2', WEBHOOK_COALESCE_MS: '0', SHUTDOWN_GRACE_MS: '1500' };
    const busy = startCli(['serve'], env);
    try {
      await waitUntilServing(busy, `http://127.0.0.1:${port}/healthz`);
      // Its worker process has started (and checked HubSpot) once serve says it is serving.
      await waitFor(() => busy.logs().some((l) => l.msg === 'hubspot-ai is serving'), 60_000, 'serve started its workers');
      // From now on every HubSpot call takes a minute: the job is certainly still running at shutdown.
      sandbox.setFaults({ latencyMs: 60_000 });
      const before = sandbox.metrics().requests;
      await deliverContactChange(port, env.HUBSPOT_CLIENT_SECRET, contactId, sandbox.portalId);
      await waitFor(() => sandbox.metrics().requests > before, 30_000, 'the ingest job calling HubSpot');
      busy.child.kill('SIGTERM');
      expect(await busy.exited).toEqual({ code: 0, signal: null });
      const took = shutdownMs(busy);
      expect(took).toBeGreaterThanOrEqual(1_400);
      expect(took).toBeLessThan(1_500 + 10_000); // the job itself would hold it for a minute
    } finally {
      sandbox.setFaults({ latencyMs: 0 });
      await stopCli(busy);
    }
    const queue = await createQueue({ dataDir: dir, defaultMaxAttempts: 8 });
    try {
      const s = (await queue.stats())['ingest.record'];
      expect(s.active).toBe(0);
      expect(s.waiting + s.delayed).toBe(1);
      expect(s.dead).toBe(0);
    } finally {
      await queue.close();
    }
    // Another process (here: the next start, against a portal that answers) runs it to completion.
    const again = startCli(['serve'], env);
    try {
      await waitUntilServing(again, `http://127.0.0.1:${port}/healthz`);
      const observer = await createQueue({ dataDir: dir, defaultMaxAttempts: 8 });
      try {
        await waitFor(async () => (await observer.stats())['ingest.record'].completed === 1, 60_000, 'the handed-back job completed');
      } finally {
        await observer.close();
      }
    } finally {
      again.child.kill('SIGTERM');
      await again.exited;
    }
  }, 180_000);
});

describe('serve workers', () => {
  const alive = (pid: number) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };

  it('run in a child process that stops with serve, even after kill -9, handing its running job back', { timeout: 240_000 }, async () => {
    const dir = dataDir();
    const port = await freePort();
    const contactId = await firstContact(sandbox);
    const env = { DATA_DIR: dir, PORT: String(port), WORKER_PORT: '0', HUBSPOT_BASE_URL: sandbox.url, HUBSPOT_ACCESS_TOKEN: sandbox.token, HUBSPOT_CLIENT_SECRET: 'secret-3', WEBHOOK_COALESCE_MS: '0', SHUTDOWN_GRACE_MS: '1500' };
    const p = startCli(['serve'], env);
    let workerPid = 0;
    try {
      await waitUntilServing(p, `http://127.0.0.1:${port}/healthz`);
      await waitFor(() => p.logs().some((l) => l.msg === 'hubspot-ai is serving'), 60_000, 'serve started its workers');
      workerPid = p.logs().find((l) => l.msg === 'hubspot-ai is serving')!.workerPid as number;
      expect(workerPid).toBeGreaterThan(0);
      expect(workerPid).not.toBe(p.child.pid);
      expect(alive(workerPid)).toBe(true);

      sandbox.setFaults({ latencyMs: 60_000 });
      const before = sandbox.metrics().requests;
      await deliverContactChange(port, env.HUBSPOT_CLIENT_SECRET, contactId, sandbox.portalId);
      await waitFor(() => sandbox.metrics().requests > before, 30_000, 'the ingest job calling HubSpot (in the worker process)');
      p.child.kill('SIGKILL');
      await p.exited;
      // The worker notices that serve is gone, stops within its grace period and exits: no orphan.
      await waitFor(() => !alive(workerPid), 30_000, 'the worker process exited after serve was killed');
    } finally {
      sandbox.setFaults({ latencyMs: 0 });
      await stopCli(p);
      if (workerPid && alive(workerPid)) process.kill(workerPid, 'SIGKILL');
    }
    const queue = await createQueue({ dataDir: dir, defaultMaxAttempts: 8 });
    try {
      const s = (await queue.stats())['ingest.record'];
      expect(s.active).toBe(0);
      expect(s.waiting + s.delayed).toBe(1);
    } finally {
      await queue.close();
    }
    const again = startCli(['serve'], env);
    try {
      await waitUntilServing(again, `http://127.0.0.1:${port}/healthz`);
      const observer = await createQueue({ dataDir: dir, defaultMaxAttempts: 8 });
      try {
        await waitFor(async () => (await observer.stats())['ingest.record'].completed === 1, 60_000, 'the handed-back job completed');
      } finally {
        await observer.close();
      }
    } finally {
      again.child.kill('SIGTERM');
      await again.exited;
    }
  });
});

async function firstContacts(sb: SandboxHandle, n: number): Promise<string[]> {
  const r = await fetch(`${sb.url}/crm/v3/objects/contacts?limit=${n}`, { headers: { authorization: `Bearer ${sb.token}` } });
  const body = (await r.json()) as { results: Array<{ id: string }> };
  return body.results.map((c) => c.id);
}

async function firstContact(sb: SandboxHandle): Promise<string> {
  const r = await fetch(`${sb.url}/crm/v3/objects/contacts?limit=1`, { headers: { authorization: `Bearer ${sb.token}` } });
  const body = (await r.json()) as { results: Array<{ id: string }> };
  return body.results[0]!.id;
}

describeRedis('worker', (redisUrl) => {
  let prefix: string;
  beforeAll(() => {
    prefix = uniqueName('lifecycle');
  });

  it('serves /metrics, /healthz and /readyz on WORKER_PORT, and hands a running job back on SIGTERM', async () => {
    const dir = dataDir();
    const workerPort = await freePort();
    const env = { DATA_DIR: dir, REDIS_URL: redisUrl, REDIS_PREFIX: prefix, WORKER_PORT: String(workerPort), HUBSPOT_BASE_URL: sandbox.url, HUBSPOT_ACCESS_TOKEN: sandbox.token, SHUTDOWN_GRACE_MS: '1500' };
    const producer = await createQueue({ redisUrl, dataDir: dir, prefix, defaultMaxAttempts: 8 });
    const w = startCli(['worker'], env);
    try {
      await waitUntilServing(w, `http://127.0.0.1:${workerPort}/healthz`);
      // Ready once every backend answers (the first check opens them, which takes a moment on a busy machine).
      await waitUntilServing(w, `http://127.0.0.1:${workerPort}/readyz`);
      const ready = await fetch(`http://127.0.0.1:${workerPort}/readyz`);
      expect(ready.status).toBe(200);
      expect(((await ready.json()) as { checks: Array<{ name: string }> }).checks.map((c) => c.name)).toContain('redis-queue');

      const [contactId, warmId] = await firstContacts(sandbox, 2);
      // The worker takes jobs once its start-up lookup of the token's portal has answered, which can come after
      // /readyz on a busy machine: a first job completed says it is consuming, so the slow HubSpot below delays
      // the job under test and not that lookup.
      await producer.enqueue([{ type: 'ingest.record', payload: { portalId: sandbox.portalId, objectType: 'contacts', objectId: warmId!, reason: 'manual', occurredAt: Date.now() } }]);
      await waitFor(async () => (await producer.stats())['ingest.record'].completed === 1, 150_000, 'a first job completed');
      sandbox.setFaults({ latencyMs: 60_000 });
      const before = sandbox.metrics().requests;
      await producer.enqueue([{ type: 'ingest.record', payload: { portalId: sandbox.portalId, objectType: 'contacts', objectId: contactId!, reason: 'manual', occurredAt: Date.now() } }]);
      await waitFor(async () => sandbox.metrics().requests > before && (await producer.stats())['ingest.record'].active === 1, 30_000, 'the ingest job calling HubSpot');

      const metrics = await (await fetch(`http://127.0.0.1:${workerPort}/metrics`)).text();
      // Collected on scrape: the queue gauge shows the running job without anyone asking for stats.
      expect(metrics).toMatch(/hubspot_ai_queue_jobs\{type="ingest.record",state="active"\} 1/);
      for (const name of ['hubspot_ai_job_duration_seconds', 'hubspot_ai_hubspot_requests_total', 'process_cpu_user_seconds_total', 'nodejs_eventloop_lag_seconds']) {
        expect(metrics).toContain(`# TYPE ${name}`);
      }

      w.child.kill('SIGTERM');
      expect(await w.exited).toEqual({ code: 0, signal: null });
      expect(shutdownMs(w)).toBeLessThan(1_500 + 10_000); // the job itself would hold it for a minute
      const s = (await producer.stats())['ingest.record'];
      expect(s).toMatchObject({ active: 0, waiting: 1, dead: 0 });
    } finally {
      sandbox.setFaults({ latencyMs: 0 });
      await stopCli(w);
    }
    const again = startCli(['worker'], env);
    try {
      // A cold start of the worker plus the job: seconds when idle, a minute or more on a loaded machine.
      await waitFor(async () => (await producer.stats())['ingest.record'].completed === 2, 150_000, 'the handed-back job completed');
      again.child.kill('SIGTERM');
      expect((await again.exited).code).toBe(0);
      expect(shutdownMs(again)).toBeLessThan(10_000);
    } finally {
      await stopCli(again);
      await producer.close();
    }
  }, 300_000);
});
