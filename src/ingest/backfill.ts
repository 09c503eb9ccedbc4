import { createHash } from 'node:crypto';
import { OBJECT_TYPES, type ObjectType } from '../core/objects.ts';
import { AppError, errorMessage } from '../errors.ts';
import type { HubSpotGateway } from '../hubspot/gateway.ts';
import { HubSpotDailyLimitError, HubSpotNotFoundError } from '../hubspot/errors.ts';
import { PortalScan, ScanAbortedError } from '../hubspot/portal-scan.ts';
import { silentLogger, type Logger } from '../logging.ts';
import type { VectorStore } from '../retrieval/vector-store.ts';
import type { CheckpointStore } from './checkpoint-store.ts';
import { addIndexResults, emptyIndexResult, type Indexer, type IndexResult } from './indexer.ts';
import { silentProgress, type ProgressReporter } from './progress.ts';

/**
 * The backfill: pages the whole portal (or what changed since a time) into the indexer, `concurrency` account
 * batches at a time, and checkpoints after every batch so that a killed run continues where it stopped.
 *
 * A full run first lists every CRM record with its associations (hubspot/portal-scan.ts, 100 records a request);
 * each account batch then reads only its engagements, by batch, while earlier batches are chunked, embedded and
 * written: about 90 records per request on the sandbox portal, so HubSpot's request budget, not the CPU, bounds
 * the run (`npm run bench:backfill`). A `--since` run resolves changed records to accounts and reads those
 * accounts' histories through the gateway.
 *
 * Checkpoint model: listing pages are numbered in order; the checkpoint keeps the cursor of the oldest page
 * not yet fully indexed (the low-water mark) plus the content keys of batches already indexed after it. A
 * resumed run re-lists from the low-water mark and skips those batches. Keys hash the batch's account ids, so
 * a page whose content shifted meanwhile is simply indexed again (the indexer is idempotent) instead of
 * skipping accounts.
 */

export interface BackfillDeps {
  gateway: HubSpotGateway;
  indexer: Indexer;
  store: VectorStore;
  checkpoints: CheckpointStore;
  logger?: Logger;
  progress?: ProgressReporter;
}

export interface BackfillOptions {
  /** ISO time: only records modified since then (search on hs_lastmodifieddate). */
  since?: string;
  /** Account batches in flight. */
  concurrency?: number;
  /** Accounts per indexing batch (at most 100). */
  batchSize?: number;
  /** Ignore (and overwrite) a saved checkpoint. */
  restart?: boolean;
  signal?: AbortSignal;
}

export interface BackfillSummary {
  mode: 'full' | 'since';
  /** True when this run continued a checkpoint; the counters cover this run only. */
  resumed: boolean;
  records: number;
  accounts: number;
  chunks: number;
  chunksEmbedded: number;
  chunksDeleted: number;
  accountsRemoved: number;
  embeddingTokens: number;
  cacheHits: number;
  http429: number;
  retries: number;
  requests: number;
  durationMs: number;
  /** Of which the final profile pass (after the last HubSpot request; absent where no backfill ran). */
  profilePassMs?: number;
}

/** The run stopped early with its checkpoint saved: running the same command again continues it. */
export class BackfillStoppedError extends AppError {
  constructor(
    readonly reason: 'daily-limit' | 'aborted' | 'failed',
    message: string,
    readonly summary: BackfillSummary,
    cause?: unknown,
  ) {
    super(reason === 'daily-limit' ? 'BACKFILL_DAILY_LIMIT' : reason === 'aborted' ? 'BACKFILL_ABORTED' : 'BACKFILL_FAILED', message, { cause });
  }
}

interface BackfillState {
  /** 2: full runs page the portal scan, their cursors are account ids (1: HubSpot listing cursors). */
  version: 2;
  status: 'running' | 'completed';
  /** Low-water mark: the source and cursor of the oldest page not fully indexed. */
  source: number;
  after: string | null;
  /** Keys of batches indexed at or after the low-water mark. */
  done: string[];
  /** Batch keys depend on how pages were cut: a resumed run keeps the size it started with. */
  batchSize: number;
  startedAt: string;
  updatedAt: string;
  completedAt?: string;
}

/** One listing: yields the account ids of a page and the cursor of the next (undefined on the last page). */
interface AccountSource {
  name: string;
  page(after: string | undefined): Promise<{ accountIds: string[]; after?: string }>;
}

interface PageTracker {
  source: number;
  after: string | null;
  remaining: number;
  scheduled: boolean;
  doneKeys: string[];
}

const PAGE_SIZE = 100;
/** Concurrent `accountsOf` lookups while resolving a `--since` page. */
const LOOKUP_CONCURRENCY = 8;

export async function runBackfill(deps: BackfillDeps, opts: BackfillOptions = {}): Promise<BackfillSummary> {
  const { gateway, indexer, checkpoints } = deps;
  const logger = deps.logger ?? silentLogger;
  const progress = deps.progress ?? silentProgress;
  const concurrency = Math.max(1, opts.concurrency ?? 4);
  const requestedBatchSize = Math.min(PAGE_SIZE, Math.max(1, opts.batchSize ?? PAGE_SIZE));
  const startedAt = Date.now();
  const stats0 = gateway.stats();
  const portalId = await gateway.portalId();

  const sinceMs = opts.since === undefined ? undefined : parseSince(opts.since);
  const mode = sinceMs === undefined ? 'full' : 'since';
  const key = mode === 'full' ? `backfill:${portalId}:full` : `backfill:${portalId}:since:${new Date(sinceMs!).toISOString()}`;
  let scan: PortalScan | undefined;
  let sources: AccountSource[] = sinceMs === undefined ? [] : sinceSources(gateway, sinceMs);

  const saved = opts.restart ? null : await checkpoints.load<BackfillState>(key);
  const resumed = saved?.status === 'running' && saved.version === 2;
  const state: BackfillState = resumed
    ? saved
    : { version: 2, status: 'running', source: 0, after: null, done: [], batchSize: requestedBatchSize, startedAt: new Date().toISOString(), updatedAt: '' };
  const batchSize = state.batchSize;
  if (resumed) logger.info({ key, source: sources[state.source]?.name, doneBatches: state.done.length }, 'resuming backfill from checkpoint');

  let totals = emptyIndexResult();
  const carried = new Set(state.done);
  const trackers: PageTracker[] = [];
  const seenAccounts = new Set<string>();
  let producer = { source: state.source, after: state.after };
  let pagingDone = false;
  let accountsKnown = 0;
  let accountsDone = 0;
  let failure: unknown = null;
  let profilePassMs = 0;

  const summary = (): BackfillSummary => {
    const s = gateway.stats();
    return {
      mode,
      resumed,
      records: totals.records,
      accounts: totals.accounts,
      chunks: totals.chunks,
      chunksEmbedded: totals.chunksEmbedded,
      chunksDeleted: totals.chunksDeleted,
      accountsRemoved: totals.accountsRemoved,
      embeddingTokens: totals.embeddingTokens,
      cacheHits: totals.cacheHits,
      http429: s.http429 - stats0.http429,
      retries: s.retries - stats0.retries,
      requests: s.requests - stats0.requests,
      durationMs: Date.now() - startedAt,
      profilePassMs,
    };
  };
  const snapshot = () => ({
    accountsDone,
    accountsKnown,
    pagingDone,
    records: totals.records,
    http429: gateway.stats().http429 - stats0.http429,
    elapsedMs: Date.now() - startedAt,
  });

  // Checkpoint writes are chained: concurrent batches must not race an older state over a newer one.
  let saving: Promise<void> = Promise.resolve();
  const checkpoint = (status: BackfillState['status'] = 'running'): Promise<void> => {
    while (trackers[0]?.scheduled && trackers[0].remaining === 0) trackers.shift();
    const low = trackers[0] ?? producer;
    const next: BackfillState = {
      ...state,
      status,
      source: low.source,
      after: low.after,
      done: [...carried, ...trackers.flatMap((t) => t.doneKeys)],
      updatedAt: new Date().toISOString(),
      ...(status === 'completed' ? { completedAt: new Date().toISOString(), done: [] } : {}),
    };
    saving = saving.then(() => checkpoints.save(key, next));
    return saving;
  };

  const inFlight = new Set<Promise<void>>();
  const runBatch = async (accountIds: string[], batchKey: string, tracker: PageTracker): Promise<void> => {
    try {
      const result: IndexResult = await indexer.reindexAccounts(portalId, accountIds, scan);
      totals = addIndexResults(totals, result);
      accountsDone += accountIds.length;
      tracker.remaining -= 1;
      tracker.doneKeys.push(batchKey);
      await checkpoint();
      progress.update(snapshot());
    } catch (err) {
      failure ??= err;
    }
  };

  progress.start({ mode, resumed });
  // The final profile pass rebuilds most profiles of the run: keep their inputs rather than read them back.
  const forgetProfiles = indexer.rememberProfiles(portalId);
  try {
    if (mode === 'full') {
      scan = await PortalScan.read(gateway, {
        signal: opts.signal,
        onPage: (type, listed) => {
          if (type === 'companies') progress.update({ ...snapshot(), accountsKnown: listed });
        },
      });
      sources = scanSources(scan);
      logger.info({ accounts: scan.accountIds.length, requests: scan.requests }, 'portal structure listed');
    }
    while (producer.source < sources.length && failure === null && !opts.signal?.aborted) {
      const source = sources[producer.source]!;
      const page = await source.page(producer.after ?? undefined);
      const tracker: PageTracker = { ...producer, remaining: 0, scheduled: false, doneKeys: [] };
      trackers.push(tracker);
      producer = page.after ? { source: producer.source, after: page.after } : { source: producer.source + 1, after: null };

      const fresh = page.accountIds.filter((id) => !seenAccounts.has(id));
      fresh.forEach((id) => seenAccounts.add(id));
      for (let i = 0; i < fresh.length; i += batchSize) {
        const batch = fresh.slice(i, i + batchSize);
        const batchKey = hashKey(batch);
        if (carried.delete(batchKey)) {
          tracker.doneKeys.push(batchKey);
          continue;
        }
        tracker.remaining += 1;
        accountsKnown += batch.length;
        // Back-pressure: listing never runs more than `concurrency` batches ahead of indexing.
        while (inFlight.size >= concurrency) await Promise.race(inFlight);
        if (failure !== null || opts.signal?.aborted) break;
        const p: Promise<void> = runBatch(batch, batchKey, tracker).finally(() => inFlight.delete(p));
        inFlight.add(p);
      }
      tracker.scheduled = failure === null && !opts.signal?.aborted;
      await checkpoint();
    }
  } catch (err) {
    if (!(err instanceof ScanAbortedError)) failure ??= err;
  }
  await Promise.all(inFlight);
  pagingDone = true;

  if (failure === null && !opts.signal?.aborted && mode === 'full') {
    try {
      // Accounts deleted in HubSpot while nothing listened are not in any page: prune them from the index.
      const stale = (await deps.store.listAccounts(portalId)).filter((id) => !seenAccounts.has(id));
      // The scan listed every record: an account it did not see is gone, and the prune needs no request.
      totals = addIndexResults(totals, await indexer.pruneMissingAccounts(portalId, stale, scan));
    } catch (err) {
      failure = err;
    }
  }
  if (failure === null && !opts.signal?.aborted) {
    try {
      // Profiles built during the run saw the portal's term statistics as they grew: one pass rebuilds each profile
      // not built on the final ones (at most once per account, from its stored chunks; account-profiler.ts).
      const passStarted = Date.now();
      const rebuilt = await indexer.refreshDriftedProfiles(portalId, { ratio: 0 });
      profilePassMs = Date.now() - passStarted;
      if (rebuilt > 0) logger.info({ portalId, rebuilt }, 'account profiles refreshed for the final term statistics');
    } catch (err) {
      failure = err;
    }
  }

  forgetProfiles();
  const done = failure === null && !opts.signal?.aborted;
  await checkpoint(done ? 'completed' : 'running').catch((err: unknown) => logger.error({ err }, 'could not save the backfill checkpoint'));
  progress.stop(snapshot());
  const result = summary();
  if (done) {
    if (mode === 'since') await checkpoints.clear(key);
    logger.info(result, 'backfill completed');
    return result;
  }
  if (failure instanceof HubSpotDailyLimitError) {
    throw new BackfillStoppedError(
      'daily-limit',
      "HubSpot's daily API limit is reached. Progress is saved: run the same command again after the limit resets (midnight in the portal's time zone).",
      result,
      failure,
    );
  }
  if (failure === null) {
    throw new BackfillStoppedError('aborted', 'Backfill interrupted. Progress is saved: run the same command again to continue.', result);
  }
  throw new BackfillStoppedError(
    'failed',
    `Backfill failed: ${errorMessage(failure)}. Progress is saved: run the same command again to continue.`,
    result,
    failure,
  );
}

function parseSince(since: string): number {
  const ms = Date.parse(since);
  if (Number.isNaN(ms)) throw new AppError('BACKFILL_BAD_SINCE', `--since must be an ISO date or time, got "${since}"`);
  return ms;
}

function hashKey(accountIds: string[]): string {
  return createHash('sha256').update([...accountIds].sort().join(',')).digest('base64url').slice(0, 22);
}

/**
 * Every company, then every contact without a company (its own account), from the portal scan in id order.
 * Cursors are the first account id of the next page, so a resumed run finds its place even if accounts before
 * it were deleted meanwhile.
 */
function scanSources(scan: PortalScan): AccountSource[] {
  const companies = scan.accountIds.filter((a) => !a.startsWith('contact:'));
  const contacts = scan.accountIds.filter((a) => a.startsWith('contact:'));
  const paged = (name: string, ids: string[]): AccountSource => ({
    name,
    async page(after) {
      const from = after === undefined ? 0 : firstAtOrAfter(ids, after);
      const accountIds = ids.slice(from, from + PAGE_SIZE);
      const next = ids[from + PAGE_SIZE];
      return next === undefined ? { accountIds } : { accountIds, after: next };
    },
  });
  return [paged('companies', companies), paged('contacts-without-company', contacts)];
}

/** Index of the first account whose id is not below `after` (ids ascend numerically within a source). */
function firstAtOrAfter(ids: string[], after: string): number {
  const n = (id: string) => Number(id.replace(/^contact:/, ''));
  const target = n(after);
  const i = ids.findIndex((id) => n(id) >= target);
  return i < 0 ? ids.length : i;
}

/** Records of every type modified since `sinceMs`, resolved to the accounts they roll up to. */
function sinceSources(gateway: HubSpotGateway, sinceMs: number): AccountSource[] {
  return OBJECT_TYPES.map((type: ObjectType) => ({
    name: `${type}-modified`,
    async page(after: string | undefined) {
      const page = await gateway.modifiedSince(type, sinceMs, { after, properties: ['hs_object_id'] });
      const ids = page.results.map((o) => o.id);
      if (type === 'companies') return { accountIds: ids, after: page.after };
      return { accountIds: await accountsOfMany(gateway, type, ids), after: page.after };
    },
  }));
}

async function accountsOfMany(gateway: HubSpotGateway, type: ObjectType, ids: string[]): Promise<string[]> {
  const out = new Set<string>();
  for (let i = 0; i < ids.length; i += LOOKUP_CONCURRENCY) {
    const found = await Promise.all(
      ids.slice(i, i + LOOKUP_CONCURRENCY).map((id) =>
        gateway.accountsOf(type, id).catch((err: unknown) => {
          // Deleted between the search and the lookup: nothing to index (its deletion event cleans up).
          if (err instanceof HubSpotNotFoundError) return [];
          throw err;
        }),
      ),
    );
    for (const accounts of found) for (const a of accounts) out.add(a);
  }
  return [...out];
}
