import fs from 'node:fs';
import path from 'node:path';
import type { Config } from '../config/config.ts';
import type { HubSpotGateway } from '../hubspot/gateway.ts';
import type { Indexer } from '../ingest/indexer.ts';
import type { ScorerModel } from '../agents/scorer/model.ts';
import type { WritebackService } from '../writeback/create-writeback.ts';
import { AppError } from '../errors.ts';
import type { SharedPortalLeases } from './shared-portal-leases.ts';

/**
 * Everything that works for one HubSpot portal: its gateway (its own token and its own rate limiter, since
 * HubSpot's limits are per app and portal), its write-back service (every review, audit row, write and trace it
 * touches is that portal's), its indexer and its lead scorer. One deployment serves many portals; a job, a
 * webhook event or an API request picks its scope by portal id and never reaches another portal's.
 */
export interface PortalScope {
  portalId: string;
  gateway: HubSpotGateway;
  writeback: WritebackService;
  indexer: Indexer;
  /** The portal's current trained scorer (re-read when a new one is trained), or null. */
  scorer: () => Promise<ScorerModel | null>;
}

/** A portal this deployment does not serve: not the private app's, or not installed (OAuth), or removed. */
export class PortalNotServedError extends AppError {
  readonly retryable = false;
  constructor(readonly portalId: string, reason: string) {
    super('PORTAL_NOT_SERVED', `HubSpot portal ${portalId} is not served by this deployment: ${reason}`);
  }
}

/** Error codes that mean "this portal's work can never succeed now": its jobs fail at once, without retries. */
export const PORTAL_GONE_CODES = new Set(['PORTAL_UNINSTALLED', 'PORTAL_NOT_INSTALLED', 'PORTAL_NOT_SERVED']);

export function isPortalGone(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    if (e instanceof AppError && PORTAL_GONE_CODES.has(e.code)) return true;
  }
  return false;
}

/**
 * The policy file of a portal: `PORTAL_POLICY_DIR/<portalId>.yaml` (or `.yml`) when it exists, else POLICY_FILE
 * (else the built-in default). Portal ids are digits, so the name cannot leave the directory.
 */
export function policyFileFor(config: Pick<Config, 'POLICY_FILE' | 'PORTAL_POLICY_DIR'>, portalId: string): string | undefined {
  if (config.PORTAL_POLICY_DIR && /^\d+$/.test(portalId)) {
    for (const ext of ['yaml', 'yml']) {
      const file = path.join(config.PORTAL_POLICY_DIR, `${portalId}.${ext}`);
      if (fs.existsSync(file)) return file;
    }
  }
  return config.POLICY_FILE;
}

export interface PortalScopesOptions {
  /** Builds a portal's scope; PortalNotServedError when the portal is not served. */
  build: (portalId: string) => Promise<PortalScope>;
  /** Releases what a scope owns (its gateway's limiter, its write-back's timers). */
  close: (scope: PortalScope) => Promise<void>;
  /** At most this many scopes stay built; the least recently used idle one goes first (default 200). */
  max?: number;
  /** A scope unused for this long is closed (default 15 minutes); the next use builds it again. */
  idleMs?: number;
  now?: () => number;
  /**
   * The leases other processes on the same database see (runtime/shared-portal-leases.ts): a process's first lease
   * on a portal is recorded there (and waits while another process purges it), and `exclusive` also waits for
   * other processes' work on the portal to end. Without it, leases are this process's only.
   */
  shared?: () => Promise<SharedPortalLeases | undefined>;
  /** How often `exclusive` looks again at other processes' leases while waiting (default 100 ms). */
  sharedPollMs?: number;
}

interface Entry {
  scope: Promise<PortalScope>;
  lastUsed: number;
  /** Work running with the scope (jobs, API requests): never evicted while above zero. */
  leases: number;
  /** Forgotten while leased: closed when its last lease is released, not under the work using it. */
  retired?: boolean;
}

/** A hold on a portal's scope: released once, when the work that took it is over. */
export interface PortalLease {
  scope: PortalScope;
  release: () => void;
}

/** A purge (or another exclusive change) that could not start because the portal's work did not end in time. */
export class PortalBusyError extends AppError {
  readonly retryable = true;
  constructor(readonly portalId: string, holders: number, waitedMs: number, elsewhere = false) {
    const what = elsewhere ? `is still worked on by ${holders} other process(es)` : `still has ${holders} job(s) or request(s) running`;
    super('PORTAL_BUSY', `HubSpot portal ${portalId} ${what} after ${Math.round(waitedMs / 1000)} s: nothing was purged, try again`);
  }
}

/** Per portal: how many leases are out, and the exclusive hold (a purge) new leases wait behind. */
interface Gate {
  holders: number;
  exclusive: Promise<void> | undefined;
  /** Wakes an exclusive hold waiting for the last lease. */
  drained: (() => void) | undefined;
  /** This process's hold in the shared leases, taken by the first lease and given back after the last. */
  shared?: Promise<void> | undefined;
}

/**
 * Builds each portal's scope on first use and keeps it while it is used: a scope idle for `idleMs`, or the least
 * recently used one beyond `max`, is closed and dropped (the next use builds it again), so a deployment serving
 * many portals holds the ones at work, not every portal it ever served. A scope that failed to build is tried
 * again next time. Eviction runs on each use; no timer keeps the process awake.
 */
export class PortalScopes {
  private readonly scopes = new Map<string, Entry>();
  private readonly gates = new Map<string, Gate>();
  /** Per portal, the shared-lease writes in order (a release must not overtake the hold after it, nor the reverse). */
  private readonly sharedOps = new Map<string, Promise<void>>();
  private readonly max: number;
  private readonly idleMs: number;
  private readonly now: () => number;
  /** Scopes closed because they were idle or beyond the bound (since start). */
  evictions = 0;

  constructor(private readonly opts: PortalScopesOptions) {
    this.max = Math.max(1, opts.max ?? 200);
    this.idleMs = opts.idleMs ?? 15 * 60_000;
    this.now = opts.now ?? Date.now;
  }

  /** The portal's scope, built on first use; the caller uses it briefly (one request). */
  get(portalId: string): Promise<PortalScope> {
    return this.entry(portalId).scope;
  }

  /** Runs `work` with the portal's scope, holding a lease on it until `work` settles (jobs). */
  async use<T>(portalId: string, work: (scope: PortalScope) => Promise<T>): Promise<T> {
    const lease = await this.lease(portalId);
    try {
      return await work(lease.scope);
    } finally {
      lease.release();
    }
  }

  /**
   * Holds the portal's scope until `release()` (an API request holds one until it has answered): the scope is
   * not evicted meanwhile, and an exclusive hold (`exclusive`, a purge) waits for every lease to be released.
   * While an exclusive hold runs, new leases wait for it to end, then build the scope again (a purged, uninstalled
   * portal is then not served).
   */
  async lease(portalId: string): Promise<PortalLease> {
    const gate = await this.openGate(portalId);
    gate.holders += 1;
    let e: Entry | undefined;
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      if (e) {
        e.leases -= 1;
        e.lastUsed = this.now();
        if (e.leases === 0 && e.retired) void e.scope.then((sc) => this.opts.close(sc)).catch(() => undefined);
      }
      gate.holders -= 1;
      if (gate.holders === 0) {
        if (gate.shared) {
          gate.shared = undefined;
          void this.sharedOp(portalId, (s) => s.release(portalId)).catch(() => undefined);
        }
        gate.drained?.();
        if (!gate.exclusive) this.gates.delete(portalId);
      }
    };
    try {
      if (this.opts.shared) {
        if (!gate.shared) {
          const held = this.sharedOp(portalId, (s) => s.hold(portalId));
          gate.shared = held;
          held.catch(() => {
            if (gate.shared === held) gate.shared = undefined;
          });
        }
        await gate.shared;
      }
      e = this.entry(portalId);
      e.leases += 1;
      return { scope: await e.scope, release };
    } catch (err) {
      release();
      throw err;
    }
  }

  /**
   * Runs `work` with the portal to itself: new leases wait, the running ones are waited for (at most `waitMs`,
   * else PortalBusyError and nothing ran), the portal's scope is dropped, then `work` runs. A purge runs so, so no
   * job or API request of the portal interleaves with it in this process.
   */
  async exclusive<T>(portalId: string, work: () => Promise<T>, opts: { waitMs?: number } = {}): Promise<T> {
    const gate = await this.openGate(portalId);
    let done!: () => void;
    gate.exclusive = new Promise<void>((resolve) => (done = resolve));
    const waitMs = opts.waitMs ?? 60_000;
    const started = this.now();
    try {
      if (gate.holders > 0) {
        let timer: NodeJS.Timeout | undefined;
        const drained = await new Promise<boolean>((resolve) => {
          gate.drained = () => resolve(true);
          timer = setTimeout(() => resolve(false), waitMs);
        }).finally(() => {
          clearTimeout(timer);
          gate.drained = undefined;
        });
        if (!drained) throw new PortalBusyError(portalId, gate.holders, this.now() - started);
      }
      const shared = await this.opts.shared?.();
      if (!shared) {
        await this.forget(portalId);
        return await work();
      }
      // Other processes: new holds there wait from now on; the running ones are waited for in what is left of waitMs.
      await shared.beginExclusive(portalId);
      try {
        for (;;) {
          const others = await shared.otherHolders(portalId);
          if (others === 0) break;
          if (this.now() - started >= waitMs) throw new PortalBusyError(portalId, others, this.now() - started, true);
          await new Promise((r) => setTimeout(r, this.opts.sharedPollMs ?? 100));
        }
        await this.forget(portalId);
        return await work();
      } finally {
        await shared.endExclusive(portalId).catch(() => undefined);
      }
    } finally {
      gate.exclusive = undefined;
      if (gate.holders === 0) this.gates.delete(portalId);
      done();
    }
  }

  /** Runs a shared-lease write after the portal's earlier ones. */
  private sharedOp(portalId: string, op: (s: SharedPortalLeases) => Promise<void>): Promise<void> {
    const prev = this.sharedOps.get(portalId) ?? Promise.resolve();
    const next = prev
      .catch(() => undefined)
      .then(async () => {
        const s = await this.opts.shared?.();
        if (s) await op(s);
      });
    this.sharedOps.set(portalId, next);
    const forget = () => {
      if (this.sharedOps.get(portalId) === next) this.sharedOps.delete(portalId);
    };
    next.then(forget, forget);
    return next;
  }

  /** Leases out on a portal now (jobs and requests running with its scope). */
  holders(portalId: string): number {
    return this.gates.get(portalId)?.holders ?? 0;
  }

  /** The portal's gate once no exclusive hold is on it (a finished hold may have dropped the gate: fetched anew). */
  private async openGate(portalId: string): Promise<Gate> {
    for (;;) {
      let g = this.gates.get(portalId);
      if (!g) this.gates.set(portalId, (g = { holders: 0, exclusive: undefined, drained: undefined }));
      if (!g.exclusive) return g;
      await g.exclusive;
    }
  }

  private entry(portalId: string): Entry {
    const now = this.now();
    let e = this.scopes.get(portalId);
    if (e) {
      e.lastUsed = now;
      // Most recently used last: Map keeps insertion order, so the first entries are the least recently used.
      this.scopes.delete(portalId);
      this.scopes.set(portalId, e);
    } else {
      const scope = this.opts.build(portalId);
      const fresh: Entry = { scope, lastUsed: now, leases: 0 };
      e = fresh;
      this.scopes.set(portalId, fresh);
      scope.catch(() => {
        if (this.scopes.get(portalId) === fresh) this.scopes.delete(portalId);
      });
    }
    this.evict(portalId);
    return e;
  }

  /** Closes idle scopes and, beyond `max`, the least recently used ones that no job holds. */
  private evict(keep: string): void {
    const now = this.now();
    let over = this.scopes.size - this.max;
    for (const [id, e] of this.scopes) {
      if (id === keep || e.leases > 0) continue;
      if (over > 0 || now - e.lastUsed >= this.idleMs) {
        this.scopes.delete(id);
        over -= 1;
        this.evictions += 1;
        void e.scope.then((s) => this.opts.close(s)).catch(() => undefined);
      }
    }
  }

  /**
   * Drops a portal's scope (removed, uninstalled or purged) and closes what it owns: at once if nothing holds it,
   * else when the last job or request holding it is done (closing its gateway under a running request would fail
   * that request midway). The next use builds the scope again (an uninstalled portal is then not served).
   */
  async forget(portalId: string): Promise<void> {
    const e = this.scopes.get(portalId);
    this.scopes.delete(portalId);
    if (!e) return;
    if (e.leases > 0) {
      e.retired = true;
      return;
    }
    await e.scope.then((s) => this.opts.close(s)).catch(() => undefined);
  }

  /** Portals with a scope built in this process (bounded by `max` plus the scopes jobs hold). */
  built(): string[] {
    return [...this.scopes.keys()];
  }

  async closeAll(): Promise<void> {
    const all = [...this.scopes.values()];
    this.scopes.clear();
    for (const e of all) await e.scope.then((s) => this.opts.close(s)).catch(() => undefined);
  }
}
