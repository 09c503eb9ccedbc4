import type { ObjectType } from './object-types.ts';
import { OBJECT_TYPES, SINGULAR } from './object-types.ts';
import { validationError } from './hubspot-errors.ts';
import type { LiveObject, PortalStore } from './store.ts';
import { asText } from './text-value.ts';

/**
 * The CRM search API's filter semantics: filters inside a group are ANDed, groups are ORed (≤5 groups,
 * ≤6 filters each, ≤18 in all). Values compare as numbers when both sides are numeric, as instants when both
 * are dates (epoch ms or ISO), else as case-insensitive strings. `associations.<type>` filters on an
 * associated record id, as HubSpot allows.
 */

export interface Filter {
  propertyName: string;
  operator: string;
  value?: unknown;
  values?: unknown[];
  highValue?: unknown;
}

export interface SearchRequest {
  filterGroups?: Array<{ filters?: Filter[] }>;
  sorts?: Array<string | { propertyName: string; direction?: string }>;
  query?: string;
  limit?: number;
  after?: string | number;
  properties?: string[];
}

const OPERATORS = new Set(['EQ', 'NEQ', 'LT', 'LTE', 'GT', 'GTE', 'BETWEEN', 'IN', 'NOT_IN', 'HAS_PROPERTY', 'NOT_HAS_PROPERTY', 'CONTAINS_TOKEN', 'NOT_CONTAINS_TOKEN']);
const ISO = /^\d{4}-\d{2}-\d{2}(T[\d:.]+Z?)?$/;

function comparable(v: unknown): number | string {
  const s = asText(v);
  if (/^-?\d+(\.\d+)?$/.test(s)) return Number(s);
  if (ISO.test(s)) return Date.parse(s);
  return s.toLowerCase();
}

function compare(a: unknown, b: unknown): number {
  const x = comparable(a);
  const y = comparable(b);
  if (typeof x === 'number' && typeof y === 'number') return x - y;
  return String(x).localeCompare(String(y));
}

function tokenMatch(haystack: string, pattern: string): boolean {
  const p = pattern.toLowerCase();
  if (p.includes('*')) {
    const re = new RegExp(`^${p.split('*').map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
    return haystack.toLowerCase().split(/[^\p{L}\p{N}@.*-]+/u).some((t) => re.test(t));
  }
  return haystack.toLowerCase().split(/[^\p{L}\p{N}@.-]+/u).includes(p);
}

function matches(store: PortalStore, o: LiveObject, f: Filter): boolean {
  if (f.propertyName.startsWith('associations.')) {
    const name = f.propertyName.slice('associations.'.length);
    const toType = OBJECT_TYPES.find((t) => t === name || SINGULAR[t] === name);
    if (!toType) return false;
    const ids = store.associated(o.type, o.id, toType);
    return f.operator === 'EQ' ? ids.includes(String(f.value)) : f.operator === 'IN' ? (f.values ?? []).some((v) => ids.includes(String(v))) : false;
  }
  const v = o.properties[f.propertyName];
  const has = v !== undefined && v !== null && v !== '';
  switch (f.operator) {
    case 'HAS_PROPERTY': return has;
    case 'NOT_HAS_PROPERTY': return !has;
    case 'EQ': return has && compare(v, f.value) === 0;
    case 'NEQ': return !has || compare(v, f.value) !== 0;
    case 'LT': return has && compare(v, f.value) < 0;
    case 'LTE': return has && compare(v, f.value) <= 0;
    case 'GT': return has && compare(v, f.value) > 0;
    case 'GTE': return has && compare(v, f.value) >= 0;
    case 'BETWEEN': return has && compare(v, f.value) >= 0 && compare(v, f.highValue) <= 0;
    case 'IN': return has && (f.values ?? []).some((x) => compare(v, x) === 0);
    case 'NOT_IN': return !has || !(f.values ?? []).some((x) => compare(v, x) === 0);
    case 'CONTAINS_TOKEN': return has && tokenMatch(v, asText(f.value));
    case 'NOT_CONTAINS_TOKEN': return !has || !tokenMatch(v, asText(f.value));
    default: return false;
  }
}

export const SEARCH_MAX_LIMIT = 200;
export const SEARCH_MAX_RESULTS = 10_000;

/**
 * Returns the page and the total; throws HubSpot's 400s for bad requests and for paging past 10,000. `candidates`
 * is what the search index holds (see search-index.ts); by default the live portal.
 */
export function search(
  store: PortalStore,
  type: ObjectType,
  req: SearchRequest,
  candidates: Iterable<LiveObject> = liveObjects(store, type),
): { total: number; page: LiveObject[]; next?: string } {
  const groups = req.filterGroups ?? [];
  const filterCount = groups.reduce((n, g) => n + (g.filters?.length ?? 0), 0);
  if (groups.length > 5 || filterCount > 18 || groups.some((g) => (g.filters?.length ?? 0) > 6)) {
    throw validationError('Too many filters or filter groups: at most 5 groups, 6 filters per group and 18 filters in all.');
  }
  for (const g of groups) for (const f of g.filters ?? []) {
    if (!OPERATORS.has(f.operator)) throw validationError(`There was a problem with the request. Unknown operator: ${f.operator}`);
  }
  if ((req.sorts ?? []).length > 1) throw validationError('There was a problem with the request. Only one sort rule is supported.', { subCategory: 'SEARCH_TOO_MANY_SORTS' });
  const limit = req.limit ?? 10;
  if (!Number.isInteger(limit) || limit < 1 || limit > SEARCH_MAX_LIMIT) throw validationError(`limit must be between 1 and ${SEARCH_MAX_LIMIT}`);
  const offset = req.after === undefined || req.after === '' ? 0 : Number(req.after);
  if (!Number.isInteger(offset) || offset < 0) throw validationError('after must be a non-negative integer offset');
  if (offset + limit > SEARCH_MAX_RESULTS) {
    throw validationError(`Cannot page beyond the first ${SEARCH_MAX_RESULTS} results. Narrow the query, e.g. by a date filter.`, { subCategory: 'SEARCH_RESULTS_LIMIT_EXCEEDED' });
  }
  const q = req.query?.trim().toLowerCase();
  let hits: LiveObject[] = [];
  for (const o of candidates) {
    if (groups.length > 0 && !groups.some((g) => (g.filters ?? []).every((f) => matches(store, o, f)))) continue;
    if (q && !Object.values(o.properties).some((v) => v?.toLowerCase().includes(q))) continue;
    hits.push(o);
  }
  const sorts = (req.sorts ?? []).map((s) => (typeof s === 'string' ? { propertyName: s.replace(/^-/, ''), direction: s.startsWith('-') ? 'DESCENDING' : 'ASCENDING' } : s));
  if (sorts.length > 0) {
    hits = hits.sort((a, b) => {
      for (const s of sorts) {
        const c = compare(a.properties[s.propertyName], b.properties[s.propertyName]);
        if (c !== 0) return s.direction === 'DESCENDING' ? -c : c;
      }
      return Number(a.id) - Number(b.id);
    });
  }
  const page = hits.slice(offset, offset + limit);
  const nextOffset = offset + limit;
  return { total: hits.length, page, ...(nextOffset < hits.length ? { next: String(nextOffset) } : {}) };
}

function* liveObjects(store: PortalStore, type: ObjectType): Iterable<LiveObject> {
  for (const id of store.order[type]) {
    const o = store.get(type, id);
    if (o) yield o;
  }
}
