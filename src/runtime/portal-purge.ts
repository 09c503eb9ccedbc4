import { sql as raw, type Kysely } from 'kysely';
import type { SqlHandle } from '../db/sql.ts';
import { errorMessage } from '../errors.ts';
import type { KeyValueCache } from '../cache/kv.ts';
import type { JobQueue } from '../queue/queue.ts';
import type { VectorStore } from '../retrieval/vector-store.ts';
import { portalEmbeddingPrefix } from '../ingest/cached-embedder.ts';
import { portalResponsePrefix } from '../agents/response-cache.ts';
import { portalSnapshotPrefix } from '../ingest/history-snapshots.ts';

/** What a purge needs of the composition root (a structural slice of its Container). */
export interface PurgeDeps {
  oauth(): Promise<{ tokens: { uninstall(portalId: string, reason: string): Promise<boolean> } } | undefined>;
  forgetPortal(portalId: string): Promise<void>;
  exclusivePortal<T>(portalId: string, work: () => Promise<T>): Promise<T>;
  sql(): Promise<SqlHandle>;
  queue(): Promise<Pick<JobQueue, 'removePortalJobs'>>;
  store(): Promise<Pick<VectorStore, 'listAccounts' | 'deleteAccount' | 'stats'>>;
  cache(): Promise<Pick<KeyValueCache, 'deletePrefix'>>;
}
type Container = PurgeDeps;

/**
 * Purging a portal: everything this deployment holds of it goes, from every store, and the fact of the purge is
 * recorded (portal id, time, actor) so the audit log's append-only guard lets exactly that portal's rows go.
 *   1. its work stops: OAuth mode uninstalls it (tokens erased, webhooks dropped); then the purge takes the portal
 *      to itself (PortalScopes.exclusive), in this process and in every other one on the same database (the shared
 *      leases of runtime/shared-portal-leases.ts: an API server's requests and a worker's jobs, when the purge runs
 *      from the CLI): the jobs and API requests holding it finish first, new ones wait until the purge is over (and
 *      then find the portal not served), so none writes between the steps;
 *   2. the queue: its waiting, delayed, dead and finished jobs (and webhook batches of only its events);
 *   3. the vector store: every chunk and account profile of the portal;
 *   4. the cache: its webhook high-water marks and own-write markers (keys named by portal);
 *   5. SQL: audit rows, traces, reviews, writes, owner tasks, scorers and their reports, validation records
 *      measured on its data, backfill checkpoints, the term statistics of its account profiles and the
 *      installation row.
 *   4b. the embeddings and model responses cached for its texts (keyed by portal, never shared between portals);
 * Not attributable to a portal and so left: webhook dedupe markers (opaque hashes, no content, gone after 3 days).
 * Entries cached before portals keyed them (unkeyed `emb:`/`llm:v1:` keys) are deleted when a process opens the
 * cache (cache/unscoped-sweep.ts), so none is left to outlive a purge.
 */

export interface PortalFootprint {
  portalId: string;
  vectors: { accounts: number; chunks: number };
  sql: Record<string, number>;
  cacheKeys: number;
  jobs: number;
}

/** SQL tables holding a portal's rows, and the column naming it. */
const PORTAL_TABLES: Array<{ table: string; column: string; like?: (portalId: string) => string }> = [
  { table: 'audit_entries', column: 'portal_id' },
  { table: 'writeback_traces', column: 'portal_id' },
  { table: 'writeback_reviews', column: 'portal_id' },
  { table: 'writeback_writes', column: 'portal_id' },
  { table: 'writeback_owner_tasks', column: 'portal_id' },
  { table: 'lead_scorer_reports', column: 'portal_id' },
  { table: 'model_records', column: 'portal_id' },
  { table: 'model_validations', column: 'portal_id' },
  { table: 'model_quota_spend', column: 'portal_id' },
  { table: 'oauth_installations', column: 'portal_id' },
  { table: 'ingest_checkpoints', column: 'id', like: (p) => `backfill:${p}:%` },
  { table: 'portal_term_df', column: 'portal_id' },
  { table: 'account_term_sets', column: 'portal_id' },
];

/**
 * Cache key prefixes that name a portal: webhook high-water marks and own-write markers (events/event-ledger.ts,
 * events/echo.ts), and the embeddings and model responses cached for its texts (keyed by portal so that they go
 * with it: ingest/cached-embedder.ts, agents/response-cache.ts).
 */
export function portalCachePrefixes(portalId: string): string[] {
  return [`events:hwm:${portalId}:`, `events:own:${portalId}:`, portalEmbeddingPrefix(portalId), portalResponsePrefix(portalId), portalSnapshotPrefix(portalId)];
}

function missingTable(err: unknown): boolean {
  return /no such table|does not exist/i.test(errorMessage(err));
}

/**
 * Every portal the SQL store holds rows of (installed ones only, of the installations), in id order: what a command
 * that reads the store alone can offer as "the portal" without asking HubSpot whose token it is. A backfill alone
 * leaves its checkpoints and term statistics, so a portal with vectors and nothing else yet is found too.
 */
export async function portalsWithRows(handle: SqlHandle): Promise<string[]> {
  const db = handle.db as unknown as Kysely<Record<string, Record<string, string | null>>>;
  const found = new Set<string>();
  for (const t of PORTAL_TABLES) {
    try {
      if (t.like) {
        const rows = await db.selectFrom(t.table).select(t.column).where(t.column, 'like', t.like('%')).execute();
        for (const r of rows) found.add(String(r[t.column]).split(':')[1] ?? '');
      } else {
        let q = db.selectFrom(t.table).select(raw<string | null>`distinct ${raw.ref(t.column)}`.as('portal_id'));
        if (t.table === 'oauth_installations') q = q.where('status', '=', 'installed');
        for (const r of await q.execute()) if (r.portal_id) found.add(String(r.portal_id));
      }
    } catch (err) {
      if (!missingTable(err)) throw err; // the module was never used in this database
    }
  }
  found.delete('');
  return [...found].sort((a, b) => (a.length - b.length) || a.localeCompare(b));
}

async function eachTable(handle: SqlHandle, portalId: string, run: (db: Kysely<Record<string, Record<string, unknown>>>, t: (typeof PORTAL_TABLES)[number]) => Promise<number>): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  const db = handle.db as unknown as Kysely<Record<string, Record<string, unknown>>>;
  for (const t of PORTAL_TABLES) {
    try {
      out[t.table] = await run(db, t);
    } catch (err) {
      if (!missingTable(err)) throw err;
      out[t.table] = 0; // the module was never used in this database
    }
  }
  void portalId;
  return out;
}

const where = (t: (typeof PORTAL_TABLES)[number], portalId: string) =>
  t.like ? raw<boolean>`${raw.ref(t.column)} like ${t.like(portalId)}` : raw<boolean>`${raw.ref(t.column)} = ${portalId}`;

/** What each store holds of a portal (the purge's check, and `portals list`). */
export async function portalFootprint(c: Container, portalId: string): Promise<PortalFootprint> {
  const [store, handle] = await Promise.all([c.store(), c.sql()]);
  const accounts = await store.listAccounts(portalId);
  const stats = await store.stats(portalId);
  const sqlCounts = await eachTable(handle, portalId, async (db, t) => {
    const row = await db.selectFrom(t.table).select((eb) => eb.fn.countAll<number | string>().as('n')).where(where(t, portalId)).executeTakeFirst();
    return Number(row?.n ?? 0);
  });
  return { portalId, vectors: { accounts: accounts.length, chunks: stats.chunks }, sql: sqlCounts, cacheKeys: 0, jobs: 0 };
}

export interface PurgeReport extends PortalFootprint {
  uninstalled: boolean;
}

export async function purgePortal(c: Container, portalId: string, opts: { actor: string; onStep?: (step: string) => void }): Promise<PurgeReport> {
  if (!/^\d{1,20}$/.test(portalId)) throw new Error(`a portal id is digits, not "${portalId}"`);
  const step = opts.onStep ?? (() => undefined);
  const oauth = await c.oauth();
  step('stopping its work');
  const uninstalled = oauth ? await oauth.tokens.uninstall(portalId, `purged by ${opts.actor}`) : false;
  step('waiting for its running jobs and requests');
  return c.exclusivePortal(portalId, () => removeEverything(c, portalId, uninstalled, opts.actor, step));
}

async function removeEverything(c: Container, portalId: string, uninstalled: boolean, actor: string, step: (s: string) => void): Promise<PurgeReport> {
  const handle = await c.sql();
  const { migrateWriteback } = await import('../writeback/sql-schema.ts');
  await migrateWriteback(handle);
  const db = handle.db as unknown as Kysely<{ portal_purges: { portal_id: string; requested_at: number; requested_by: string } }>;
  await db
    .insertInto('portal_purges')
    .values({ portal_id: portalId, requested_at: Date.now(), requested_by: actor })
    .onConflict((oc) => oc.column('portal_id').doUpdateSet({ requested_at: Date.now(), requested_by: actor }))
    .execute();

  step('removing its jobs');
  const jobs = await (await c.queue()).removePortalJobs(portalId);

  step('removing its vectors');
  const store = await c.store();
  const before = await store.stats(portalId);
  const accounts = await store.listAccounts(portalId);
  for (const a of accounts) await store.deleteAccount(portalId, a);

  step('removing its cache keys');
  const cache = await c.cache();
  let cacheKeys = 0;
  for (const prefix of portalCachePrefixes(portalId)) cacheKeys += await cache.deletePrefix(prefix);

  step('removing its rows');
  const sqlCounts = await eachTable(handle, portalId, async (d, t) => {
    const res = await d.deleteFrom(t.table).where(where(t, portalId)).executeTakeFirst();
    return Number(res.numDeletedRows ?? 0);
  });
  return { portalId, uninstalled, jobs, cacheKeys, vectors: { accounts: accounts.length, chunks: before.chunks }, sql: sqlCounts };
}

/** Before a portal is added (again): its purge record goes, so the audit log protects its new rows. */
export async function forgetPurge(handle: SqlHandle, portalId: string): Promise<void> {
  const { migrateWriteback } = await import('../writeback/sql-schema.ts');
  await migrateWriteback(handle);
  await (handle.db as unknown as Kysely<{ portal_purges: { portal_id: string } }>).deleteFrom('portal_purges').where('portal_id', '=', portalId).execute();
}
