/**
 * Merges id-keyed batch reads that callers make at the same moment into one read. A webhook delivery becomes one
 * ingest job per record, and the queue runs several at once: each job asks for "notes → companies of note 7",
 * "contacts → companies of contact 3", … . Without merging, every job pays its own association and batch reads;
 * with it, the jobs that are waiting on HubSpot together share one request per kind (HubSpot's association batch
 * read takes 1,000 ids, a batch read 100; the read itself still splits larger sets).
 *
 * A group is flushed on `setImmediate`: after every caller that is ready to run in this turn of the event loop
 * has added its ids, never later than that. It is not a timer standing in for an order: nothing waits for
 * anything but the read it asked for, and every caller gets exactly the answers for its own ids.
 */
export class Coalescer<V> {
  private readonly groups = new Map<string, Group<V>>();

  constructor(private readonly read: (group: string, ids: string[]) => Promise<Map<string, V>>) {}

  /** The answers for `ids` (absent ids absent), read together with the other calls of this group pending now. */
  load(group: string, ids: readonly string[]): Promise<Map<string, V>> {
    if (ids.length === 0) return Promise.resolve(new Map());
    const g = this.groups.get(group) ?? this.open(group);
    for (const id of ids) g.ids.add(id);
    return new Promise((resolve, reject) => g.waiters.push({ ids, resolve, reject }));
  }

  /** The same read, alone and at once. */
  readNow(group: string, ids: string[]): Promise<Map<string, V>> {
    return ids.length === 0 ? Promise.resolve(new Map()) : this.read(group, ids);
  }

  private open(key: string): Group<V> {
    const g: Group<V> = { ids: new Set(), waiters: [] };
    this.groups.set(key, g);
    setImmediate(() => void this.flush(key, g));
    return g;
  }

  private async flush(key: string, g: Group<V>): Promise<void> {
    if (this.groups.get(key) === g) this.groups.delete(key);
    try {
      const all = await this.read(key, [...g.ids]);
      for (const w of g.waiters) {
        const mine = new Map<string, V>();
        for (const id of w.ids) {
          const v = all.get(id);
          if (v !== undefined) mine.set(id, v);
        }
        w.resolve(mine);
      }
    } catch (err) {
      for (const w of g.waiters) w.reject(err);
    }
  }
}

interface Group<V> {
  ids: Set<string>;
  waiters: Array<{ ids: readonly string[]; resolve: (m: Map<string, V>) => void; reject: (err: unknown) => void }>;
}
