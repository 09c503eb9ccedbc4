import { RunnableLambda, RunnableSequence } from '@langchain/core/runnables';
import type { Document } from '@langchain/core/documents';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OfflineHashEmbedder } from '../../src/ingest/embedders/offline-hash-embedder.ts';
import { AccountHistoryRetriever } from '../../src/retrieval/langchain-retriever.ts';
import { SqliteVectorStore } from '../../src/retrieval/sqlite-vector-store.ts';
import type { ChunkRecord } from '../../src/retrieval/vector-store.ts';
import { tempDir } from '../support/tmp.ts';

const texts = [
  'Security review requires SOC 2 Type II before signing, legal asked for the report',
  'Budget for the rollout is 120k, approved by the CFO in March',
  'They compare us with Acme Analytics on price and onboarding time',
  'Kickoff meeting agenda: onboarding plan, data migration, training sessions',
];

let store: SqliteVectorStore;
let cleanup: () => void;
const embedder = new OfflineHashEmbedder({ dimensions: 64 });

beforeAll(async () => {
  const t = tempDir('hsai-lc-');
  cleanup = t.cleanup;
  store = new SqliteVectorStore({ dataDir: t.dir, chunkDimensions: 64, accountDimensions: 64 });
  await store.init();
  const { vectors } = await embedder.embed(texts);
  const chunks: ChunkRecord[] = texts.map((text, i) => ({
    id: `00000000-0000-5000-8000-00000000000${i}`,
    portalId: 'p1',
    accountId: i === 3 ? '2' : '1',
    sourceType: 'email',
    sourceId: `emails:${100 + i}`,
    chunkIndex: 0,
    relatedIds: [],
    occurredAt: `2025-0${i + 1}-01T00:00:00.000Z`,
    direction: 'inbound',
    speakers: [],
    text,
    contentHash: `h${i}`,
    embeddingModel: embedder.model,
    vector: vectors[i]!,
  }));
  await store.upsertChunks(chunks);
});
afterAll(async () => {
  await store.close();
  cleanup();
});

describe('AccountHistoryRetriever (LangChain)', () => {
  it('runs inside a LangChain runnable and returns cited documents of one account only', async () => {
    const retriever = new AccountHistoryRetriever({ store, embedder, portalId: 'p1', accountId: '1', k: 2 });
    const chain = RunnableSequence.from([
      retriever,
      RunnableLambda.from((docs: Document[]) => docs.map((d) => `[${String(d.metadata.id)}] ${d.pageContent}`).join('\n')),
    ]);
    const context = await chain.invoke('what does the security review require, SOC 2?');
    expect(context.split('\n')[0]).toContain('SOC 2 Type II');
    expect(context).toContain('[00000000-0000-5000-8000-000000000000]');
    expect(context).not.toContain('Kickoff meeting'); // account 2's history never leaks into account 1's context

    const docs = await retriever.invoke('budget approved by the CFO');
    expect(docs[0]!.metadata).toMatchObject({ accountId: '1', sourceType: 'email', sourceId: 'emails:101' });
    expect(docs.length).toBeLessThanOrEqual(2);
  });
});
