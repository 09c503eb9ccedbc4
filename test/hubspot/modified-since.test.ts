import { describe, expect, it } from 'vitest';
import type { HubSpotObject } from '../../src/core/objects.ts';
import { modifiedSince, type SearchQuery, type Searcher } from '../../src/hubspot/modified-since.ts';

/**
 * HubSpot's search contract, in memory: filter `>=`, sort ascending (ties by id), offset paging, 400 past
 * 10,000 results. The sandbox stamps every write with a distinct millisecond, so ties (bulk imports on a real
 * portal) are exercised here.
 */
function portalSearch(objects: HubSpotObject[]): Searcher & { calls: SearchQuery[] } {
  const calls: SearchQuery[] = [];
  const fn = async (_type: string, q: SearchQuery) => {
    calls.push(q);
    const since = Number(q.filterGroups[0]!.filters[0]!.value);
    const prop = q.sorts[0]!.propertyName;
    const hits = objects
      .filter((o) => Date.parse(o.properties[prop]!) >= since)
      .sort((a, b) => Date.parse(a.properties[prop]!) - Date.parse(b.properties[prop]!) || Number(a.id) - Number(b.id));
    const offset = Number(q.after ?? 0);
    if (offset + q.limit > 10_000) throw new Error('400: Cannot page beyond the first 10000 results');
    return { results: hits.slice(offset, offset + q.limit), hasMore: offset + q.limit < hits.length };
  };
  return Object.assign(fn, { calls });
}

function note(id: number, at: number): HubSpotObject {
  return { id: String(id), properties: { hs_lastmodifieddate: new Date(at).toISOString() } };
}

async function drain(search: Searcher, since: number): Promise<string[]> {
  const ids: string[] = [];
  let after: string | undefined;
  do {
    const page = await modifiedSince(search, 'notes', since, { after });
    ids.push(...page.results.map((o) => o.id));
    after = page.after;
  } while (after);
  return ids;
}

describe('modifiedSince sliding window', () => {
  it('returns each record once when 450 records share one timestamp between others', async () => {
    const t = Date.parse('2025-01-01T00:00:00Z');
    const objects = [
      ...Array.from({ length: 150 }, (_, i) => note(i + 1, t + i)),
      ...Array.from({ length: 450 }, (_, i) => note(1000 + i, t + 500)),
      ...Array.from({ length: 120 }, (_, i) => note(5000 + i, t + 1000 + i)),
    ];
    const search = portalSearch(objects);
    const ids = await drain(search, t);
    expect(ids).toHaveLength(objects.length);
    expect(new Set(ids).size).toBe(objects.length);
  });

  it('never pages past 10,000 results in one query', async () => {
    const t = Date.parse('2025-01-01T00:00:00Z');
    const objects = Array.from({ length: 10_500 }, (_, i) => note(i + 1, t + i));
    const search = portalSearch(objects);
    const ids = await drain(search, t);
    expect(new Set(ids).size).toBe(objects.length);
    expect(Math.max(...search.calls.map((c) => Number(c.after ?? 0)))).toBeLessThan(10_000);
  });
});
