import { createHash } from 'node:crypto';
import { contactAccountId, parseAccountId, type AccountHistory } from '../core/objects.ts';
import type { HubSpotGateway } from '../hubspot/gateway.ts';
import { silentLogger, type Logger } from '../logging.ts';
import type { HistoryDigest } from '../retrieval/account-profile.ts';
import { AccountProfiler, DRIFT_BATCH } from './account-profiler.ts';
import { chunkSetVersion, contentVersion } from '../retrieval/content-version.ts';
import type { ChunkPayload, ChunkRecord, VectorStore } from '../retrieval/vector-store.ts';
import type { ChunkDraft } from '../text/chunker.ts';
import { chunkId } from '../text/chunk-id.ts';
import { DraftMemo, draftsOfHistory } from './draft-memo.ts';
import type { HistorySnapshots, IndexedSnapshot } from './history-snapshots.ts';
import type { Embedder } from '../text/embedder.ts';
import type { WorkPool } from './work-pool.ts';
import { MemoryTermStatsStore, type TermStatsStore } from './term-stats.ts';

/**
 * The indexer reconciles each account's stored chunks with its current HubSpot history: it embeds only chunks
 * that are new or changed, upserts them, and deletes chunks whose source (or association) is gone. Re-indexing
 * an unchanged account therefore costs no embedding call and writes nothing; this is what makes webhooks,
 * `--since` polls and re-run backfills cheap and idempotent.
 */

/** Texts per embedding request: well under provider limits (2,048 inputs, 300k tokens) for ≤1k-token chunks. */
const EMBED_BATCH = 128;
/** Points per upsert: the batch size Qdrant recommends for bulk loads; harmless for SQLite. */
const UPSERT_BATCH = 256;
/**
 * Accounts from which a reconciliation chunks in worker threads: a backfill batch is worth the messaging, a
 * webhook's single account is not (and keeps its chunks in this thread's memo).
 */
const POOL_MIN_ACCOUNTS = 8;

export interface IndexResult {
  accounts: number;
  /** CRM objects read for these accounts (account record, contacts, deals, tickets, engagements). */
  records: number;
  /** Chunks the indexed accounts have after reconciliation. */
  chunks: number;
  chunksEmbedded: number;
  chunksUnchanged: number;
  chunksDeleted: number;
  embeddingTokens: number;
  cacheHits: number;
  profilesUpdated: number;
  /** Accounts removed because they no longer exist in HubSpot (deleted, merged away, contact got a company). */
  accountsRemoved: number;
}

export function emptyIndexResult(): IndexResult {
  return {
    accounts: 0,
    records: 0,
    chunks: 0,
    chunksEmbedded: 0,
    chunksUnchanged: 0,
    chunksDeleted: 0,
    embeddingTokens: 0,
    cacheHits: 0,
    profilesUpdated: 0,
    accountsRemoved: 0,
  };
}

export function addIndexResults(a: IndexResult, b: IndexResult): IndexResult {
  const out = { ...a };
  for (const k of Object.keys(out) as Array<keyof IndexResult>) out[k] = a[k] + b[k];
  return out;
}


export interface IndexerDeps {
  store: VectorStore;
  embedder: Embedder;
  gateway: HubSpotGateway;
  logger?: Logger;
  /** Worker threads that chunk large batches (owned by the caller); without it everything runs in this thread. */
  pool?: WorkPool;
  /** Indexed snapshots for the event path (`refreshAccounts`); without them every event reads its accounts whole. */
  snapshots?: HistorySnapshots;
  /**
   * The portals' term statistics behind account profiles (the container passes the SQL one); without it they
   * live in this process only.
   */
  termStats?: TermStatsStore;
}

/** Told each reconciled history with the content version it produced. */
type PlanSink = (history: AccountHistory, version: string) => void;

/** Where account histories come from: the gateway, or a view with the same answers (hubspot/portal-scan.ts). */
export type AccountSource = Pick<HubSpotGateway, 'accountHistories' | 'batchAssociations'>;

interface PlannedChunk {
  payload: ChunkPayload;
  changed: boolean;
}

interface AccountPlan {
  history: AccountHistory;
  chunks: PlannedChunk[];
  staleIds: string[];
  /** The profile's history digest, computed with the drafts in a work-pool thread if they were made there. */
  digest?: HistoryDigest;
}

export class Indexer {
  private readonly store: VectorStore;
  private readonly embedder: Embedder;
  private readonly gateway: HubSpotGateway;
  private readonly logger: Logger;
  private readonly drafts = new DraftMemo();
  private readonly pool: WorkPool | undefined;
  private readonly profiler: AccountProfiler;
  /** The indexed snapshots this indexer keeps (generation jobs read them). */
  readonly snapshots: HistorySnapshots | undefined;
  /** Per-account tail of work in this process: two reconciliations of one account never interleave. */
  private readonly locks = new Map<string, Promise<void>>();

  constructor(deps: IndexerDeps) {
    this.store = deps.store;
    this.embedder = deps.embedder;
    this.gateway = deps.gateway;
    this.logger = deps.logger ?? silentLogger;
    this.pool = deps.pool;
    this.snapshots = deps.snapshots;
    this.profiler = new AccountProfiler({ store: this.store, stats: deps.termStats ?? new MemoryTermStatsStore(), embedder: this.embedder, logger: this.logger });
  }

  /** Nothing to release: the work pool belongs to whoever passed it. */
  async close(): Promise<void> {}

  /** Reconciles the store with these histories (the accounts' complete current state). */
  async indexHistories(histories: AccountHistory[]): Promise<IndexResult> {
    return this.withAccountLocks(histories.map((h) => lockKey(h.portalId, h.accountId)), () => this.indexUnlocked(histories));
  }

  /**
   * Fetches the accounts' histories and reconciles them; an account HubSpot no longer has (deleted or merged
   * company, contact that now belongs to a company) is removed from the store. The fetch happens under the
   * accounts' locks: a slower, older read can never overwrite a newer one. `source` is HubSpot itself, or a
   * backfill's portal scan (which reads the same histories with fewer requests).
   */
  async reindexAccounts(portalId: string, accountIds: string[], source: AccountSource = this.gateway): Promise<IndexResult> {
    const ids = [...new Set(accountIds)];
    if (ids.length === 0) return emptyIndexResult();
    return this.withAccountLocks(ids.map((id) => lockKey(portalId, id)), async () => {
      const snapshots = this.snapshots;
      if (!snapshots) return this.readAndIndex(portalId, ids, source);
      // The whole history is in hand: leave it as the accounts' snapshots, so that their next event patches it
      // (a handful of requests) instead of reading them whole again. An account whose lease an event holds
      // elsewhere gets no snapshot from us (theirs stays usable only while its version is the store's).
      const lease = await snapshots.lease(portalId, ids, 0);
      try {
        const written: IndexedSnapshot[] = [];
        const result = await this.readAndIndex(portalId, ids, source, (history, version) => {
          if (lease.held.has(history.accountId)) written.push({ history, version, indexedAt: Date.now() });
        });
        await snapshots.put(written);
        return result;
      } finally {
        await lease.release();
      }
    });
  }

  /**
   * The event path: reconciles these accounts after one source changed. An account with a snapshot that matches
   * the index gets `patch` applied to it instead of a HubSpot read (`patch` returns null when the change does not
   * fit the snapshot, e.g. a record it does not hold); the others are read whole. Afterwards each account has a
   * fresh snapshot (when this indexer keeps them), and `versions` says what content each live account now has:
   * the version a generation job started by this event asks its agent to read.
   */
  async refreshAccounts(
    portalId: string,
    accountIds: string[],
    patch?: (history: AccountHistory) => AccountHistory | null,
    /** Whole histories the caller already knows (a new account, built from the records it read), used unread. */
    known?: ReadonlyMap<string, AccountHistory>,
  ): Promise<IndexResult & { versions: Map<string, string>; patched: number }> {
    const ids = [...new Set(accountIds)];
    const versions = new Map<string, string>();
    if (ids.length === 0) return { ...emptyIndexResult(), versions, patched: 0 };
    const result = await this.withAccountLocks(ids.map((id) => lockKey(portalId, id)), async () => {
      const snapshots = this.snapshots;
      const lease = snapshots ? await snapshots.lease(portalId, ids) : undefined;
      try {
        const patched: AccountHistory[] = [];
        const toRead: string[] = [];
        for (const id of ids) {
          const history = patch && snapshots && lease?.held.has(id) ? await this.currentSnapshot(snapshots, portalId, id) : null;
          const next = (history && patch ? patch(history) : null) ?? known?.get(id) ?? null;
          if (next) patched.push(next);
          else toRead.push(id);
        }
        const written: IndexedSnapshot[] = [];
        const sink: PlanSink = (history, version) => {
          versions.set(history.accountId, version);
          written.push({ history, version, indexedAt: Date.now() });
        };
        const result = addIndexResults(await this.indexUnlocked(patched, sink), await this.readAndIndex(portalId, toRead, this.gateway, sink));
        if (snapshots && lease) {
          await snapshots.put(written.filter((w) => lease.held.has(w.history.accountId)));
          // Someone else holds the others' leases: a snapshot of ours could overwrite a newer one.
          await snapshots.delete(portalId, ids.filter((id) => !lease.held.has(id)));
        }
        return { ...result, versions, patched: patched.length };
      } finally {
        await lease?.release();
      }
    });
    // After our locks are released: the rebuild takes the drifted accounts' own locks.
    result.profilesUpdated += await this.refreshDriftedProfiles(portalId, { limit: DRIFT_BATCH });
    return result;
  }

  /**
   * Rebuilds the portal's profiles whose term statistics drifted by more than `ratio` (account-profiler.ts; 0:
   * every profile not built on today's statistics, the backfill's last step): at most `limit`, all when omitted.
   * Returns how many were rebuilt.
   */
  async refreshDriftedProfiles(portalId: string, opts: { limit?: number; ratio?: number } = {}): Promise<number> {
    return this.profiler.refreshDrifted(portalId, {
      ...opts,
      lock: (ids, fn) => this.withAccountLocks(ids.map((id) => lockKey(portalId, id)), fn),
    });
  }

  /**
   * Keeps each account's profile inputs as this indexer reconciles it, until the returned function is called, so
   * that `refreshDriftedProfiles` rebuilds those profiles without reading and digesting their chunks again (a
   * backfill's final pass; account-profiler.ts `remember`).
   */
  rememberProfiles(portalId: string): () => void {
    return this.profiler.remember(portalId);
  }

  /** The accounts' snapshots that still describe what the store holds, by account (the others are absent). */
  async currentSnapshots(portalId: string, accountIds: string[]): Promise<Map<string, AccountHistory>> {
    const out = new Map<string, AccountHistory>();
    const snapshots = this.snapshots;
    if (!snapshots) return out;
    for (const id of new Set(accountIds)) {
      const h = await this.currentSnapshot(snapshots, portalId, id);
      if (h) out.set(id, h);
    }
    return out;
  }

  /** The account's snapshot when it still describes what the store holds (nothing else wrote the index since). */
  private async currentSnapshot(snapshots: HistorySnapshots, portalId: string, accountId: string): Promise<AccountHistory | null> {
    const snap = await snapshots.get(portalId, accountId);
    if (!snap) return null;
    return snap.version === (await contentVersion(this.store, portalId, accountId)) ? snap.history : null;
  }

  private async readAndIndex(portalId: string, ids: string[], source: AccountSource, sink?: PlanSink): Promise<IndexResult> {
    if (ids.length === 0) return emptyIndexResult();
    const histories = new Map((await source.accountHistories(ids)).map((h) => [h.accountId, h]));
    // The gateway builds a contact account's history whether or not the contact has a company meanwhile;
    // only a company-less contact is an account of its own.
    const soloContacts = ids.filter((a) => parseAccountId(a).type === 'contacts').map((a) => parseAccountId(a).id);
    const companiesOf = soloContacts.length > 0 ? await source.batchAssociations('contacts', 'companies', soloContacts) : new Map<string, string[]>();
    const live: AccountHistory[] = [];
    const gone: string[] = [];
    for (const id of ids) {
      const h = histories.get(id);
      const { type, id: objectId } = parseAccountId(id);
      const exists = h !== undefined && h.portalId === portalId && hasOwnRecord(h);
      if (exists && (type === 'companies' || (companiesOf.get(objectId) ?? []).length === 0)) live.push(h);
      else gone.push(id);
    }
    const result = await this.indexUnlocked(live, sink);
    for (const id of gone) {
      const removed = await this.removeUnlocked(portalId, id);
      result.chunksDeleted += removed;
      if (removed > 0) result.accountsRemoved += 1;
    }
    return result;
  }

  /** Deletes an account's chunks and profile; returns how many chunks it had. */
  async removeAccount(portalId: string, accountId: string): Promise<number> {
    return this.withAccountLocks([lockKey(portalId, accountId)], () => this.removeUnlocked(portalId, accountId));
  }

  private async indexUnlocked(histories: AccountHistory[], sink?: PlanSink): Promise<IndexResult> {
    // A history without its own record (the gateway's answer for a deleted company or contact) is a removal.
    const live = histories.filter(hasOwnRecord);
    const result = live.length === 0 ? emptyIndexResult() : await this.reconcile(live, sink);
    for (const h of histories.filter((x) => !hasOwnRecord(x))) {
      const removed = await this.removeUnlocked(h.portalId, h.accountId);
      result.chunksDeleted += removed;
      if (removed > 0) result.accountsRemoved += 1;
    }
    return result;
  }

  private async removeUnlocked(portalId: string, accountId: string): Promise<number> {
    const keys = await this.store.listChunkKeys(portalId, accountId);
    await this.store.deleteAccount(portalId, accountId);
    await this.profiler.forget(portalId, [accountId]);
    await this.snapshots?.delete(portalId, [accountId]);
    if (keys.length > 0) this.logger.info({ portalId, accountId, chunks: keys.length }, 'account removed from the index');
    return keys.length;
  }

  /** Deletes these sources (`notes:12`) from every account of the portal. */
  async removeSources(portalId: string, sourceIds: string[]): Promise<void> {
    if (sourceIds.length > 0) await this.store.deleteSources(portalId, sourceIds);
  }

  /** Accounts that hold chunks of any of these sources (the store's source index answers). */
  async findAccountsHoldingSources(portalId: string, sourceIds: string[]): Promise<string[]> {
    return this.store.accountsHoldingSources(portalId, [...new Set(sourceIds)]);
  }

  /**
   * Removes the accounts of this list that HubSpot no longer has: deleted or merged-away companies, and contact
   * accounts whose contact is gone or now belongs to a company. Existence is checked with batch reads only, so
   * sweeping a whole index costs one or two requests per hundred accounts.
   */
  async pruneMissingAccounts(portalId: string, accountIds: string[], source: Pick<HubSpotGateway, 'batchRead' | 'batchAssociations'> = this.gateway): Promise<IndexResult> {
    const result = emptyIndexResult();
    const companies = accountIds.filter((a) => parseAccountId(a).type === 'companies');
    const contacts = accountIds.filter((a) => parseAccountId(a).type === 'contacts').map((a) => parseAccountId(a).id);
    const missing: string[] = [];
    for (let i = 0; i < companies.length; i += 100) {
      const ids = companies.slice(i, i + 100);
      const found = new Set((await source.batchRead('companies', ids, { properties: ['hs_object_id'] })).map((o) => o.id));
      missing.push(...ids.filter((id) => !found.has(id)));
    }
    for (let i = 0; i < contacts.length; i += 100) {
      const ids = contacts.slice(i, i + 100);
      const found = new Set((await source.batchRead('contacts', ids, { properties: ['hs_object_id'] })).map((o) => o.id));
      const companiesOf = await source.batchAssociations('contacts', 'companies', ids);
      for (const id of ids) {
        if (!found.has(id) || (companiesOf.get(id) ?? []).length > 0) missing.push(contactAccountId(id));
      }
    }
    for (const accountId of missing) {
      const removed = await this.removeAccount(portalId, accountId);
      result.chunksDeleted += removed;
      result.accountsRemoved += 1;
    }
    return result;
  }

  private async reconcile(histories: AccountHistory[], sink?: PlanSink): Promise<IndexResult> {
    const result = emptyIndexResult();
    const plans: AccountPlan[] = [];
    const drafts = await this.draftsOf(histories);
    for (const [i, history] of histories.entries()) {
      const { drafts: accountDrafts, profile } = drafts[i]!;
      const plan = await this.plan(history, accountDrafts);
      if (profile) plan.digest = profile;
      plans.push(plan);
      result.accounts += 1;
      result.records += countRecords(history);
      result.chunks += plan.chunks.length;
    }

    // Embedding batches span accounts: many small accounts still make full provider requests.
    const toEmbed = plans.flatMap((p) => p.chunks.filter((c) => c.changed).map((c) => c.payload));
    result.chunksUnchanged = result.chunks - toEmbed.length;
    const pending: ChunkRecord[] = [];
    for (let i = 0; i < toEmbed.length; i += EMBED_BATCH) {
      const batch = toEmbed.slice(i, i + EMBED_BATCH);
      const embedded = await this.embedder.embed(batch.map((c) => c.text));
      result.embeddingTokens += embedded.tokens;
      result.cacheHits += embedded.cacheHits;
      batch.forEach((payload, j) => {
        const vector = embedded.vectors[j];
        if (!vector) throw new Error(`embedder returned ${embedded.vectors.length} vectors for ${batch.length} texts`);
        pending.push({ ...payload, vector });
      });
      while (pending.length >= UPSERT_BATCH) await this.store.upsertChunks(pending.splice(0, UPSERT_BATCH));
    }
    if (pending.length > 0) await this.store.upsertChunks(pending);
    result.chunksEmbedded = toEmbed.length;

    // Stale chunks go only after their replacements are in: a reader never sees an account emptied mid-update.
    for (const plan of plans) {
      if (plan.staleIds.length === 0) continue;
      await this.store.deleteChunks(plan.history.portalId, plan.staleIds);
      result.chunksDeleted += plan.staleIds.length;
    }

    // The content version each account now has: for the sink, and for a backfill's final profile pass.
    const versions = plans.map((plan) =>
      sink || this.profiler.remembers(plan.history.portalId) ? chunkSetVersion(plan.chunks.map((c) => c.payload)) : undefined,
    );
    plans.forEach((plan, i) => sink?.(plan.history, versions[i]!));

    // Profile embeddings are billed like chunk embeddings: count them into the same totals.
    const counted = countingEmbedder(this.embedder, result);
    result.profilesUpdated += await this.profiler.update(
      plans.map((p, i) => ({ history: p.history, chunks: p.chunks.map((c) => c.payload), ...(versions[i] ? { version: versions[i] } : {}), ...(p.digest ? { digest: p.digest } : {}) })),
      counted,
    );
    this.logger.debug(
      { accounts: result.accounts, embedded: result.chunksEmbedded, deleted: result.chunksDeleted },
      'accounts reconciled',
    );
    return result;
  }

  /** Chunk drafts of each history, in order; off the main thread (with the profile text) when the batch is large. */
  private async draftsOf(histories: AccountHistory[]): Promise<Array<{ drafts: ChunkDraft[]; profile?: HistoryDigest }>> {
    const pool = this.pool;
    if (pool && histories.length >= POOL_MIN_ACCOUNTS) return Promise.all(histories.map((h) => pool.drafts(h)));
    return histories.map((h) => ({ drafts: draftsOfHistory(h, this.drafts) }));
  }

  /** Desired chunks of one account against what the store holds. */
  private async plan(history: AccountHistory, drafts: ChunkDraft[]): Promise<AccountPlan> {
    const { portalId, accountId } = history;
    const existing = new Map((await this.store.listChunkKeys(portalId, accountId)).map((k) => [k.id, k.contentHash]));
    const chunks: PlannedChunk[] = [];
    const seen = new Set<string>();
    for (const d of drafts) {
      const id = chunkId(portalId, accountId, d.sourceId, d.chunkIndex);
      // A source reachable through two paths (e.g. a note on the company and on one of its deals) is one source.
      if (seen.has(id)) continue;
      seen.add(id);
      const payload: ChunkPayload = {
        id,
        portalId,
        accountId,
        sourceType: d.sourceType,
        sourceId: d.sourceId,
        chunkIndex: d.chunkIndex,
        relatedIds: [...d.relatedIds].sort(),
        occurredAt: d.occurredAt,
        direction: d.direction,
        speakers: d.speakers,
        text: d.text,
        contentHash: '',
        embeddingModel: this.embedder.model,
      };
      payload.contentHash = this.fingerprint(payload, d.contentHash);
      chunks.push({ payload, changed: existing.get(id) !== payload.contentHash });
    }
    const staleIds = [...existing.keys()].filter((id) => !seen.has(id));
    return { history, chunks, staleIds };
  }

  /**
   * The stored hash covers the text, the embedding model and the metadata filters use: a moved association or a
   * new timestamp rewrites the point (the embedding cache answers its unchanged text), a new model re-embeds.
   */
  private fingerprint(p: ChunkPayload, textHash: string): string {
    return createHash('sha256')
      .update(
        JSON.stringify([this.embedder.model, textHash, p.sourceType, p.relatedIds, p.occurredAt, p.direction, p.speakers]),
      )
      .digest('hex')
      .slice(0, 32);
  }

  private async withAccountLocks<T>(keys: string[], fn: () => Promise<T>): Promise<T> {
    const unique = [...new Set(keys)];
    const prior = unique.map((k) => this.locks.get(k)).filter((p): p is Promise<void> => p !== undefined);
    let release!: () => void;
    const mine = new Promise<void>((resolve) => (release = resolve));
    for (const k of unique) this.locks.set(k, mine);
    // Each waiter waits only on work registered before it, so lock sets can overlap without deadlock.
    await Promise.all(prior);
    try {
      return await fn();
    } finally {
      release();
      for (const k of unique) if (this.locks.get(k) === mine) this.locks.delete(k);
    }
  }
}

/** The embedder, adding what each call was billed to `into`. */
function countingEmbedder(inner: Embedder, into: Pick<IndexResult, 'embeddingTokens' | 'cacheHits'>): Embedder {
  return {
    provider: inner.provider,
    model: inner.model,
    dimensions: inner.dimensions,
    cacheTag: (role) => inner.cacheTag(role),
    async embed(texts, role) {
      const r = await inner.embed(texts, role);
      into.embeddingTokens += r.tokens;
      into.cacheHits += r.cacheHits;
      return r;
    },
    ping: () => inner.ping(),
    close: async () => undefined,
  };
}

function lockKey(portalId: string, accountId: string): string {
  return `${portalId}:${accountId}`;
}

function hasOwnRecord(h: AccountHistory): boolean {
  const { type, id } = parseAccountId(h.accountId);
  return type === 'companies' ? h.company?.id === id : h.contacts.some((c) => c.id === id);
}

function countRecords(h: AccountHistory): number {
  return (h.company ? 1 : 0) + h.contacts.length + h.deals.length + h.tickets.length + h.engagements.length;
}
