import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hybridSearch } from '../../src/retrieval/hybrid-search.ts';
import { portalEmbedder } from '../../src/text/embedder.ts';
import { startServiceStack, type ServiceStack } from '../support/service-stack.ts';

/**
 * GET /v1/accounts/:id/context searches in the configured RETRIEVAL_MODE, as the agents do: the API shows the
 * context a generation would get (the real service over a backfilled sandbox portal, nothing mocked).
 */
describe('account context search honours RETRIEVAL_MODE', () => {
  let s: ServiceStack;
  beforeAll(async () => {
    s = await startServiceStack({ companies: 6, env: { RETRIEVAL_MODE: 'bm25' } });
  }, 180_000);
  afterAll(async () => s?.close());

  it('answers with the configured mode\'s hits, not hybrid\'s', async () => {
    const truth = s.sandbox.groundTruth();
    const evidence = truth.evidence.find((e) => !e.accountId.startsWith('contact:')) ?? truth.evidence[0]!;
    const r = await s.app.inject({ url: `/v1/accounts/${encodeURIComponent(evidence.accountId)}/context?q=${encodeURIComponent(evidence.query)}&k=8`, headers: s.auth('reader') });
    expect(r.statusCode).toBe(200);
    const got = (r.json().chunks as Array<{ id: string; score: number }>).map((c): [string, number] => [c.id, c.score]);
    expect(got.length).toBeGreaterThan(0);

    const portalId = await s.container.portalId();
    const [store, embedder] = await Promise.all([s.container.store(), s.container.embedder().then((e) => portalEmbedder(e, portalId))]);
    const search = async (mode: 'bm25' | 'hybrid') =>
      (await hybridSearch({ store, embedder, portalId, accountId: evidence.accountId, query: evidence.query, k: 8, mode })).map((h): [string, number] => [h.chunk.id, h.score]);
    // Scores decay with the chunks' age, so two searches a moment apart differ in the last digits.
    const near = (a: Array<[string, number]>, b: Array<[string, number]>) => a.length === b.length && a.every(([id, score], i) => id === b[i]![0] && Math.abs(score - b[i]![1]) < 1e-6);
    expect(near(got, await search('bm25'))).toBe(true);
    expect(near(got, await search('hybrid'))).toBe(false);
  });
});
