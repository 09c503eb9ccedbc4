import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBackfill } from '../../src/ingest/backfill.ts';
import type { VectorStore } from '../../src/retrieval/vector-store.ts';
import { startSandbox } from '../../src/sandbox/index.ts';
import { indexSnapshot, openIngestStack, type IngestStack } from '../fixtures/backfill-stack.ts';
import { tempDir } from '../support/tmp.ts';

/**
 * A full backfill reads the portal's structure by listing records with their associations, then reads only
 * engagements by batch (hubspot/portal-scan.ts). Its index must be exactly the one the per-account pipeline
 * builds in one thread (every chunk id and content hash, every account profile and its vector): that pipeline is
 * what webhooks and `--since` runs use, and what full backfills used before. It must also stay within the request count that
 * makes the run bound by HubSpot's budget: at least 60 records per request.
 */

type Sandbox = Awaited<ReturnType<typeof startSandbox>>;
const COMPANIES = 40;

let sandbox: Sandbox;
const stacks: IngestStack[] = [];
const cleanups: Array<() => void> = [];

async function open(opts: { pool?: boolean } = {}): Promise<IngestStack> {
  const tmp = tempDir('hsai-scan-');
  cleanups.push(tmp.cleanup);
  const stack = await openIngestStack({ baseUrl: sandbox.url, accessToken: sandbox.token, dataDir: tmp.dir, rateLimitPer10s: 10_000, ...opts });
  stacks.push(stack);
  return stack;
}

async function profiles(store: VectorStore, portalId: string): Promise<string[]> {
  const out: string[] = [];
  for (const accountId of await store.listAccounts(portalId)) {
    const p = await store.getProfile(portalId, accountId);
    const vector = p ? createHash('sha256').update(Buffer.from(p.vector.buffer, p.vector.byteOffset, p.vector.byteLength)).digest('hex') : '-';
    out.push(`${accountId} ${p?.contentHash ?? '-'} ${vector}`);
  }
  return out.sort();
}

beforeAll(async () => {
  sandbox = await startSandbox({ port: 0, seed: 7, companies: COMPANIES, rateLimit: 0, faultRate: 0, latencyMs: 0 });
});

afterAll(async () => {
  for (const s of stacks) await s.close();
  await sandbox?.close();
  for (const c of cleanups) c();
});

describe('full backfill over the portal scan', () => {
  it('builds exactly the index of the per-account pipeline, with at least 60 records per request', { timeout: 300_000 }, async () => {
    const truth = sandbox.groundTruth();
    expect(truth.whaleAccountIds.length).toBeGreaterThan(0); // association lists past HubSpot's 100 are exercised

    const scanned = await open();
    const portalId = await scanned.gateway.portalId();
    const before = sandbox.metrics().requests;
    const summary = await runBackfill({ gateway: scanned.gateway, indexer: scanned.indexer, store: scanned.store, checkpoints: scanned.checkpoints }, { concurrency: 4 });
    const requests = sandbox.metrics().requests - before;
    expect(summary.accounts).toBe(truth.accounts);
    expect(summary.records / requests).toBeGreaterThanOrEqual(60);

    // The per-account pipeline: histories read through the gateway's association reads, batch by batch, and
    // chunked, embedded and profiled in this thread (no work pool).
    const perAccount = await open({ pool: false });
    const accounts = [...truth.companies.map((c) => c.id), ...truth.contactsWithoutCompany.map((id) => `contact:${id}`)];
    let records = 0;
    for (let i = 0; i < accounts.length; i += 25) records += (await perAccount.indexer.reindexAccounts(portalId, accounts.slice(i, i + 25))).records;
    expect(records).toBe(summary.records);

    // Profiles depend on the portal's term statistics at build time: both on the final ones, as a backfill leaves them.
    await perAccount.indexer.refreshDriftedProfiles(portalId, { ratio: 0 });
    const snapshot = await indexSnapshot(scanned.store, portalId);
    expect(snapshot.length).toBe(summary.chunks);
    expect(snapshot).toEqual(await indexSnapshot(perAccount.store, portalId));
    expect(await profiles(scanned.store, portalId)).toEqual(await profiles(perAccount.store, portalId));
  });
});
