import { randomUUID } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import type { KeyValueCache } from '../cache/kv.ts';
import type { AccountHistory } from '../core/objects.ts';

/**
 * The indexed snapshot of an account: the history the indexer last reconciled the store with, and the content
 * version that reconciliation produced. Two readers:
 *   - an event's ingest applies one changed source to it instead of reading the account's whole history from
 *     HubSpot again (a handful of requests instead of ~50);
 *   - the generation job the ingest enqueues reads it instead of HubSpot, so an agent sees exactly what was
 *     indexed, and one event costs one history read.
 * Snapshots live in the key-value cache (the SQLite file, or Redis), gzipped, for as long as the account is indexed:
 * every reconciliation that reads an account whole leaves one (a backfill, an `ingest.account` job, an event's
 * fallback), removing the account removes it, and a portal's purge removes them all. A snapshot is used only
 * while its version is the one the vector store holds (`contentVersion`), so freshness is decided by the store,
 * which every process shares, never by this process's memory. `ttlSeconds` bounds their lifetime when memory
 * matters more than requests (an account without one is read whole, ~50 requests).
 *
 * A per-account lease in the same cache keeps two processes from applying changes to one snapshot at once (a
 * lost update would drop a source from the index); whoever cannot get it reads the account whole and leaves no
 * snapshot behind.
 */
export interface IndexedSnapshot {
  history: AccountHistory;
  /** `chunkSetVersion` of the account's chunks after the reconciliation. */
  version: string;
  indexedAt: number;
}

export interface SnapshotLease {
  /** Accounts whose lease this holder got (the others may be changed by someone else meanwhile). */
  held: ReadonlySet<string>;
  release(): Promise<void>;
}

const LEASE_SECONDS = 120;

/** Every snapshot key of a portal starts with this (a purge deletes them). */
export function portalSnapshotPrefix(portalId: string): string {
  return `snapshot:v1:${portalId}:`;
}

export class HistorySnapshots {
  constructor(
    private readonly kv: KeyValueCache,
    private readonly opts: { ttlSeconds?: number; leaseWaitMs?: number } = {},
  ) {}

  private key(portalId: string, accountId: string): string {
    return `${portalSnapshotPrefix(portalId)}${accountId}`;
  }

  async get(portalId: string, accountId: string): Promise<IndexedSnapshot | null> {
    const raw = await this.kv.get(this.key(portalId, accountId));
    if (!raw) return null;
    try {
      const snap = JSON.parse(gunzipSync(raw).toString('utf8')) as IndexedSnapshot;
      return snap.history?.accountId === accountId && snap.history.portalId === portalId ? snap : null;
    } catch {
      return null; // an unreadable entry is a missing one: the account is read whole
    }
  }

  async put(snaps: IndexedSnapshot[]): Promise<void> {
    if (snaps.length === 0) return;
    const ttl = this.opts.ttlSeconds;
    await this.kv.setMany(
      snaps.map((s) => ({ key: this.key(s.history.portalId, s.history.accountId), value: gzipSync(JSON.stringify(s)), ...(ttl ? { ttlSeconds: ttl } : {}) })),
    );
  }

  async delete(portalId: string, accountIds: string[]): Promise<void> {
    for (const a of accountIds) await this.kv.delete(this.key(portalId, a));
  }

  /**
   * Takes the accounts' leases, waiting up to `waitMs` (default `leaseWaitMs`, 10 s) for each one held elsewhere;
   * 0 takes the free ones only (a backfill, which reads its accounts whole anyway).
   */
  async lease(portalId: string, accountIds: string[], waitMs = this.opts.leaseWaitMs ?? 10_000): Promise<SnapshotLease> {
    const token = Buffer.from(randomUUID());
    const held = new Set<string>();
    const deadline = Date.now() + waitMs;
    const ids = [...new Set(accountIds)].sort();
    if (waitMs <= 0) {
      // Nobody waits: one round trip takes whichever leases are free.
      const got = await this.kv.setManyIfAbsent(ids.map((a) => ({ key: `${this.key(portalId, a)}:lease`, value: token, ttlSeconds: LEASE_SECONDS })));
      ids.forEach((a, i) => got[i] && held.add(a));
    }
    // Sorted, so that two holders of overlapping sets wait for each other in the same order.
    for (const a of waitMs <= 0 ? [] : ids) {
      const key = `${this.key(portalId, a)}:lease`;
      for (let wait = 5; ; wait = Math.min(wait * 2, 200)) {
        if (await this.kv.setIfAbsent(key, token, LEASE_SECONDS)) {
          held.add(a);
          break;
        }
        if (Date.now() >= deadline) break;
        await new Promise((r) => setTimeout(r, wait));
      }
    }
    return {
      held,
      release: async () => {
        const keys = [...held].map((a) => `${this.key(portalId, a)}:lease`);
        const current = keys.length > 0 ? await this.kv.getMany(keys) : [];
        for (const [i, key] of keys.entries()) if (current[i]?.equals(token)) await this.kv.delete(key);
      },
    };
  }
}
