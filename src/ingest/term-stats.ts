import { sql as raw, type CompiledQuery, type Kysely } from 'kysely';
import { ensureSchema } from '../db/migrator.ts';
import type { SqlHandle } from '../db/sql.ts';
import { writeTransaction } from '../db/sqlite.ts';
import type { TermDocumentFrequencies } from '../retrieval/account-profile.ts';

/**
 * Portal-wide term statistics for account profiles: per portal, how many accounts' histories contain each term
 * (document frequencies), maintained incrementally: indexing an account replaces its term set, so only the
 * difference between its old and new terms moves the counts. Each account also remembers the portal size its
 * profile was built at, which is how profiles are refreshed when the statistics drift (`drifted`).
 * Never across portals: every row is keyed by portal, and a purge removes the portal's rows.
 */
export interface TermStatsStore {
  /** Replaces each account's term set (`null`: the account is gone) and moves the portal's counts accordingly. */
  apply(portalId: string, updates: Array<{ accountId: string; terms: readonly string[] | null }>): Promise<void>;
  /** The portal's account count and the document frequencies of these terms (absent terms: df 0). */
  frequencies(portalId: string, terms: readonly string[]): Promise<TermDocumentFrequencies>;
  /** Records that these accounts' profiles were built when the portal had `documents` accounts. */
  markProfiled(portalId: string, accountIds: readonly string[], documents: number): Promise<void>;
  /**
   * Accounts whose profile was built when the portal's account count differed from today's by more than
   * `ratio` (either way), or never built; oldest first, at most `limit`.
   */
  drifted(portalId: string, ratio: number, limit: number): Promise<{ documents: number; accountIds: string[] }>;
  close(): Promise<void>;
}

/** Row batches: well under SQLite's and PostgreSQL's bound-parameter limits. */
const BATCH = 400;

interface TermStatsTables {
  portal_term_df: { portal_id: string; term: string; df: number };
  account_term_sets: { portal_id: string; account_id: string; terms: string; profiled_documents: number; updated_at: number };
}

/** The SQL adapter: the SQLite file of the embedded mode, or PostgreSQL when DATABASE_URL is set. */
export class SqlTermStatsStore implements TermStatsStore {
  private readonly db: Kysely<TermStatsTables>;

  constructor(private readonly handle: SqlHandle) {
    this.db = handle.db as Kysely<TermStatsTables>;
  }

  /**
   * One isolated transaction. SQLite: synchronous, under the file's write lock (`writeTransaction`): the connection
   * is shared by every embedded store of the process, and an asynchronous transaction on it (Kysely's) would take
   * their writes made meanwhile in as savepoints, committed or rolled back with ours. PostgreSQL: a transaction on a
   * pool connection of its own, the old term sets locked so another process indexing the same account waits.
   */
  async apply(portalId: string, updates: Array<{ accountId: string; terms: readonly string[] | null }>): Promise<void> {
    if (updates.length === 0) return;
    await ensureSchema(this.handle);
    const ids = [...new Set(updates.map((u) => u.accountId))].sort();
    const reads = (forUpdate: boolean) => {
      const out = [];
      for (let i = 0; i < ids.length; i += BATCH) {
        const q = this.db.selectFrom('account_term_sets').select(['account_id', 'terms']).where('portal_id', '=', portalId).where('account_id', 'in', ids.slice(i, i + BATCH));
        out.push((forUpdate ? q.forUpdate() : q).compile());
      }
      return out;
    };
    const sqlite = this.handle.sqlite;
    if (sqlite) {
      writeTransaction(sqlite, () => {
        const old = reads(false).flatMap((q) => sqlite.prepare(q.sql).all(q.parameters) as Array<{ account_id: string; terms: string }>);
        for (const q of this.writes(portalId, updates, old)) sqlite.prepare(q.sql).run(q.parameters);
      });
      return;
    }
    await this.db.transaction().execute(async (tx) => {
      const old: Array<{ account_id: string; terms: string }> = [];
      // Another process indexing one of these accounts waits here, so both changes are counted once each.
      for (const q of reads(true)) old.push(...((await tx.executeQuery(q)).rows as typeof old));
      for (const q of this.writes(portalId, updates, old)) await tx.executeQuery(q);
    });
  }

  /** The statements that move the counts from the accounts' old term sets (`old`) to `updates`. */
  private writes(portalId: string, updates: Array<{ accountId: string; terms: readonly string[] | null }>, oldRows: Array<{ account_id: string; terms: string }>): CompiledQuery[] {
    const old = new Map<string, string[]>(oldRows.map((r) => [r.account_id, JSON.parse(r.terms) as string[]]));
    const delta = new Map<string, number>();
    const now = Date.now();
    const rows: TermStatsTables['account_term_sets'][] = [];
    const gone: string[] = [];
    for (const u of lastPerAccount(updates)) {
      const before = new Set(old.get(u.accountId) ?? []);
      const after = new Set(u.terms ?? []);
      for (const t of after) if (!before.has(t)) delta.set(t, (delta.get(t) ?? 0) + 1);
      for (const t of before) if (!after.has(t)) delta.set(t, (delta.get(t) ?? 0) - 1);
      if (u.terms) rows.push({ portal_id: portalId, account_id: u.accountId, terms: JSON.stringify([...after].sort()), profiled_documents: 0, updated_at: now });
      else if (old.has(u.accountId)) gone.push(u.accountId);
      old.set(u.accountId, [...after]);
    }
    const out: CompiledQuery[] = [];
    // Sorted, so two transactions touching the same terms lock them in the same order.
    const changes = [...delta].filter(([, d]) => d !== 0).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    for (let i = 0; i < changes.length; i += BATCH) {
      const values = changes.slice(i, i + BATCH).map(([term, d]) => ({ portal_id: portalId, term, df: d }));
      out.push(
        this.db
          .insertInto('portal_term_df')
          .values(values)
          .onConflict((oc) => oc.columns(['portal_id', 'term']).doUpdateSet({ df: (eb) => eb('portal_term_df.df', '+', eb.ref('excluded.df')) }))
          .compile(),
      );
    }
    const dropped = changes.filter(([, d]) => d < 0).map(([t]) => t);
    for (let i = 0; i < dropped.length; i += BATCH) {
      out.push(this.db.deleteFrom('portal_term_df').where('portal_id', '=', portalId).where('term', 'in', dropped.slice(i, i + BATCH)).where('df', '<=', 0).compile());
    }
    for (let i = 0; i < rows.length; i += BATCH) {
      out.push(
        this.db
          .insertInto('account_term_sets')
          .values(rows.slice(i, i + BATCH))
          .onConflict((oc) => oc.columns(['portal_id', 'account_id']).doUpdateSet({ terms: (eb) => eb.ref('excluded.terms'), updated_at: (eb) => eb.ref('excluded.updated_at') }))
          .compile(),
      );
    }
    for (let i = 0; i < gone.length; i += BATCH) {
      out.push(this.db.deleteFrom('account_term_sets').where('portal_id', '=', portalId).where('account_id', 'in', gone.slice(i, i + BATCH)).compile());
    }
    return out;
  }

  async frequencies(portalId: string, terms: readonly string[]): Promise<TermDocumentFrequencies> {
    await ensureSchema(this.handle);
    const df = new Map<string, number>();
    const unique = [...new Set(terms)];
    for (let i = 0; i < unique.length; i += BATCH) {
      const rows = await this.db.selectFrom('portal_term_df').select(['term', 'df']).where('portal_id', '=', portalId).where('term', 'in', unique.slice(i, i + BATCH)).execute();
      for (const r of rows) df.set(r.term, Number(r.df));
    }
    return { documents: await this.documents(portalId), df };
  }

  async markProfiled(portalId: string, accountIds: readonly string[], documents: number): Promise<void> {
    await ensureSchema(this.handle);
    const ids = [...new Set(accountIds)];
    for (let i = 0; i < ids.length; i += BATCH) {
      await this.db.updateTable('account_term_sets').set({ profiled_documents: documents }).where('portal_id', '=', portalId).where('account_id', 'in', ids.slice(i, i + BATCH)).execute();
    }
  }

  async drifted(portalId: string, ratio: number, limit: number): Promise<{ documents: number; accountIds: string[] }> {
    await ensureSchema(this.handle);
    const documents = await this.documents(portalId);
    // Integer arithmetic on both dialects: built·(1+r) < N, or built > N·(1+r), with r = ratio in thousandths.
    const r = 1000 + Math.round(ratio * 1000);
    const rows = await this.db
      .selectFrom('account_term_sets')
      .select('account_id')
      .where('portal_id', '=', portalId)
      .where((eb) => eb.or([eb(raw`profiled_documents * ${r}`, '<', documents * 1000), eb(raw`profiled_documents * 1000`, '>', documents * r)]))
      .orderBy('profiled_documents')
      .orderBy('account_id')
      .limit(limit)
      .execute();
    return { documents, accountIds: rows.map((x) => x.account_id) };
  }

  private async documents(portalId: string): Promise<number> {
    const row = await this.db.selectFrom('account_term_sets').select((eb) => eb.fn.countAll<number>().as('n')).where('portal_id', '=', portalId).executeTakeFirst();
    return Number(row?.n ?? 0);
  }

  /** The SQL handle belongs to the container. */
  async close(): Promise<void> {}
}

/**
 * The in-process adapter: for an indexer built without the SQL layer (tests, benches, one-off tools). Its
 * statistics live as long as the process.
 */
export class MemoryTermStatsStore implements TermStatsStore {
  private readonly portals = new Map<string, { df: Map<string, number>; accounts: Map<string, { terms: Set<string>; profiled: number }> }>();

  private portal(portalId: string) {
    let p = this.portals.get(portalId);
    if (!p) this.portals.set(portalId, (p = { df: new Map(), accounts: new Map() }));
    return p;
  }

  async apply(portalId: string, updates: Array<{ accountId: string; terms: readonly string[] | null }>): Promise<void> {
    const p = this.portal(portalId);
    for (const u of lastPerAccount(updates)) {
      const prev = p.accounts.get(u.accountId);
      const before = prev?.terms ?? new Set<string>();
      const after = new Set(u.terms ?? []);
      for (const t of after) if (!before.has(t)) p.df.set(t, (p.df.get(t) ?? 0) + 1);
      for (const t of before) {
        if (after.has(t)) continue;
        const n = (p.df.get(t) ?? 0) - 1;
        if (n > 0) p.df.set(t, n);
        else p.df.delete(t);
      }
      if (u.terms) p.accounts.set(u.accountId, { terms: after, profiled: prev?.profiled ?? 0 });
      else p.accounts.delete(u.accountId);
    }
  }

  async frequencies(portalId: string, terms: readonly string[]): Promise<TermDocumentFrequencies> {
    const p = this.portal(portalId);
    const df = new Map<string, number>();
    for (const t of terms) {
      const n = p.df.get(t);
      if (n !== undefined) df.set(t, n);
    }
    return { documents: p.accounts.size, df };
  }

  async markProfiled(portalId: string, accountIds: readonly string[], documents: number): Promise<void> {
    const p = this.portal(portalId);
    for (const id of accountIds) {
      const a = p.accounts.get(id);
      if (a) a.profiled = documents;
    }
  }

  async drifted(portalId: string, ratio: number, limit: number): Promise<{ documents: number; accountIds: string[] }> {
    const p = this.portal(portalId);
    const documents = p.accounts.size;
    const ids = [...p.accounts]
      .filter(([, a]) => a.profiled * (1 + ratio) < documents || a.profiled > documents * (1 + ratio))
      .sort(([x, a], [y, b]) => a.profiled - b.profiled || (x < y ? -1 : x > y ? 1 : 0))
      .slice(0, limit)
      .map(([id]) => id);
    return { documents, accountIds: ids };
  }

  async close(): Promise<void> {}
}

/** The last update of each account (a batch may name one twice). */
function lastPerAccount<T extends { accountId: string }>(updates: T[]): T[] {
  return [...new Map(updates.map((u) => [u.accountId, u])).values()];
}
