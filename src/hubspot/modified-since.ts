import type { HubSpotObject, ObjectType } from '../core/objects.ts';
import { AppError } from '../errors.ts';
import { unique } from './batching.ts';
import type { Page } from './gateway.ts';
import { lastModifiedProperty } from './properties.ts';

/**
 * Change feed over the CRM search API. HubSpot's search stops at 10,000 results per query and pages by offset,
 * and offsets shift when records change while we page. So each page is a fresh query, `last modified >= T`
 * sorted ascending, where T is the last timestamp already seen and the ids already seen at exactly T are
 * skipped (keyset paging). Only when a whole page shares one timestamp (bulk imports) does it fall back to
 * offsets within that timestamp. The cursor handed to the caller carries this state, opaque.
 */

export const SEARCH_PAGE_SIZE = 200;
const SEARCH_MAX_RESULTS = 10_000;

export interface SearchQuery {
  filterGroups: Array<{ filters: Array<{ propertyName: string; operator: 'GTE'; value: string }> }>;
  sorts: Array<{ propertyName: string; direction: 'ASCENDING' }>;
  properties: string[];
  limit: number;
  after?: string;
}

export type Searcher = (type: ObjectType, query: SearchQuery) => Promise<{ results: HubSpotObject[]; hasMore: boolean }>;

interface Cursor {
  /** Lower bound (ms), inclusive. */
  s: number;
  /** Ids already returned whose timestamp is exactly `s`. */
  k: string[];
  /** Offset inside a run of records that all share timestamp `s`. */
  a?: number;
}

export function encodeCursor(c: Cursor): string {
  return Buffer.from(JSON.stringify(c)).toString('base64url');
}

export function decodeCursor(after: string): Cursor {
  try {
    const c = JSON.parse(Buffer.from(after, 'base64url').toString('utf8')) as Cursor;
    if (typeof c.s === 'number' && Array.isArray(c.k)) return c;
  } catch {
    // fall through
  }
  throw new AppError('HUBSPOT_BAD_CURSOR', 'Invalid modifiedSince cursor: pass back the `after` of the previous page unchanged');
}

function modifiedAt(o: HubSpotObject, property: string): number | undefined {
  const raw = o.properties[property] ?? o.updatedAt;
  if (!raw) return undefined;
  const t = /^\d+$/.test(raw) ? Number(raw) : Date.parse(raw);
  return Number.isNaN(t) ? undefined : t;
}

export async function modifiedSince(
  search: Searcher,
  type: ObjectType,
  sinceMs: number,
  opts: { properties?: string[]; after?: string } = {},
): Promise<Page<HubSpotObject>> {
  const property = lastModifiedProperty(type);
  const cursor: Cursor = opts.after ? decodeCursor(opts.after) : { s: Math.max(0, Math.floor(sinceMs)), k: [] };
  const query: SearchQuery = {
    filterGroups: [{ filters: [{ propertyName: property, operator: 'GTE', value: String(cursor.s) }] }],
    sorts: [{ propertyName: property, direction: 'ASCENDING' }],
    properties: unique([...(opts.properties ?? []), property]),
    limit: SEARCH_PAGE_SIZE,
    ...(cursor.a ? { after: String(cursor.a) } : {}),
  };
  const page = await search(type, query);
  const skip = new Set(cursor.k);
  const results = page.results.filter((o) => !skip.has(o.id));
  if (!page.hasMore || page.results.length === 0) return { results };

  const last = modifiedAt(page.results[page.results.length - 1]!, property) ?? cursor.s;
  if (last > cursor.s) {
    const atLast = page.results.filter((o) => modifiedAt(o, property) === last).map((o) => o.id);
    return { results, after: encodeCursor({ s: last, k: atLast }) };
  }
  // The whole page shares timestamp `s`: step through that run by offset.
  const offset = (cursor.a ?? 0) + page.results.length;
  if (offset + SEARCH_PAGE_SIZE > SEARCH_MAX_RESULTS) {
    throw new AppError(
      'HUBSPOT_SEARCH_WINDOW_STUCK',
      `More than ${SEARCH_MAX_RESULTS} ${type} share the last-modified time ${new Date(cursor.s).toISOString()}; the search API cannot page past them`,
    );
  }
  return { results, after: encodeCursor({ s: cursor.s, k: unique([...cursor.k, ...page.results.map((o) => o.id)]), a: offset }) };
}
