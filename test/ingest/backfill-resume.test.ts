import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCheckpointStore } from '../../src/ingest/checkpoint-store.ts';
import { BackfillStoppedError, runBackfill, type BackfillSummary } from '../../src/ingest/backfill.ts';
import { startSandbox } from '../../src/sandbox/index.ts';
import { describePostgres, uniqueName } from '../support/services.ts';
import { tempDir } from '../support/tmp.ts';
import { indexSnapshot, openIngestStack } from '../fixtures/backfill-stack.ts';

/**
 * Resumability: a backfill killed with SIGKILL in the middle of its run continues from its checkpoint and ends
 * with exactly the index an uninterrupted run builds. The run is a real child process (test/fixtures/
 * backfill-child.ts) so that nothing of it survives the kill but what it made durable.
 */

type Sandbox = Awaited<ReturnType<typeof startSandbox>>;
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const CHILD = path.join(root, 'test/fixtures/backfill-child.ts');

let sandbox: Sandbox;
let portalId: string;
const cleanups: Array<() => void> = [];

function dir(): string {
  const t = tempDir('hsai-resume-');
  cleanups.push(t.cleanup);
  return t.dir;
}

/** The test's environment without backends: the child uses exactly the ones a test passes it. */
function inheritedEnv(): NodeJS.ProcessEnv {
  const { DATABASE_URL: _db, REDIS_URL: _redis, QDRANT_URL: _qdrant, CHECKPOINT_SCHEMA: _schema, ...rest } = process.env;
  return rest;
}

function startChild(dataDir: string, extraEnv: Record<string, string> = {}): { child: ChildProcess; done: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> } {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD], {
    cwd: root,
    env: {
      ...inheritedEnv(),
      HUBSPOT_BASE_URL: sandbox.url,
      HUBSPOT_ACCESS_TOKEN: sandbox.token,
      DATA_DIR: dataDir,
      BACKFILL_CONCURRENCY: '2',
      BACKFILL_BATCH_SIZE: '5',
      LOG_LEVEL: 'silent',
      ...extraEnv,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal, stdout, stderr })),
  );
  return { child, done };
}

interface SavedState {
  status: string;
  source: number;
  done: string[];
}

/** Waits until the child's checkpoint shows indexed batches, then SIGKILLs it mid-run. */
async function killAfterProgress(dataDir: string, env: { databaseUrl?: string; schema?: string } = {}): Promise<SavedState> {
  const { child, done } = startChild(dataDir, {
    ...(env.databaseUrl ? { DATABASE_URL: env.databaseUrl } : {}),
    ...(env.schema ? { CHECKPOINT_SCHEMA: env.schema } : {}),
  });
  const checkpoints = await createCheckpointStore({ dataDir, databaseUrl: env.databaseUrl, schema: env.schema });
  try {
    const key = `backfill:${portalId}:full`;
    let exited = false;
    void done.then(() => (exited = true));
    for (;;) {
      if (exited) throw new Error(`the child ended before it could be killed: ${(await done).stderr}`);
      const state = await checkpoints.load<SavedState>(key).catch(() => null);
      // Progress: the low-water mark moved past the first page, or batches after it are done.
      if (state && state.status === 'running' && (state.done.length >= 3 || state.source > 0)) {
        child.kill('SIGKILL');
        const r = await done;
        expect(r.signal).toBe('SIGKILL');
        const after = await checkpoints.load<SavedState>(key);
        expect(after?.status).toBe('running');
        return after!;
      }
      await new Promise((r) => setTimeout(r, 25));
    }
  } finally {
    await checkpoints.close();
  }
}

async function runChildToEnd(dataDir: string, env: Record<string, string> = {}): Promise<BackfillSummary> {
  const r = await startChild(dataDir, env).done;
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as BackfillSummary;
}

async function snapshotOf(dataDir: string): Promise<string[]> {
  const stack = await openIngestStack({ baseUrl: sandbox.url, accessToken: sandbox.token, dataDir });
  try {
    return await indexSnapshot(stack.store, portalId);
  } finally {
    await stack.close();
  }
}

let reference: string[];

beforeAll(async () => {
  // Small and slowed down so that the child is reliably mid-run when the checkpoint first shows progress.
  sandbox = await startSandbox({ port: 0, seed: 7, companies: 60, rateLimit: 190, latencyMs: 15 });
  portalId = sandbox.portalId;
  const refDir = dir();
  const stack = await openIngestStack({ baseUrl: sandbox.url, accessToken: sandbox.token, dataDir: refDir });
  try {
    const summary = await runBackfill({ gateway: stack.gateway, indexer: stack.indexer, store: stack.store, checkpoints: stack.checkpoints }, { concurrency: 2, batchSize: 5 });
    expect(summary.accounts).toBe(sandbox.groundTruth().accounts);
    reference = await indexSnapshot(stack.store, portalId);
  } finally {
    await stack.close();
  }
}, 120_000);

afterAll(async () => {
  await sandbox?.close();
  for (const c of cleanups) c();
});

describe('backfill kill -9 and resume', () => {
  it('continues from the checkpoint and ends with the index of an uninterrupted run', async () => {
    const dataDir = dir();
    await killAfterProgress(dataDir);
    const partial = await snapshotOf(dataDir);
    expect(partial.length).toBeGreaterThan(0);
    expect(partial.length).toBeLessThan(reference.length);

    const summary = await runChildToEnd(dataDir);
    expect(summary.resumed).toBe(true);
    expect(summary.accounts).toBeLessThan(sandbox.groundTruth().accounts);
    expect(await snapshotOf(dataDir)).toEqual(reference);
  }, 300_000);
});

describePostgres('backfill kill -9 and resume with PostgreSQL checkpoints', (databaseUrl) => {
  it('continues from a PostgreSQL checkpoint', async () => {
    const dataDir = dir();
    const schema = uniqueName('ingest_ckpt');
    await killAfterProgress(dataDir, { databaseUrl, schema });
    const summary = await runChildToEnd(dataDir, { DATABASE_URL: databaseUrl, CHECKPOINT_SCHEMA: schema });
    expect(summary.resumed).toBe(true);
    expect(await snapshotOf(dataDir)).toEqual(reference);
    const checkpoints = await createCheckpointStore({ dataDir, databaseUrl, schema });
    try {
      expect((await checkpoints.load<SavedState>(`backfill:${portalId}:full`))?.status).toBe('completed');
    } finally {
      await checkpoints.close();
    }
  }, 300_000);
});

/**
 * A protocol peer for HubSpot's daily limit, which the sandbox (250k a day) cannot reach in a test: it forwards
 * to the sandbox, and after `allowed` requests answers every request with HubSpot's DAILY 429.
 */
async function dailyLimitProxy(target: string, allowed: number): Promise<{ url: string; close: () => Promise<void> }> {
  let seen = 0;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (++seen > allowed && !req.url?.startsWith('/account-info')) {
        res.writeHead(429, { 'content-type': 'application/json', 'x-hubspot-ratelimit-daily-remaining': '0' });
        res.end(JSON.stringify({ status: 'error', message: 'You have reached your daily limit.', errorType: 'RATE_LIMIT', policyName: 'DAILY' }));
        return;
      }
      const headers = Object.fromEntries(Object.entries(req.headers).filter(([k]) => k !== 'host' && k !== 'content-length')) as Record<string, string>;
      void fetch(`${target}${req.url}`, { method: req.method, headers, body: ['GET', 'HEAD'].includes(req.method ?? '') ? undefined : Buffer.concat(chunks) })
        .then(async (r) => {
          res.writeHead(r.status, { 'content-type': r.headers.get('content-type') ?? 'application/json' });
          res.end(Buffer.from(await r.arrayBuffer()));
        })
        .catch(() => res.destroy());
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

describe('backfill and HubSpot\'s daily limit', () => {
  it('stops cleanly with the checkpoint kept, then resumes to the same index', async () => {
    const proxy = await dailyLimitProxy(sandbox.url, 60);
    const dataDir = dir();
    try {
      const limited = await openIngestStack({ baseUrl: proxy.url, accessToken: sandbox.token, dataDir });
      try {
        const err = await runBackfill(
          { gateway: limited.gateway, indexer: limited.indexer, store: limited.store, checkpoints: limited.checkpoints },
          { concurrency: 2, batchSize: 5 },
        ).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(BackfillStoppedError);
        expect((err as BackfillStoppedError).reason).toBe('daily-limit');
        expect((err as BackfillStoppedError).message).toMatch(/daily API limit.*run the same command again/);
        expect((await limited.checkpoints.load<SavedState>(`backfill:${portalId}:full`))?.status).toBe('running');
      } finally {
        await limited.close();
      }
    } finally {
      await proxy.close();
    }
    const summary = await runChildToEnd(dataDir);
    expect(summary.resumed).toBe(true);
    expect(await snapshotOf(dataDir)).toEqual(reference);
  }, 300_000);
});
