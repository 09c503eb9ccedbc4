import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCheckpointStore } from '../../src/ingest/checkpoint-store.ts';
import { createEmbedder } from '../../src/ingest/create-embedder.ts';
import { runBackfill } from '../../src/ingest/backfill.ts';
import { Indexer } from '../../src/ingest/indexer.ts';
import { WorkPool } from '../../src/ingest/work-pool.ts';
import { createHubSpotGateway } from '../../src/hubspot/create-gateway.ts';
import { createVectorStore } from '../../src/retrieval/create-vector-store.ts';
import type { AccountProfile } from '../../src/retrieval/vector-store.ts';
import { startSandbox } from '../../src/sandbox/index.ts';
import type { Embedder, EmbeddingResult } from '../../src/text/embedder.ts';
import type { EmbedRole } from '../../src/text/embedding-models.ts';
import { tempDir } from '../support/tmp.ts';

/**
 * An unchanged portal indexed again by a new process costs no embedding: neither its chunks nor its account
 * profiles. The new process starts with empty in-process term statistics, so while the backfill re-counts the
 * portal, a profile built on the partial statistics would pick other sentences and be embedded; the profiler
 * must recognise an account whose history is unchanged and leave its profile to the backfill's final pass, which
 * sees the same statistics as the first run's and so rebuilds nothing. Tokens are counted where every embedding
 * call passes (the real offline embedder, no cache: any call costs tokens), the final pass included.
 */

/** Sums the tokens of every call into the real embedder. */
class TallyEmbedder implements Embedder {
  readonly provider;
  readonly model;
  readonly dimensions;
  tokens = 0;
  calls = 0;
  constructor(private readonly inner: Embedder) {
    this.provider = inner.provider;
    this.model = inner.model;
    this.dimensions = inner.dimensions;
  }
  async embed(texts: string[], role?: EmbedRole): Promise<EmbeddingResult> {
    const r = await this.inner.embed(texts, role);
    this.tokens += r.tokens;
    this.calls += 1;
    return r;
  }
  cacheTag(role: EmbedRole): string {
    return this.inner.cacheTag(role);
  }
  ping(): Promise<void> {
    return this.inner.ping();
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}

type Sandbox = Awaited<ReturnType<typeof startSandbox>>;
let sandbox: Sandbox;
const tmp = tempDir('hsai-profile-reindex-');
const pool = new WorkPool();

/** One backfill by a fresh process over the same DATA_DIR: its own gateway, store, indexer and term statistics. */
async function backfillAsNewProcess(): Promise<{ tokens: number; calls: number; summaryTokens: number; profiles: AccountProfile[] }> {
  const gateway = createHubSpotGateway({ baseUrl: sandbox.url, accessToken: sandbox.token, rateLimitPer10s: 10_000, searchPerSecond: 50, timeoutMs: 10_000, maxRetries: 4 });
  const embedder = new TallyEmbedder(await createEmbedder({ provider: 'offline', model: 'offline-hash-v1', dimensions: 384, pool }));
  const store = await createVectorStore({ dataDir: tmp.dir, chunkDimensions: 384, accountDimensions: 384 });
  await store.init();
  const checkpoints = await createCheckpointStore({ dataDir: tmp.dir });
  try {
    const indexer = new Indexer({ store, embedder, gateway, pool });
    const summary = await runBackfill({ gateway, indexer, store, checkpoints }, { concurrency: 4, restart: true });
    const portalId = await gateway.portalId();
    const profiles: AccountProfile[] = [];
    for (const id of (await store.listAccounts(portalId)).sort()) {
      const p = await store.getProfile(portalId, id);
      if (p) profiles.push(p);
    }
    return { tokens: embedder.tokens, calls: embedder.calls, summaryTokens: summary.embeddingTokens, profiles };
  } finally {
    await checkpoints.close();
    await store.close();
    await gateway.close();
  }
}

beforeAll(async () => {
  sandbox = await startSandbox({ port: 0, seed: 7, companies: 80, rateLimit: 10_000, faultRate: 0, latencyMs: 0 });
});

afterAll(async () => {
  await sandbox?.close();
  await pool.close();
  tmp.cleanup();
});

describe('re-indexing an unchanged portal', () => {
  it('spends 0 embedding tokens on chunks and profiles, and keeps every profile', { timeout: 300_000 }, async () => {
    const first = await backfillAsNewProcess();
    expect(first.tokens).toBeGreaterThan(0);
    expect(first.profiles.length).toBeGreaterThan(70);

    const second = await backfillAsNewProcess();
    expect({ tokens: second.tokens, calls: second.calls, summaryTokens: second.summaryTokens }).toEqual({ tokens: 0, calls: 0, summaryTokens: 0 });
    const key = (p: AccountProfile) => `${p.accountId} ${p.contentHash} ${p.topics.join(',')}`;
    expect(second.profiles.map(key)).toEqual(first.profiles.map(key));
  });
});
