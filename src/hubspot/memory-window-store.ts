import type { LimitKind, WindowSpec, WindowStore } from './window-store.ts';

/**
 * The in-process window log (see window-store.ts for the algorithm). Gateways given the same `MemoryWindowStores`
 * share one instance per limiter key, so two callers holding the same token never get two budgets.
 */
export class MemoryWindowStore implements WindowStore {
  private readonly logs: Record<LimitKind, Map<string, number>> = { burst: new Map(), search: new Map() };
  private readonly pausedUntil: Record<LimitKind, number> = { burst: 0, search: 0 };
  private phantomSeq = 0;

  constructor(private readonly now: () => number = Date.now) {}

  async tryAcquire(kind: LimitKind, member: string, spec: WindowSpec, holdMs: number): Promise<number> {
    const now = this.now();
    if (this.pausedUntil[kind] > now) return this.pausedUntil[kind] - now;
    const log = this.prune(kind, now);
    if (log.size < spec.budget) {
      log.set(member, now + holdMs);
      return 0;
    }
    // Room appears when enough entries expire for the count to drop below the (possibly lowered) budget.
    const expiries = [...log.values()].sort((a, b) => a - b);
    const freeing = expiries[log.size - spec.budget] ?? now + 1;
    return Math.max(1, freeing - now);
  }

  async release(kind: LimitKind, member: string, windowMs: number): Promise<void> {
    const log = this.logs[kind];
    // A member already pruned stays pruned: its hold (timeout + window) outlived any HubSpot window.
    if (log.has(member)) log.set(member, this.now() + windowMs);
  }

  async reconcile(kind: LimitKind, serverRemaining: number, spec: WindowSpec): Promise<void> {
    const now = this.now();
    const log = this.prune(kind, now);
    const missing = Math.min(spec.budget, spec.budget - log.size - serverRemaining);
    for (let i = 0; i < missing; i++) log.set(`external:${++this.phantomSeq}`, now + spec.windowMs);
  }

  async pause(kind: LimitKind, ms: number): Promise<void> {
    this.pausedUntil[kind] = Math.max(this.pausedUntil[kind], this.now() + ms);
  }

  async close(): Promise<void> {}

  private prune(kind: LimitKind, now: number): Map<string, number> {
    const log = this.logs[kind];
    for (const [member, expiry] of log) if (expiry <= now) log.delete(member);
    return log;
  }
}

/** In-process window logs by limiter key (a hash of portal URL and token), owned by whoever builds the gateways. */
export class MemoryWindowStores {
  private readonly stores = new Map<string, MemoryWindowStore>();

  for(limiterKey: string): MemoryWindowStore {
    let store = this.stores.get(limiterKey);
    if (!store) {
      store = new MemoryWindowStore();
      this.stores.set(limiterKey, store);
    }
    return store;
  }
}
