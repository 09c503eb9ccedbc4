import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBackfill } from '../../src/ingest/backfill.ts';
import { DraftMemo, draftsOfHistory } from '../../src/ingest/draft-memo.ts';
import { openSqlite, releaseSqlite, sqlitePath } from '../../src/db/sqlite.ts';
import { startSandbox } from '../../src/sandbox/index.ts';
import { tempDir } from '../support/tmp.ts';
import { openIngestStack, type IngestStack } from '../fixtures/backfill-stack.ts';

/**
 * The index a backfill builds must not change when the code that builds it gets faster: normalisation, e-mail
 * de-quoting, chunking and the work pool are optimised for CPU, never for different output. This pins, for a
 * fixed sandbox portal (seed 7, 40 companies, e-mails with quoted replies, forwards, signatures, transcripts),
 * every account's chunk ids with their content hashes (the hash covers the chunk text, the embedding model and
 * the metadata filters use: source type, related records, time, direction, speakers) and its profile hash, as
 * first built by the code before the optimisation. The snapshot file is the "before"; a run of this test is the
 * "after". An intended change of the index (a new normaliser rule) updates it with `npx vitest run -u` and says
 * so in its commit. The sandbox's dev phrasing bank is this test's input: when it changes, record the snapshots with
 * the "before" code on the new bank (check out the recording commit, take the new bank, `-u`) and check the current
 * code against them.
 */

type Sandbox = Awaited<ReturnType<typeof startSandbox>>;

let sandbox: Sandbox;
let stack: IngestStack;
let dataDir: string;
const cleanups: Array<() => void> = [];

beforeAll(async () => {
  sandbox = await startSandbox({ port: 0, seed: 7, companies: 40, rateLimit: 10_000, faultRate: 0, latencyMs: 0 });
  const tmp = tempDir('hsai-golden-');
  cleanups.push(tmp.cleanup);
  dataDir = tmp.dir;
  stack = await openIngestStack({ baseUrl: sandbox.url, accessToken: sandbox.token, dataDir: tmp.dir, rateLimitPer10s: 10_000 });
});

afterAll(async () => {
  await stack?.close();
  await sandbox?.close();
  for (const c of cleanups) c();
});

const sha = (s: string) => createHash('sha256').update(s).digest('hex').slice(0, 24);

describe('the index a backfill builds', () => {
  it('is the one the code before the CPU optimisation built (chunk ids, texts, metadata, profiles)', { timeout: 240_000 }, async () => {
    const summary = await runBackfill({ gateway: stack.gateway, indexer: stack.indexer, store: stack.store, checkpoints: stack.checkpoints }, { concurrency: 4 });
    const portalId = await stack.gateway.portalId();
    const accounts: Record<string, string> = {};
    let chunks = 0;
    for (const accountId of [...(await stack.store.listAccounts(portalId))].sort()) {
      const keys = (await stack.store.listChunkKeys(portalId, accountId)).map((k) => `${k.id} ${k.contentHash}`).sort();
      const profile = await stack.store.getProfile(portalId, accountId);
      chunks += keys.length;
      accounts[accountId] = sha(`${keys.join('\n')}\nprofile ${profile?.contentHash ?? '-'}`);
    }
    expect(summary.chunks).toBe(chunks);
    await expect(`${JSON.stringify({ chunks, accounts }, null, 1)}\n`).toMatchFileSnapshot('./__snapshots__/backfill-index.json');
  });

  it('stores the vectors the code before the optimisation stored (every chunk and profile vector, bit for bit)', async () => {
    // Read from the file itself: the store's port has no call that returns a chunk's vector, and where a vector
    // came from (cache, work-pool thread, this thread) must not change a bit of it.
    const portalId = await stack.gateway.portalId();
    const db = openSqlite(sqlitePath(dataDir));
    try {
      const rows = db
        .prepare(`SELECT c.account_id AS accountId, c.id, v.embedding FROM retrieval_chunks c JOIN vec_chunks v ON v.rowid = c.seq WHERE c.portal_id = ?`)
        .all(portalId) as Array<{ accountId: string; id: string; embedding: Buffer }>;
      expect(rows.length).toBeGreaterThan(0);
      const byAccount = new Map<string, string[]>();
      for (const r of rows) byAccount.set(r.accountId, [...(byAccount.get(r.accountId) ?? []), `${r.id} ${sha(r.embedding.toString('base64'))}`]);
      const accounts: Record<string, string> = {};
      for (const accountId of [...byAccount.keys()].sort()) {
        const profile = await stack.store.getProfile(portalId, accountId);
        const profileBytes = profile ? Buffer.from(profile.vector.buffer, profile.vector.byteOffset, profile.vector.byteLength).toString('base64') : '-';
        accounts[accountId] = sha(`${byAccount.get(accountId)!.sort().join('\n')}\nprofile ${sha(profileBytes)}`);
      }
      await expect(`${JSON.stringify({ vectors: rows.length, accounts }, null, 1)}\n`).toMatchFileSnapshot('./__snapshots__/backfill-vectors.json');
    } finally {
      releaseSqlite(db);
    }
  });

  it('has chunk drafts (texts and metadata) that are the ones the code before the optimisation made, in-thread', { timeout: 120_000 }, async () => {
    const histories = await stack.gateway.accountHistories(sandbox.groundTruth().companies.slice(0, 12).map((c) => c.id));
    const memo = new DraftMemo();
    const lines = histories.map((h) => `${h.accountId} ${sha(JSON.stringify(draftsOfHistory(h, memo)))}`);
    await expect(`${lines.join('\n')}\n`).toMatchFileSnapshot('./__snapshots__/drafts-in-thread.txt');
  });
});
