import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AccountHistory } from '../../src/core/objects.ts';
import { createHubSpotGateway } from '../../src/hubspot/create-gateway.ts';
import { DraftMemo, draftsOfHistory } from '../../src/ingest/draft-memo.ts';
import { OfflineHashEmbedder } from '../../src/ingest/embedders/offline-hash-embedder.ts';
import { WorkPool } from '../../src/ingest/work-pool.ts';
import { digestHistory } from '../../src/retrieval/account-profile.ts';
import { startSandbox } from '../../src/sandbox/index.ts';

/**
 * The work-pool threads run the in-thread code on a structured clone of the input: their drafts and vectors
 * must be the in-thread ones exactly (ids, texts, hashes and vectors of the index depend on them), and a failure
 * in a thread must reach the caller instead of hanging it.
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

describe('WorkPool', () => {
  it('returns exactly the in-thread drafts, in request order, from several threads', async () => {
    const pool = new WorkPool({ threads: 2 });
    try {
      const pooled = await Promise.all(histories.map((h) => pool.drafts(h)));
      const memo = new DraftMemo();
      const inThread = histories.map((h) => draftsOfHistory(h, memo));
      expect(pooled.flatMap((p) => p.drafts).length).toBeGreaterThan(50);
      expect(pooled.map((p) => p.drafts)).toEqual(inThread);
      // The profile's history digest over those drafts is the one the indexer computes in-thread from its (deduplicated) chunks.
      const firstOfEach = (drafts: typeof inThread[number]) => drafts.filter((d, i) => drafts.findIndex((x) => x.sourceId === d.sourceId && x.chunkIndex === d.chunkIndex) === i);
      expect(pooled.map((p) => p.profile)).toEqual(histories.map((h, i) => digestHistory(h, firstOfEach(inThread[i]!))));
    } finally {
      await pool.close();
    }
  });

  it('embeds offline exactly like the in-thread embedder, split over threads, in order', async () => {
    const pool = new WorkPool({ threads: 2 });
    try {
      const texts = histories.flatMap((h) => draftsOfHistory(h, new DraftMemo())).map((d) => d.text);
      expect(texts.length).toBeGreaterThan(64);
      const pooled = await new OfflineHashEmbedder({ dimensions: 64, pool }).embed(texts);
      const inThread = await new OfflineHashEmbedder({ dimensions: 64 }).embed(texts);
      expect(pooled.tokens).toBe(inThread.tokens);
      expect(pooled.vectors.map((v) => [...v])).toEqual(inThread.vectors.map((v) => [...v]));
    } finally {
      await pool.close();
    }
  });

  it('rejects a request whose history the chunker cannot read, and keeps serving the others', async () => {
    const pool = new WorkPool({ threads: 1 });
    try {
      const broken = { ...histories[0]!, engagements: [null] } as unknown as AccountHistory;
      await expect(pool.drafts(broken)).rejects.toThrow();
      expect((await pool.drafts(histories[1]!)).drafts).toEqual(draftsOfHistory(histories[1]!, new DraftMemo()));
    } finally {
      await pool.close();
    }
  });

  it('de-quotes e-mails on the fast path in its threads, not on the library fallback', async () => {
    const pool = new WorkPool({ threads: 1 });
    try {
      expect(await pool.fastPaths()).toEqual({ replyRules: true });
    } finally {
      await pool.close();
    }
  });

  it('refuses work once closed', async () => {
    const pool = new WorkPool({ threads: 1 });
    await pool.close();
    await expect(pool.drafts(histories[0]!)).rejects.toThrow(/closed/);
  });
});
