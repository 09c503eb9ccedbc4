import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OfflineHashEmbedder } from '../../src/ingest/embedders/offline-hash-embedder.ts';
import { searchAccounts } from '../../src/retrieval/account-search.ts';
import { AccountProfiler } from '../../src/ingest/account-profiler.ts';
import { MemoryTermStatsStore } from '../../src/ingest/term-stats.ts';
import { hybridSearch } from '../../src/retrieval/hybrid-search.ts';
import { applyRecency, maximalMarginalRelevance, reciprocalRankFusion } from '../../src/retrieval/rank-fusion.ts';
import { evaluateRetrievalModes } from '../../src/retrieval/retrieval-eval.ts';
import { SqliteVectorStore } from '../../src/retrieval/sqlite-vector-store.ts';
import { contentTerms } from '../../src/retrieval/text-terms.ts';
import { packToBudget } from '../../src/retrieval/token-budget.ts';
import type { ChunkHit, ChunkRecord } from '../../src/retrieval/vector-store.ts';
import { tempDir } from '../support/tmp.ts';
import { chunk } from './vector-store.contract.ts';

const P = 'p-hybrid';
const NOW = new Date('2025-06-01T00:00:00.000Z');
const hit = (id: string, score: number, over: Partial<ChunkRecord> = {}): ChunkHit => {
  const { vector: _v, ...payload } = chunk({ portalId: P, accountId: 'a', id, ...over });
  return { chunk: payload, score };
};

/** MMR as defined, O(k·n) comparisons, the reference for the pruned implementation. */
function plainMmr(hits: ChunkHit[], k: number, lambda: number, maxPerSource: number): string[] {
  const top = hits[0]?.score ?? 0;
  if (top <= 0) return hits.slice(0, k).map((h) => h.chunk.id);
  const pool = hits.map((h) => ({ h, rel: h.score / top, terms: new Set(contentTerms(h.chunk.text)), maxSim: 0 }));
  const picked: typeof pool = [];
  const perSource = new Map<string, number>();
  while (picked.length < k && pool.length > 0) {
    let best = -1;
    let bestValue = -Infinity;
    pool.forEach((c, i) => {
      if ((perSource.get(c.h.chunk.sourceId) ?? 0) >= maxPerSource) return;
      const value = lambda * c.rel - (1 - lambda) * c.maxSim;
      if (value > bestValue) [best, bestValue] = [i, value];
    });
    if (best < 0) break;
    const [chosen] = pool.splice(best, 1);
    picked.push(chosen!);
    perSource.set(chosen!.h.chunk.sourceId, (perSource.get(chosen!.h.chunk.sourceId) ?? 0) + 1);
    for (const c of pool) {
      const shared = [...c.terms].filter((t) => chosen!.terms.has(t)).length;
      const union = c.terms.size + chosen!.terms.size - shared;
      const jaccard = c.terms.size === 0 || chosen!.terms.size === 0 ? 0 : shared / union;
      c.maxSim = Math.max(c.maxSim, c.h.chunk.sourceId === chosen!.h.chunk.sourceId ? 0.5 : 0, jaccard);
    }
  }
  return picked.map((p) => p.h.chunk.id);
}

describe('rank fusion', () => {
  it('fuses by reciprocal rank, rewarding agreement', () => {
    const fused = reciprocalRankFusion([
      [hit('x', 0.9), hit('y', 0.8), hit('z', 0.1)],
      [hit('y', 12), hit('w', 5)],
    ]);
    expect(fused.map((h) => h.chunk.id)).toEqual(['y', 'x', 'w', 'z']);
    expect(fused[0]!.score).toBeLessThanOrEqual(1);
    expect(reciprocalRankFusion([[hit('only', 0.1)]])[0]!.score).toBe(1);
  });

  it('weights recency with a floor', () => {
    const hits = applyRecency([hit('old', 1, { occurredAt: '2023-06-01T00:00:00Z' }), hit('new', 0.9, { occurredAt: '2025-05-25T00:00:00Z' })], {
      halfLifeDays: 90,
      now: NOW,
    });
    expect(hits.map((h) => h.chunk.id)).toEqual(['new', 'old']);
    expect(hits[1]!.score).toBeGreaterThanOrEqual(0.6);
  });

  it('limits chunks per source and prefers diverse text', () => {
    const thread = [0, 1, 2, 3, 4].map((i) => hit(`t${i}`, 1 - i * 0.01, { sourceId: 'emails:1', text: `renewal pricing thread part ${i}` }));
    const other = hit('o', 0.9, { sourceId: 'calls:2', text: 'security questionnaire for SSO' });
    const picked = maximalMarginalRelevance([...thread, other], 4, { maxPerSource: 2 });
    expect(picked.filter((h) => h.chunk.sourceId === 'emails:1')).toHaveLength(2);
    expect(picked.map((h) => h.chunk.id)).toContain('o');
    expect(picked[0]!.chunk.id).toBe('t0');
  });

  it('MMR picks exactly what its plain definition picks (every candidate scored against every pick)', () => {
    const words = fc.constantFrom('renewal', 'pricing', 'security', 'sso', 'pilot', 'legal', 'the', 'budget', 'q3');
    const hitArb = fc.record({
      score: fc.oneof(fc.double({ min: 0.01, max: 1, noNaN: true }), fc.constantFrom(0.5, 0.25)),
      source: fc.integer({ min: 0, max: 4 }),
      text: fc.array(words, { maxLength: 8 }).map((ws) => ws.join(' ')),
    });
    fc.assert(
      fc.property(
        fc.array(hitArb, { maxLength: 30 }),
        fc.integer({ min: 1, max: 10 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.integer({ min: 1, max: 4 }),
        (raw, k, lambda, maxPerSource) => {
          const hits = raw.map((h, i) => hit(`h${i}`, h.score, { sourceId: `notes:${h.source}`, text: h.text }));
          const picked = maximalMarginalRelevance(hits, k, { lambda, maxPerSource }).map((h) => h.chunk.id);
          expect(picked).toEqual(plainMmr(hits, k, lambda, maxPerSource));
        },
      ),
      { numRuns: 1_000 },
    );
  });

  it('packs whole chunks into a token budget and keeps their ids', () => {
    const hits = [hit('a', 1, { text: 'x '.repeat(50) }), hit('b', 0.9, { text: 'y '.repeat(500) }), hit('c', 0.8, { text: 'z' })];
    const packed = packToBudget(hits, 120);
    expect(packed.hits.map((h) => h.chunk.id)).toEqual(['a', 'c']);
    expect(packed.omitted).toEqual(['b']);
    expect(packed.tokens).toBeLessThanOrEqual(120);
    expect(packed.tokens).toBe(packed.hits.reduce((s, h) => s + h.tokens, 0));
  });
});

describe('hybrid search on the embedded store', () => {
  const embedder = new OfflineHashEmbedder({ dimensions: 256 });
  const tmp = tempDir('hsai-hybrid-');
  const store = new SqliteVectorStore({ dataDir: tmp.dir, chunkDimensions: 256, accountDimensions: 256 });
  const texts: Array<[string, string, string, string]> = [
    // [id, sourceId, occurredAt, text]
    ['c1', 'emails:1', '2025-05-20T00:00:00Z', 'Maria asked about SSO with Okta before the security review. She is worried about the price of the enterprise tier.'],
    ['c2', 'emails:1', '2025-05-21T00:00:00Z', 'Follow-up on SSO: Okta SAML setup guide sent, price discussion postponed.'],
    ['c3', 'emails:1', '2025-05-22T00:00:00Z', 'Another SSO follow-up, SAML metadata exchanged with IT.'],
    ['c4', 'emails:1', '2025-05-23T00:00:00Z', 'SSO again: certificate rotation question.'],
    ['c5', 'calls:7', '2025-04-02T00:00:00Z', 'Call: procurement wants a 15% discount before signing; budget owner is the CFO.'],
    ['c6', 'notes:9', '2023-01-10T00:00:00Z', 'Old note: they asked about SSO in 2023 but went with a competitor.'],
    ['c7', 'meetings:3', '2025-05-01T00:00:00Z', 'Onboarding workshop planned for the data team in June.'],
  ];

  beforeAll(async () => {
    await store.init();
    const { vectors } = await embedder.embed(texts.map((t) => t[3]));
    await store.upsertChunks(
      texts.map(([id, sourceId, occurredAt, text], i) =>
        chunk({ portalId: P, accountId: 'acme', id, sourceId, occurredAt, text, sourceType: sourceId.startsWith('emails') ? 'email' : 'note', vector: vectors[i]! }),
      ),
    );
    await store.upsertChunks([chunk({ portalId: P, accountId: 'other', id: 'x1', text: 'Globex has no interest in SSO or discounts at all.', vector: (await embedder.embed(['Globex'])).vectors[0]! })]);
    await new AccountProfiler({ store, stats: new MemoryTermStatsStore(), embedder }).update([{
      history: { portalId: P, accountId: 'acme', company: { id: 'acme', properties: { name: 'Acme', industry: 'FINANCIAL_SERVICES', numberofemployees: '200' } }, contacts: [], deals: [], tickets: [], engagements: [] },
      chunks: texts.map(([id, sourceId, , text]) => ({ ...chunk({ portalId: P, accountId: 'acme', id, sourceId, text }) })),
    }]);
  });
  afterAll(async () => {
    await store.close();
    tmp.cleanup();
  });

  it('finds the relevant chunks, caps one thread and stays within the account', async () => {
    const hits = await hybridSearch({ store, embedder, portalId: P, accountId: 'acme', query: 'SSO price concerns', k: 4, maxPerSource: 2, now: NOW });
    expect(['c1', 'c2']).toContain(hits[0]!.chunk.id); // both mention SSO and price; c2 is shorter and newer
    expect(hits.map((h) => h.chunk.id)).toContain('c1');
    expect(hits.filter((h) => h.chunk.sourceId === 'emails:1').length).toBeLessThanOrEqual(2);
    expect(hits.every((h) => h.chunk.accountId === 'acme')).toBe(true);
    const bm25 = await hybridSearch({ store, portalId: P, accountId: 'acme', query: 'discount CFO', k: 2, mode: 'bm25', now: NOW });
    expect(bm25[0]!.chunk.id).toBe('c5');
    const filtered = await hybridSearch({ store, embedder, portalId: P, accountId: 'acme', query: 'SSO', k: 5, filter: { sourceTypes: ['note'] }, now: NOW });
    expect(filtered.every((h) => h.chunk.sourceType === 'note')).toBe(true);
    await expect(hybridSearch({ store, portalId: P, accountId: 'acme', query: 'x', k: 2, mode: 'dense' })).rejects.toThrow(/embedder/);
  });

  it('prefers recent evidence when relevance is similar', async () => {
    const hits = await hybridSearch({ store, embedder, portalId: P, accountId: 'acme', query: 'asked about SSO', k: 7, maxPerSource: 5, now: NOW });
    const rank = (id: string) => hits.findIndex((h) => h.chunk.id === id);
    expect(rank('c1')).toBeLessThan(rank('c6'));
  });

  it('reports dense, BM25 and hybrid side by side', async () => {
    const scores = await evaluateRetrievalModes({
      store, embedder, portalId: P, now: NOW, k: 3,
      questions: [
        { accountId: 'acme', query: 'who approves the budget and what discount', sourceIds: ['calls:7'] },
        { accountId: 'acme', query: 'onboarding workshop', sourceIds: ['meetings:3'] },
      ],
    });
    expect(scores.map((s) => s.mode)).toEqual(['dense', 'bm25', 'hybrid']);
    for (const s of scores) expect(s.hitRate).toBe(1);
  });

  it('searches accounts by description with snippets and citations', async () => {
    const res = await searchAccounts(store, embedder, P, 'mid-size fintech evaluating SSO, worried about price', { limit: 5 });
    expect(res[0]).toMatchObject({ accountId: 'acme', name: 'Acme' });
    expect(res[0]!.snippets.length).toBeGreaterThan(0);
    expect(res[0]!.snippets.every((s) => /^c\d$/.test(s.chunkId))).toBe(true);
    const filtered = await searchAccounts(store, embedder, P, 'SSO', { filters: { industry: 'financial_services' } });
    expect(filtered.map((r) => r.accountId)).toEqual(['acme']);
    expect(await searchAccounts(store, embedder, P, 'SSO', { filters: { excludeCustomers: true, sizeBand: 'enterprise' } })).toEqual([]);
  });
});
