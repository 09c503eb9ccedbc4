import type { ObjectType } from './object-types.ts';
import { DEFAULT_LIST_PROPERTIES } from './property-catalog.ts';
import type { LiveObject, PortalStore } from './store.ts';
import { readValue } from './property-values.ts';

/** Live objects in the CRM v3 response shape. */

const ALWAYS = ['hs_object_id', 'createdate', 'hs_lastmodifieddate'];
/** Associations of one type embedded in a read object. */
export const EMBEDDED_ASSOCIATIONS_MAX = 100;

export interface ReadOptions {
  properties?: string[];
  propertiesWithHistory?: string[];
  associations?: ObjectType[];
}

export function toApi(store: PortalStore, o: LiveObject, opts: ReadOptions = {}): Record<string, unknown> {
  const wanted = opts.properties && opts.properties.length > 0 ? [...new Set([...opts.properties, ...ALWAYS])] : DEFAULT_LIST_PROPERTIES[o.type];
  const catalog = store.properties[o.type];
  const properties: Record<string, string | null> = {};
  for (const p of wanted) {
    if (p in o.properties) properties[p] = readValue(catalog.get(p), o.properties[p] ?? null);
    else if (catalog.has(p)) properties[p] = null;
  }
  const out: Record<string, unknown> = {
    id: o.id,
    properties,
    createdAt: new Date(o.createdAt).toISOString(),
    updatedAt: new Date(o.updatedAt).toISOString(),
    archived: o.archived,
  };
  if (o.archived) out.archivedAt = new Date(o.updatedAt).toISOString();
  if (opts.propertiesWithHistory && opts.propertiesWithHistory.length > 0) {
    const withHistory: Record<string, unknown[]> = {};
    for (const p of opts.propertiesWithHistory) {
      if (!catalog.has(p) && !(p in o.properties)) continue;
      withHistory[p] = history(o, p);
    }
    out.propertiesWithHistory = withHistory;
  }
  if (opts.associations && opts.associations.length > 0) {
    const assoc: Record<string, unknown> = {};
    for (const t of opts.associations) {
      const ids = store.associated(o.type, o.id, t);
      if (ids.length === 0) continue;
      // HubSpot returns the first 100 per type and a cursor for the rest (read them with the associations API).
      const page = ids.slice(0, EMBEDDED_ASSOCIATIONS_MAX).map((id) => ({ id, type: `${singular(o.type)}_to_${singular(t)}` }));
      assoc[t] = ids.length > EMBEDDED_ASSOCIATIONS_MAX ? { results: page, paging: { next: { after: String(EMBEDDED_ASSOCIATIONS_MAX), link: null } } } : { results: page };
    }
    out.associations = assoc;
  }
  return out;
}

/** Newest first, as HubSpot returns it; a value never changed since creation is one CRM_UI entry. */
function history(o: LiveObject, p: string): unknown[] {
  const entries = o.history[p];
  if (entries && entries.length > 0) {
    return [...entries].reverse().map((e) => ({ value: e.value, timestamp: new Date(e.timestamp).toISOString(), sourceType: e.sourceType, ...(e.sourceId ? { sourceId: e.sourceId } : {}) }));
  }
  const v = o.properties[p];
  if (v === null || v === undefined || v === '') return [];
  return [{ value: v, timestamp: new Date(o.createdAt).toISOString(), sourceType: 'CRM_UI' }];
}

function singular(t: ObjectType): string {
  return t.replace(/ies$/, 'y').replace(/s$/, '');
}

/** `properties=a,b&properties=c` or `properties=a,b`: both forms appear in clients. */
export function listParam(v: unknown): string[] | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  const arr = Array.isArray(v) ? v : [v];
  return arr.flatMap((x) => String(x).split(',')).map((s) => s.trim()).filter(Boolean);
}
