import type { AccountHistory } from '../core/objects.ts';
import { silentLogger, type Logger } from '../logging.ts';
import { digestHistory, meanOfUnitVectors, planAccountProfile, profileRecordOf, profileSourceKey, termsToLookUp, type HistoryDigest, type ProfileRecord } from '../retrieval/account-profile.ts';
import type { AccountProfile, ChunkPayload, VectorStore } from '../retrieval/vector-store.ts';
import type { Embedder } from '../text/embedder.ts';
import type { TermStatsStore } from './term-stats.ts';
import { chunkSetVersion } from '../retrieval/content-version.ts';

/**
 * Keeps account profiles (retrieval/account-profile.ts) in step with the accounts' histories and the portal's
 * term statistics; the indexer calls it after every reconciliation, the similar-accounts API reads what it wrote.
 *
 * Drift: a profile depends on the portal's document frequencies, which move as accounts are indexed. Each
 * profile remembers the portal's account count N it was built at; it is rebuilt (from its stored chunks, no
 * HubSpot read) once today's count differs from that by more than DRIFT_RATIO either way. Because the trigger is
 * geometric, a portal that grows from 0 to n accounts rebuilds each profile O(log) times in the worst case and
 * O(n) profiles in total (an account indexed at N is rebuilt at 1.25·N, 1.56·N, …: Σ ≈ n / ln 1.25), never an
 * O(n²) pass. A completed backfill rebuilds, once, every profile not built on the portal's final statistics (so
 * its index does not depend on the order its batches finished in); the event path refreshes at most DRIFT_BATCH
 * per event, so a trickle of new accounts keeps the portal fresh at a bounded cost per event. A term's
 * frequency can also move while N stays put (a topic spreading across the same accounts); such a change reaches a
 * profile when its account's history next changes or the portal's size next crosses the ratio.
 * A profile rebuilt from the stored chunks is the one a re-index would build (the digest reads chunks only).
 *
 * Unchanged accounts: re-indexing an account whose history and record are what its stored profile was built from
 * (the first part of the profile's content hash, account-profile.ts `profileSourceKey`) counts its terms but
 * builds nothing: its sentences can change only with the portal's statistics, which is the drift pass's job. A
 * backfill over an unchanged portal therefore embeds nothing, even in a new process whose statistics start empty
 * and grow while it re-counts the portal: sentences chosen on those partial statistics would be embedded only
 * for the final pass to return to the stored ones. Such an account keeps its drift mark (a new process's
 * in-memory statistics start at 0, so the backfill's final pass checks it against the full statistics).
 */
export const DRIFT_RATIO = 0.25;
export const DRIFT_BATCH = 16;
/**
 * Strings (terms and sentences) of the profile inputs a backfill keeps in memory for its final pass, per portal:
 * about 100 MB. Accounts beyond it are read back from the store, as without the memo.
 */
export const REMEMBER_LIMIT = 2_000_000;
/** Texts per embedding call when profiles are built in a batch (as the indexer's chunk batches). */
const EMBED_BATCH = 128;

export interface ProfileUpdate {
  history: AccountHistory;
  /** The account's current chunks (normalized text). */
  chunks: Array<Pick<ChunkPayload, 'text' | 'sourceType'>>;
  /** Computed in a work-pool thread over the same chunks; computed here otherwise. */
  digest?: HistoryDigest;
  /** `chunkSetVersion` of the chunks the store holds for the account after this update (content-version.ts). */
  version?: string;
}

/**
 * What a backfill's final pass needs to rebuild a profile, kept from the account's last index in this process: the
 * same digest and record a rebuild from the stored chunks would compute, without reading and digesting them again.
 * Used only while the store still holds that content (`version`) and that profile (`profileHash`): another
 * process that re-indexed the account meanwhile sends the pass back to the store.
 */
interface Remembered {
  record: ProfileRecord;
  digest: HistoryDigest;
  version: string;
  /** The content hash of the account's stored profile after the update (null: none). */
  profileHash: string | null;
}

export class AccountProfiler {
  private readonly logger: Logger;
  /** Per portal, while a backfill keeps them (`remember`). */
  private readonly remembered = new Map<string, ProfileMemo>();

  constructor(
    private readonly deps: { store: VectorStore; stats: TermStatsStore; embedder: Embedder; logger?: Logger },
  ) {
    this.logger = deps.logger ?? silentLogger;
  }

  /**
   * Counts the accounts' terms into their portal's statistics, then rebuilds each profile whose content changed.
   * Returns how many profiles were written. `embedder`: the indexer passes one that bills into its totals.
   */
  async update(updates: ProfileUpdate[], embedder: Embedder = this.deps.embedder): Promise<number> {
    let written = 0;
    for (const [portalId, items] of groupBy(updates, (u) => u.history.portalId)) {
      const digests = items.map((u) => u.digest ?? digestHistory(u.history, u.chunks));
      await this.deps.stats.apply(portalId, items.map((u, i) => ({ accountId: u.history.accountId, terms: digests[i]!.terms })));
      const changed: BuildItem[] = [];
      const kept = new Map<string, { update: ProfileUpdate; item: Omit<BuildItem, 'current'>; hash: string | null }>();
      for (const [i, u] of items.entries()) {
        const item = { accountId: u.history.accountId, record: profileRecordOf(u.history), digest: digests[i]! };
        const current = await this.deps.store.getProfile(portalId, item.accountId);
        kept.set(item.accountId, { update: u, item, hash: current?.contentHash ?? null });
        if (current?.contentHash.startsWith(profileSourceKey(item.digest, item.record, embedder))) continue;
        changed.push({ ...item, current });
      }
      const built = await this.build(portalId, changed, embedder);
      written += built.size;
      const memo = this.remembered.get(portalId);
      if (!memo) continue;
      for (const [accountId, { update, item, hash }] of kept) {
        memo.forget(accountId);
        if (update.version !== undefined) memo.keep(accountId, { record: item.record, digest: item.digest, version: update.version, profileHash: built.get(accountId) ?? hash });
      }
    }
    return written;
  }

  /** Whether a backfill keeps this portal's profile inputs now (`remember`). */
  remembers(portalId: string): boolean {
    return this.remembered.has(portalId);
  }

  /**
   * Keeps, until the returned function is called, each indexed account's profile inputs for `refreshDrifted`
   * (the backfill's final pass), which then reads and digests only the accounts it has none for.
   */
  remember(portalId: string): () => void {
    const memo = new ProfileMemo(REMEMBER_LIMIT);
    this.remembered.set(portalId, memo);
    return () => {
      if (this.remembered.get(portalId) === memo) this.remembered.delete(portalId);
    };
  }

  /** Takes removed accounts out of their portal's statistics (their profiles go with the account). */
  async forget(portalId: string, accountIds: string[]): Promise<void> {
    for (const id of accountIds) this.remembered.get(portalId)?.forget(id);
    await this.deps.stats.apply(portalId, accountIds.map((accountId) => ({ accountId, terms: null })));
  }

  /**
   * Rebuilds profiles built when the portal's size differed by more than `ratio` (default DRIFT_RATIO; 0: every
   * profile not built at today's size), at most `limit` (all when omitted, in pages). `lock` runs the rebuild of a
   * page under the accounts' locks (the indexer's). Returns how many were rebuilt.
   */
  async refreshDrifted(portalId: string, opts: { limit?: number; ratio?: number; lock?: <T>(ids: string[], fn: () => Promise<T>) => Promise<T> } = {}): Promise<number> {
    const lock = opts.lock ?? (<T>(_ids: string[], fn: () => Promise<T>) => fn());
    let left = opts.limit ?? Number.POSITIVE_INFINITY;
    let rebuilt = 0;
    const tried = new Set<string>();
    while (left > 0) {
      const { accountIds } = await this.deps.stats.drifted(portalId, opts.ratio ?? DRIFT_RATIO, Math.min(left, 100));
      const page = accountIds.filter((id) => !tried.has(id));
      if (page.length === 0) break;
      for (const id of page) tried.add(id);
      left -= page.length;
      rebuilt += await lock(page, async () => {
        const items: BuildItem[] = [];
        const empty: string[] = [];
        const memo = this.remembered.get(portalId);
        for (const accountId of page) {
          const current = await this.deps.store.getProfile(portalId, accountId);
          const keys = await this.deps.store.listChunkKeys(portalId, accountId);
          if (!current && keys.length === 0) {
            empty.push(accountId); // removed meanwhile: its next index or removal settles its statistics
            continue;
          }
          const known = memo?.get(accountId);
          if (known && known.profileHash === (current?.contentHash ?? null) && known.version === chunkSetVersion(keys)) {
            items.push({ accountId, record: known.record, digest: known.digest, current });
            continue;
          }
          const chunks = await this.deps.store.getChunks(portalId, keys.map((k) => k.id));
          const record: ProfileRecord = current
            ? { name: current.name, industry: current.industry, sizeBand: current.sizeBand, lifecycle: current.lifecycle, isCustomer: current.isCustomer }
            : { name: accountId, industry: null, sizeBand: null, lifecycle: null, isCustomer: false };
          items.push({ accountId, record, digest: digestHistory(undefined, chunks), current });
        }
        if (empty.length > 0) await this.deps.stats.markProfiled(portalId, empty, (await this.deps.stats.frequencies(portalId, [])).documents);
        const built = await this.build(portalId, items, this.deps.embedder);
        for (const [accountId, hash] of built) {
          const known = memo?.get(accountId);
          if (known) known.profileHash = hash;
        }
        return built.size;
      });
    }
    if (rebuilt > 0) this.logger.info({ portalId, rebuilt }, 'account profiles rebuilt after the portal term statistics drifted');
    return rebuilt;
  }

  /**
   * Builds the items' profiles on the portal's current statistics: their texts embedded together (EMBED_BATCH a
   * call, each distinct text once), the profiles written in one transaction. Returns the content hash of each
   * profile written (unchanged ones are not).
   */
  private async build(portalId: string, items: BuildItem[], embedder: Embedder): Promise<Map<string, string>> {
    const written = new Map<string, string>();
    if (items.length === 0) return written;
    const docs = await this.deps.stats.frequencies(portalId, [...new Set(items.flatMap((i) => termsToLookUp(i.digest)))]);
    const plans = items.flatMap((item) => {
      const current = item.current;
      const plan = planAccountProfile({ portalId, accountId: item.accountId, record: item.record, digest: item.digest, docs, embedder, ...(current ? { previous: current } : {}) });
      return plan ? [plan] : [];
    });
    const texts = [...new Set(plans.flatMap((p) => (p.vector ? [] : p.texts)))];
    const vectors = new Map<string, Float32Array>();
    for (let i = 0; i < texts.length; i += EMBED_BATCH) {
      const batch = texts.slice(i, i + EMBED_BATCH);
      const embedded = await embedder.embed(batch);
      if (embedded.vectors.length !== batch.length) throw new Error(`embedder ${embedder.model} returned ${embedded.vectors.length} vectors for ${batch.length} texts`);
      batch.forEach((t, j) => vectors.set(t, embedded.vectors[j]!));
    }
    const profiles = plans.map((p) => ({ ...p.profile, vector: p.vector ?? meanOfUnitVectors(p.texts.map((t) => vectors.get(t)!)) }));
    if (profiles.length > 0) await this.deps.store.upsertProfiles(profiles);
    for (const p of profiles) written.set(p.accountId, p.contentHash);
    await this.deps.stats.markProfiled(portalId, items.map((i) => i.accountId), docs.documents);
    return written;
  }
}

/** Remembered profile inputs by account, within a budget of strings (`weight`). */
class ProfileMemo {
  private readonly entries = new Map<string, Remembered>();
  private weight = 0;

  constructor(private readonly limit: number) {}

  get(accountId: string): Remembered | undefined {
    return this.entries.get(accountId);
  }

  /** Keeps the entry when it fits the budget (the account is then rebuilt from the store). */
  keep(accountId: string, entry: Remembered): void {
    const w = weightOf(entry.digest);
    if (this.weight + w > this.limit) return;
    this.entries.set(accountId, entry);
    this.weight += w;
  }

  forget(accountId: string): void {
    const entry = this.entries.get(accountId);
    if (!entry) return;
    this.weight -= weightOf(entry.digest);
    this.entries.delete(accountId);
  }
}

function weightOf(d: HistoryDigest): number {
  let n = d.terms.length + d.termCounts.length;
  for (const s of d.sentences) n += 1 + s.terms.length;
  return n;
}

/** A profile to build, with the stored one (read under the account's lock by the caller). */
interface BuildItem {
  accountId: string;
  record: ProfileRecord;
  digest: HistoryDigest;
  current: AccountProfile | null;
}

function groupBy<T>(xs: T[], key: (x: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const x of xs) {
    const k = key(x);
    const list = out.get(k);
    if (list) list.push(x);
    else out.set(k, [x]);
  }
  return out;
}
