import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AccountHistory } from '../../src/core/objects.ts';
import { createHubSpotGateway } from '../../src/hubspot/create-gateway.ts';
import { ChunkPool } from '../../src/ingest/chunk-pool.ts';
import { DraftMemo, draftsOfHistory } from '../../src/ingest/draft-memo.ts';
import { startSandbox } from '../../src/sandbox/index.ts';

/**
 * The chunk worker threads run the in-thread code on a structured clone of the history: their drafts must be
 * the in-thread drafts exactly (ids, texts and hashes of the index depend on them), and a failure in a worker
 * must reach the caller instead of hanging it.
 */

let sandbox: Awaited<ReturnType<typeof startSandbox>>;
let histories: AccountHistory[];

beforeAll(async () => {
  sandbox = await startSandbox({ port: 0, seed: 11, companies: 12, rateLimit: 10_000, faultRate: 0, latencyMs: 0 });
  const gateway = createHubSpotGateway({ baseUrl: sandbox.url, accessToken: sandbox.token, rateLimitPer10s: 10_000, searchPerSecond: 5, timeoutMs: 10_000, maxRetries: 2 });
  const truth = sandbox.groundTruth();
  histories = await gateway.accountHistories(truth.companies.map((c) => c.id));
});

afterAll(async () => {
  await sandbox.close();
});

describe('ChunkPool', () => {
  it('returns exactly the in-thread drafts, in request order, from several workers', async () => {
    const pool = new ChunkPool(2);
    try {
      const pooled = await Promise.all(histories.map((h) => pool.draftsOf(h)));
      const memo = new DraftMemo();
      const inThread = histories.map((h) => draftsOfHistory(h, memo));
      expect(pooled.flat().length).toBeGreaterThan(50);
      expect(pooled).toEqual(inThread);
    } finally {
      await pool.close();
    }
  });

  it('rejects a request whose history the chunker cannot read, and keeps serving the others', async () => {
    const pool = new ChunkPool(1);
    try {
      const broken = { ...histories[0]!, engagements: [null] } as unknown as AccountHistory;
      await expect(pool.draftsOf(broken)).rejects.toThrow();
      expect(await pool.draftsOf(histories[1]!)).toEqual(draftsOfHistory(histories[1]!, new DraftMemo()));
    } finally {
      await pool.close();
    }
  });

  it('refuses work once closed', async () => {
    const pool = new ChunkPool(1);
    await pool.close();
    await expect(pool.draftsOf(histories[0]!)).rejects.toThrow(/closed/);
  });
});
