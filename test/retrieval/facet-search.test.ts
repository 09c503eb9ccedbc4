import { describe, expect, it } from 'vitest';
import { BUDGET, DATE, DECISION, MONEY, TIMELINE } from '../../src/agents/deal-facets.ts';
import { chunkSentences, facetCueScore, rankForFacet } from '../../src/retrieval/facet-search.ts';
import type { ChunkHit } from '../../src/retrieval/vector-store.ts';

const hit = (id: string, text: string, occurredAt: string, score = 1): ChunkHit => ({
  chunk: {
    id, portalId: 'p', accountId: 'companies:1', sourceType: 'note', sourceId: `notes:${id}`, chunkIndex: 0, relatedIds: [],
    occurredAt, direction: null, speakers: [], text, contentHash: id, embeddingModel: 'm',
  },
  score,
});

// Sentences written for this test, in words none of the facets' queries use.
describe('facet cues recognise an answer by its shape', () => {
  it('money and dates in the forms people write them', () => {
    for (const s of ['we have $40,000', 'about 75k for it', '1.2M EUR', '30 thousand pounds', 'EUR 12000', '€9.500']) expect(MONEY.test(s), s).toBe(true);
    for (const s of ['we shipped 3 releases', 'team of 40 people', 'version 2.1']) expect(MONEY.test(s), s).toBe(false);
    for (const s of ['by March 3', 'before the end of Q2', 'on 14/06', 'the first week of November', 'ahead of the holiday break']) expect(DATE.test(s), s).toBe(true);
    expect(DATE.test('the team discussed reporting')).toBe(false);
  });

  it('scores the best sentence of a long chunk in full', () => {
    const filler = 'Their current process is mostly manual and spread over spreadsheets. Reporting came up again.';
    const text = `${filler}\nThe CFO put 60k aside for this tool, cleared last week. ${filler}`;
    expect(facetCueScore(BUDGET, text)).toBeGreaterThanOrEqual(4);
    expect(facetCueScore(BUDGET, filler)).toBe(0);
    expect(chunkSentences('a line\nanother. And more').length).toBe(3);
  });
});

describe('rankForFacet', () => {
  it('puts an answer ahead of better-retrieved chunks that do not answer', () => {
    const ranked = rankForFacet(TIMELINE, [
      hit('a', 'We talked about the timeline of the reporting project in general.', '2026-01-01', 1),
      hit('b', 'It all has to be in production by June 30 at the latest.', '2025-01-01', 0.2),
    ]);
    expect(ranked.map((h) => h.chunk.id)).toEqual(['b', 'a']);
  });

  it('supersession: of two equally strong statements the newer comes first', () => {
    const ranked = rankForFacet(BUDGET, [
      hit('old', 'Finance approved $50,000 for the project.', '2025-03-01', 1),
      hit('new', 'Finance approved $65,000 for the project instead.', '2025-09-01', 0.5),
    ]);
    expect(ranked[0]!.chunk.id).toBe('new');
    const signer = rankForFacet(DECISION, [
      hit('old', 'Ms. Park signs contracts of this size.', '2025-03-01', 1),
      hit('new', 'Mr. Diallo signs contracts of this size now.', '2025-09-01', 0.4),
    ]);
    expect(signer[0]!.chunk.id).toBe('new');
  });

  it('a facet without supersession keeps retrieval order among equals, and non-answers rank by retrieval', () => {
    const facet = { ...BUDGET, supersede: false };
    const ranked = rankForFacet(facet, [
      hit('x', 'nothing here', '2026-01-01', 1),
      hit('old', 'Finance approved $50,000 for the project.', '2025-03-01', 0.9),
      hit('new', 'Finance approved $65,000 for the project.', '2025-09-01', 0.5),
    ]);
    expect(ranked.map((h) => h.chunk.id)).toEqual(['old', 'new', 'x']);
  });
});
