import type { ObjectType } from './object-types.ts';
import { OBJECT_TYPES } from './object-types.ts';
import type { ChangeEvent, LiveObject, PortalStore } from './store.ts';

/**
 * The CRM search index, which lags behind writes as HubSpot's does: a change becomes searchable `lagMs` after it
 * was made (`--search-lag-ms`; reads by id see it at once). Until then search finds the record as it was, or not
 * at all when it is new, and still finds a record just deleted. Associations filters read the live portal.
 */
export class SearchIndex {
  private indexed = {} as Record<ObjectType, Map<string, LiveObject>>;
  private pending: Array<{ due: number; type: ObjectType; id: string }> = [];

  constructor(
    private readonly store: PortalStore,
    private readonly lagMs: () => number,
  ) {
    this.rebuild();
    store.onChange((e) => this.changed(e));
  }

  /** After a load or reset: everything is indexed. */
  rebuild(): void {
    this.pending = [];
    for (const t of OBJECT_TYPES) {
      this.indexed[t] = new Map();
      for (const o of this.store.objects[t].values()) this.indexed[t].set(o.id, snapshot(o));
    }
  }

  /** What search sees of `type` now, in id order, deleted records excluded. */
  *view(type: ObjectType): Iterable<LiveObject> {
    this.applyDue(Date.now());
    const map = this.indexed[type];
    for (const id of this.store.order[type]) {
      const o = map.get(id);
      if (o && !o.archived) yield o;
    }
  }

  private changed(e: ChangeEvent): void {
    const ids = e.kind === 'merge' ? [e.primaryId, ...e.mergedIds] : e.kind === 'associationChange' ? [] : [e.id];
    const due = Date.now() + this.lagMs();
    for (const id of ids) this.pending.push({ due, type: e.type, id });
    if (this.lagMs() <= 0) this.applyDue(Number.POSITIVE_INFINITY);
  }

  private applyDue(now: number): void {
    let n = 0;
    while (n < this.pending.length && this.pending[n]!.due <= now) {
      const { type, id } = this.pending[n]!;
      const live = this.store.objects[type].get(id);
      if (live) this.indexed[type].set(id, snapshot(live));
      else this.indexed[type].delete(id);
      n++;
    }
    if (n > 0) this.pending.splice(0, n);
  }
}

function snapshot(o: LiveObject): LiveObject {
  return { ...o, properties: { ...o.properties } };
}
