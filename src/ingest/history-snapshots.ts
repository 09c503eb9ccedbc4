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
 * Snapshots live in the key-value cache (the SQLite file, or Redis), gzipped, for `ttlSeconds` after the last
 * write: only accounts with recent activity keep one; any other account is read whole, as before.
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

const DAY_SECONDS = 24 * 3600;
const LEASE_SECONDS = 120;

export class HistorySnapshots {
  constructor(
    private readonly kv: KeyValueCache,
    private readonly opts: { ttlSeconds?: number; leaseWaitMs?: number } = {},
  ) {}

  private key(portalId: string, accountId: string): string {
    return `snapshot:v1:${portalId}:${accountId}`;
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
    const ttlSeconds = this.opts.ttlSeconds ?? DAY_SECONDS;
    await this.kv.setMany(
      snaps.map((s) => ({ key: this.key(s.history.portalId, s.history.accountId), value: gzipSync(JSON.stringify(s)), ttlSeconds })),
    );
  }

  async delete(portalId: string, accountIds: string[]): Promise<void> {
    for (const a of accountIds) await this.kv.delete(this.key(portalId, a));
  }

  /** Takes the accounts' leases, waiting up to `leaseWaitMs` (default 10 s) for each one held elsewhere. */
  async lease(portalId: string, accountIds: string[]): Promise<SnapshotLease> {
    const token = Buffer.from(randomUUID());
    const held = new Set<string>();
    const deadline = Date.now() + (this.opts.leaseWaitMs ?? 10_000);
    // Sorted, so that two holders of overlapping sets wait for each other in the same order.
    for (const a of [...new Set(accountIds)].sort()) {
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
        for (const a of held) {
          const key = `${this.key(portalId, a)}:lease`;
          const current = await this.kv.get(key);
          if (current && current.equals(token)) await this.kv.delete(key);
        }
      },
    };
  }
}
