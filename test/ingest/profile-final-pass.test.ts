import { afterEach, describe, expect, it } from 'vitest';
import type { AccountHistory } from '../../src/core/objects.ts';
import { OfflineHashEmbedder } from '../../src/ingest/embedders/offline-hash-embedder.ts';
import { Indexer } from '../../src/ingest/indexer.ts';
import { createHubSpotGateway } from '../../src/hubspot/create-gateway.ts';
import { digestHistory, profileRecordOf, profileSourceKey } from '../../src/retrieval/account-profile.ts';
import { SqliteVectorStore } from '../../src/retrieval/sqlite-vector-store.ts';
import type { AccountProfile, VectorStore } from '../../src/retrieval/vector-store.ts';
import { tempDir } from '../support/tmp.ts';
import { syntheticPortal } from '../retrieval/synthetic-accounts.ts';

/**
 * A backfill's final profile pass rebuilds every profile on the portal's final statistics. It keeps each indexed
 * account's profile inputs (`Indexer.rememberProfiles`) instead of reading its chunks back and digesting them
 * again: the profiles must be the ones the pass builds from the store, and an account another process re-indexed
 * meanwhile must be rebuilt from what the store holds now.
 */
const PORTAL = 'p-final-pass';
const embedder = new OfflineHashEmbedder({ dimensions: 384 });
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A real store and indexer on a fresh DATA_DIR (or `dataDir`: a second process's view of the same file). */
async function openIndexer(dataDir?: string): Promise<{ indexer: Indexer; store: VectorStore; getChunksCalls: () => number; dir: string }> {
  let dir = dataDir;
  if (!dir) {
    const tmp = tempDir('hsai-final-pass-');
    cleanups.push(tmp.cleanup);
    dir = tmp.dir;
  }
  const real = new SqliteVectorStore({ dataDir: dir, chunkDimensions: 384, accountDimensions: 384 });
  await real.init();
  cleanups.push(() => real.close());
  let calls = 0;
  // The real store, with its chunk reads counted.
  const store = new Proxy(real, {
    get(target, prop, receiver) {
      if (prop === 'getChunks') return (...args: Parameters<VectorStore['getChunks']>) => ((calls += 1), target.getChunks(...args));
      const v = Reflect.get(target, prop, receiver) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
  // Never called: these tests hand the indexer whole histories.
  const gateway = createHubSpotGateway({ baseUrl: 'http://127.0.0.1:9', accessToken: 'unused', rateLimitPer10s: 190, searchPerSecond: 5, timeoutMs: 1000, maxRetries: 1 });
  cleanups.push(() => gateway.close());
  return { indexer: new Indexer({ store, embedder, gateway }), store, getChunksCalls: () => calls, dir };
}

/** What a profile is, less the time it was written. */
function comparable(p: AccountProfile | null) {
  if (!p) return null;
  const { updatedAt: _updatedAt, vector, ...rest } = p;
  return { ...rest, vector: Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength).toString('base64') };
}

async function backfillLike(indexer: Indexer, histories: AccountHistory[], remember: boolean): Promise<number> {
  const forget = remember ? indexer.rememberProfiles(PORTAL) : () => undefined;
  try {
    // Batches as a backfill makes them: the portal's statistics grow between them, so most profiles drift.
    for (let i = 0; i < histories.length; i += 12) await indexer.indexHistories(histories.slice(i, i + 12));
    return await indexer.refreshDriftedProfiles(PORTAL, { ratio: 0 });
  } finally {
    forget();
  }
}

describe("the backfill's final profile pass", () => {
  it('builds from the remembered inputs exactly the profiles it builds from the stored chunks, without reading them', async () => {
    const histories = syntheticPortal(PORTAL, 4).map((c) => c.history);
    const fromStore = await openIndexer();
    const remembered = await openIndexer();
    const rebuiltFromStore = await backfillLike(fromStore.indexer, histories, false);
    const rebuiltRemembered = await backfillLike(remembered.indexer, histories, true);

    expect(rebuiltFromStore).toBeGreaterThan(histories.length / 2);
    expect(rebuiltRemembered).toBe(rebuiltFromStore);
    expect(fromStore.getChunksCalls()).toBe(rebuiltFromStore);
    expect(remembered.getChunksCalls()).toBe(0);
    for (const h of histories) {
      const a = comparable(await fromStore.store.getProfile(PORTAL, h.accountId));
      expect(a).not.toBeNull();
      expect(comparable(await remembered.store.getProfile(PORTAL, h.accountId))).toEqual(a);
    }
  });

  it('rebuilds from the store an account that another process re-indexed after this one', async () => {
    const histories = syntheticPortal(PORTAL, 4).map((c) => c.history);
    const ours = await openIndexer();
    const forget = ours.indexer.rememberProfiles(PORTAL);
    cleanups.push(forget);
    for (let i = 0; i < histories.length; i += 12) await ours.indexer.indexHistories(histories.slice(i, i + 12));

    // Another process (its own connection, indexer and statistics) indexes a newer history of one account.
    const target = histories[3]!;
    const newer: AccountHistory = {
      ...target,
      company: { ...target.company!, properties: { ...target.company!.properties, name: 'Renamed Holdings' } },
      engagements: [
        ...target.engagements,
        {
          type: 'notes',
          object: { id: '999001', properties: { hs_note_body: 'They asked about ledger reconciliation for the whole audit trail this quarter.', hs_timestamp: '2025-02-01T00:00:00Z' } },
          associations: { companies: [target.accountId], contacts: [], deals: [], tickets: [] },
        },
      ],
    };
    const other = await openIndexer(ours.dir);
    await other.indexer.indexHistories([newer]);

    await ours.indexer.refreshDriftedProfiles(PORTAL, { ratio: 0 });
    const stored = await ours.store.getChunks(PORTAL, (await ours.store.listChunkKeys(PORTAL, target.accountId)).map((k) => k.id));
    const profile = await ours.store.getProfile(PORTAL, target.accountId);
    const fromStoreNow = profileSourceKey(digestHistory(undefined, stored), profileRecordOf(newer), embedder);
    expect(profile?.name).toBe('Renamed Holdings');
    expect(profile?.contentHash.slice(0, 16)).toBe(fromStoreNow);
    // What this process remembered (the older history) would have given another profile.
    const oldChunks = (await ours.store.getChunks(PORTAL, stored.map((c) => c.id))).filter((c) => c.sourceId !== 'notes:999001');
    expect(fromStoreNow).not.toBe(profileSourceKey(digestHistory(undefined, oldChunks), profileRecordOf(target), embedder));
  });
});
