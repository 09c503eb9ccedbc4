import crypto from 'node:crypto';
import os from 'node:os';
import type { Kysely } from 'kysely';
import type { SqlHandle } from '../db/sql.ts';
import { ensureSchema } from '../db/migrator.ts';
import { errorMessage } from '../errors.ts';
import { silentLogger, type Logger } from '../logging.ts';

/**
 * Portal leases every process on the same database sees (the SQLite file, or PostgreSQL): a process working on a
 * portal (jobs, API requests) holds a `work` row for it; a purge holds a `purge` row. A process takes its first lease
 * on a portal by writing its row and then looking for a purge (waiting while one runs); a purge writes its row and
 * then waits until no other process holds a `work` row. Each side writes before it reads, so of two racing, at
 * least one sees the other. Rows carry an expiry that a timer pushes forward while they are held, so a killed
 * process's rows stop counting after `ttlMs`.
 *
 * A released `work` row lingers for `lingerMs` before it is deleted: a portal whose jobs follow each other (a
 * webhook batch, its ingest, its generation) keeps one row instead of writing and deleting one per job, and every
 * such write waits for the file's write lock that a backfill in another process may hold. A hold that finds its row
 * still lingering only reads (is a purge running elsewhere?): the row was written before that read, so the
 * guarantee above holds. A purge elsewhere waits at most `lingerMs` (plus one sweep) longer for a released row.
 */
export interface SharedPortalLeases {
  /** Records that this process works on the portal; waits while another process purges it. */
  hold(portalId: string): Promise<void>;
  /** This process no longer works on the portal. */
  release(portalId: string): Promise<void>;
  /** Marks the portal purged by this process; new holds elsewhere wait until `endExclusive`. */
  beginExclusive(portalId: string): Promise<void>;
  /** Other processes holding the portal now (live `work` rows). */
  otherHolders(portalId: string): Promise<number>;
  endExclusive(portalId: string): Promise<void>;
  close(): Promise<void>;
}

interface LeaseDb {
  portal_leases: { portal_id: string; holder: string; kind: 'work' | 'purge'; expires_at: number };
}

export interface SqlPortalLeasesOptions {
  /** A row not refreshed for this long no longer counts (a killed process). Default 30 s. */
  ttlMs?: number;
  /** How often a waiting hold looks again for the purge to end. Default 100 ms. */
  pollMs?: number;
  /** How long a released `work` row stays before it is deleted (a new hold in the meantime writes nothing). Default 3 s. */
  lingerMs?: number;
  logger?: Logger;
  now?: () => number;
}

export class SqlPortalLeases implements SharedPortalLeases {
  /** This process (container): host, pid and a random part, so two containers in one process differ too. */
  readonly holder = `${os.hostname().slice(0, 64)}:${process.pid}:${crypto.randomBytes(6).toString('hex')}`;
  private readonly db: Kysely<LeaseDb>;
  private readonly ttlMs: number;
  private readonly pollMs: number;
  private readonly lingerMs: number;
  private readonly logger: Logger;
  private readonly now: () => number;
  /** Rows this process holds ("work:<portal>", "purge:<portal>"): the refresh timer runs while there are any. */
  private readonly held = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  /** Released portals whose `work` row is still in the table, with the time it is to be deleted. */
  private readonly lingering = new Map<string, number>();
  private sweepTimer: NodeJS.Timeout | undefined;
  /** Per portal, this process's row writes in order (a sweep's delete never overtakes a hold's insert, nor the reverse). */
  private readonly writes = new Map<string, Promise<void>>();
  private closed = false;

  constructor(
    private readonly handle: SqlHandle,
    opts: SqlPortalLeasesOptions = {},
  ) {
    this.db = handle.db as Kysely<LeaseDb>;
    this.ttlMs = opts.ttlMs ?? 30_000;
    this.pollMs = opts.pollMs ?? 100;
    this.lingerMs = Math.max(0, opts.lingerMs ?? 3_000);
    this.logger = opts.logger ?? silentLogger;
    this.now = opts.now ?? Date.now;
  }

  async hold(portalId: string): Promise<void> {
    await ensureSchema(this.handle);
    for (;;) {
      // Still lingering: the row is there (its delete is only ever queued after this point), so only the read is left.
      const kept = await this.serial(portalId, async () => {
        if (this.lingering.delete(portalId)) return true;
        await this.put(portalId, 'work');
        return false;
      });
      if (kept) this.scheduleSweep();
      if (!(await this.purgedElsewhere(portalId))) return;
      // A purge runs in another process: step back so it can finish, and come back once it is over.
      await this.serial(portalId, () => this.drop(portalId, 'work'));
      while (await this.purgedElsewhere(portalId)) await new Promise((r) => setTimeout(r, this.pollMs));
    }
  }

  async release(portalId: string): Promise<void> {
    if (this.lingerMs === 0 || this.closed) {
      await this.serial(portalId, () => this.drop(portalId, 'work'));
      return;
    }
    this.lingering.set(portalId, this.now() + this.lingerMs);
    this.scheduleSweep();
  }

  /** Deletes the rows whose linger is over (portals not held again meanwhile). */
  private sweep(): void {
    this.sweepTimer = undefined;
    const now = this.now();
    for (const [portalId, until] of this.lingering) {
      if (until > now) continue;
      this.lingering.delete(portalId);
      void this.serial(portalId, async () => {
        // Held again since the sweep began (the hold took it out of `lingering` and kept the row): keep it.
        if (this.lingering.has(portalId) || this.closed) return;
        await this.drop(portalId, 'work');
      }).catch((err: unknown) => this.logger.warn({ err: errorMessage(err), portalId }, 'could not delete a released portal lease'));
    }
    this.scheduleSweep();
  }

  private scheduleSweep(): void {
    if (this.sweepTimer || this.closed || this.lingering.size === 0) return;
    const next = Math.min(...this.lingering.values());
    this.sweepTimer = setTimeout(() => this.sweep(), Math.max(10, next - this.now()));
    this.sweepTimer.unref();
  }

  /** Runs a row write of the portal after this process's earlier ones. */
  private serial<T>(portalId: string, op: () => Promise<T>): Promise<T> {
    const prev = this.writes.get(portalId) ?? Promise.resolve();
    const next = prev.catch(() => undefined).then(op);
    const tail = next.then(() => undefined, () => undefined);
    this.writes.set(portalId, tail);
    void tail.then(() => {
      if (this.writes.get(portalId) === tail) this.writes.delete(portalId);
    });
    return next;
  }

  async beginExclusive(portalId: string): Promise<void> {
    await ensureSchema(this.handle);
    await this.put(portalId, 'purge');
  }

  async otherHolders(portalId: string): Promise<number> {
    const row = await this.db
      .selectFrom('portal_leases')
      .select((eb) => eb.fn.countAll<number | string>().as('n'))
      .where('portal_id', '=', portalId)
      .where('kind', '=', 'work')
      .where('holder', '!=', this.holder)
      .where('expires_at', '>', this.now())
      .executeTakeFirst();
    return Number(row?.n ?? 0);
  }

  async endExclusive(portalId: string): Promise<void> {
    await this.drop(portalId, 'purge');
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    this.timer = undefined;
    clearTimeout(this.sweepTimer);
    this.sweepTimer = undefined;
    this.lingering.clear();
    if (this.held.size === 0) return;
    this.held.clear();
    await this.db.deleteFrom('portal_leases').where('holder', '=', this.holder).execute().catch(() => undefined);
  }

  private async purgedElsewhere(portalId: string): Promise<boolean> {
    const row = await this.db
      .selectFrom('portal_leases')
      .select('holder')
      .where('portal_id', '=', portalId)
      .where('kind', '=', 'purge')
      .where('holder', '!=', this.holder)
      .where('expires_at', '>', this.now())
      .executeTakeFirst();
    return row !== undefined;
  }

  private async put(portalId: string, kind: 'work' | 'purge'): Promise<void> {
    const expires = this.now() + this.ttlMs;
    await this.db
      .insertInto('portal_leases')
      .values({ portal_id: portalId, holder: this.holder, kind, expires_at: expires })
      .onConflict((oc) => oc.columns(['portal_id', 'kind', 'holder']).doUpdateSet({ expires_at: expires }))
      .execute();
    this.held.add(`${kind}:${portalId}`);
    this.refreshWhileHeld();
  }

  private async drop(portalId: string, kind: 'work' | 'purge'): Promise<void> {
    this.held.delete(`${kind}:${portalId}`);
    if (this.held.size === 0) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
    await this.db.deleteFrom('portal_leases').where('portal_id', '=', portalId).where('kind', '=', kind).where('holder', '=', this.holder).execute();
  }

  /** Pushes this process's rows' expiry forward every third of the TTL while it holds any (the timer does not keep the process alive). */
  private refreshWhileHeld(): void {
    if (this.timer || this.closed) return;
    this.timer = setInterval(() => {
      this.db
        .updateTable('portal_leases')
        .set({ expires_at: this.now() + this.ttlMs })
        .where('holder', '=', this.holder)
        .execute()
        .catch((err: unknown) => this.logger.warn({ err: errorMessage(err) }, 'could not refresh this process\'s portal leases'));
    }, Math.max(50, Math.floor(this.ttlMs / 3)));
    this.timer.unref();
  }
}
