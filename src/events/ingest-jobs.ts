import { isProductEngagement } from '../core/product-output.ts';
import { contactAccountId, ENGAGEMENT_TYPES, type EngagementType, type ObjectType, type RecordType } from '../core/objects.ts';
import { accountsOfAssociations } from '../hubspot/account-resolver.ts';
import type { HubSpotGateway } from '../hubspot/gateway.ts';
import { HubSpotNotFoundError } from '../hubspot/errors.ts';
import { HISTORY_PROPERTIES } from '../hubspot/properties.ts';
import { withEngagement, withRecord } from '../ingest/history-patch.ts';
import { silentLogger, type Logger } from '../logging.ts';
import type { GeneratePayload, IngestAccountPayload, IngestReason, IngestRecordPayload } from '../queue/jobs.ts';
import { PermanentJobError, type JobContext, type JobHandler, type JobQueue, type JobSpec } from '../queue/queue.ts';
import type { Indexer } from '../ingest/indexer.ts';
import { ingestAssociationChange, ingestDeletion, ingestMerge, ingestNewRecord, type TargetedOutcome } from './targeted-ingest.ts';

/**
 * Queue handlers that keep the index in step with HubSpot events. A record job works out every account whose
 * chunks may change (the accounts the object rolls up to now, the other side of an association change, and
 * for deletions and merges the accounts that currently hold chunks of the vanished sources) and reconciles
 * them; reconciliation is idempotent, so duplicated or re-ordered events are harmless.
 */
export interface IngestHandlerDeps {
  indexer: Indexer;
  gateway: HubSpotGateway;
  /** Where the generation jobs an ingest job carries go once it has indexed their content. */
  queue?: Pick<JobQueue, 'enqueue'>;
  logger?: Logger;
}

export interface IngestHandlers {
  'ingest.record': JobHandler<IngestRecordPayload>;
  'ingest.account': JobHandler<IngestAccountPayload>;
}

export function createIngestHandlers(deps: IngestHandlerDeps): IngestHandlers {
  const logger = deps.logger ?? silentLogger;
  const record: JobHandler<IngestRecordPayload> = async (job) => {
    const r = await ingestRecord(deps, job.payload);
    // The generation this event's routing asked for starts now that its content is indexed: one queue hop,
    // no timer. A retry after a crash here re-indexes (a no-op) and enqueues again (deduplicated by key).
    const specs = generationSpecs(job.payload, r);
    if (job.payload.unlessProductOutput && r.productOutput !== false && job.payload.generate?.length) {
      logger.info({ jobId: job.id, objectType: job.payload.objectType, objectId: job.payload.objectId }, 'generation not started: the trigger is the product\'s own note or task');
    }
    if (specs.length > 0) {
      if (!deps.queue) throw new PermanentJobError('ingest.record carries generation requests but the ingest handlers have no queue');
      await deps.queue.enqueue(specs);
    }
    const { versions: _versions, ...counts } = r;
    logger.debug({ jobId: job.id, ...job.payload, ...counts, generations: specs.length }, 'ingest.record done');
  };
  const account: JobHandler<IngestAccountPayload> = async (job: JobContext<IngestAccountPayload>) => {
    const { portalId, accountId } = job.payload;
    const r = await deps.indexer.reindexAccounts(portalId, [accountId]);
    logger.debug({ jobId: job.id, portalId, accountId, ...r }, 'ingest.account done');
  };
  return { 'ingest.record': record, 'ingest.account': account };
}

/** The object's own account when it is one: a company, or a contact (while it has no company). */
function ownAccount(type: ObjectType, id: string): string | undefined {
  if (type === 'companies') return id;
  if (type === 'contacts') return contactAccountId(id);
  return undefined;
}

/** Current accounts of an object; `exists: false` when HubSpot no longer has it. */
async function locate(gateway: HubSpotGateway, type: ObjectType, id: string): Promise<{ accounts: string[]; exists: boolean }> {
  let accounts: string[];
  try {
    accounts = await gateway.accountsOf(type, id);
  } catch (err) {
    if (err instanceof HubSpotNotFoundError) return { accounts: [], exists: false };
    throw err;
  }
  // Association reads answer "nothing" for a deleted object as for an orphan: only a read tells them apart.
  if (accounts.length === 0) return { accounts, exists: (await gateway.batchRead(type, [id], { properties: ['hs_object_id'] })).length > 0 };
  return { accounts, exists: true };
}

export interface IngestRecordResult {
  /** The accounts the object rolls up to now (where a generation about it runs). */
  current: string[];
  accounts: number;
  removedSources: number;
  accountsRemoved: number;
  chunksEmbedded: number;
  chunksDeleted: number;
  /** Accounts reconciled from their indexed snapshot (no history read). */
  patched: number;
  /** Content version of every live account reconciled. */
  versions: Map<string, string>;
  /** The object is a note or task the product wrote (known when the ingest read the engagement itself). */
  productOutput?: boolean;
}

const ENGAGEMENTS = new Set<ObjectType>(ENGAGEMENT_TYPES);
/** Events that change one source's content (or its associations) but not the shape of any account. */
const SOURCE_CHANGES = new Set<IngestReason>(['creation', 'propertyChange', 'restore', 'workflow', 'manual']);

/**
 * Handles one `ingest.record` job; exported for callers that ingest synchronously (CLI, tests). The common
 * events cost a handful of HubSpot requests: an engagement created or edited is read once with its associations
 * (one request), its accounts are resolved from those (up to three more), and each account's indexed snapshot
 * gets the engagement applied; a record's property change reads the record and its accounts. Deletions, new
 * records, association changes between records and merges read the changed object (or pair) and take the rest
 * from the accounts' snapshots (targeted-ingest.ts); an account without a current snapshot is read whole, in one
 * history read with any other the event needs (at most one per event: test/events/history-reads.test.ts). What
 * those paths cannot know (a new company that arrives with records, an event without its other side) reads the
 * accounts' histories whole.
 */
export async function ingestRecord(deps: IngestHandlerDeps, p: IngestRecordPayload): Promise<IngestRecordResult> {
  if (SOURCE_CHANGES.has(p.reason) && !p.mergedObjectIds?.length && !p.related?.length) {
    const fast = ENGAGEMENTS.has(p.objectType) ? await ingestEngagement(deps, p) : await ingestRecordProperties(deps, p);
    if (fast) return fast;
  }
  // An engagement's associations changed (HubSpot's generic object events, when it sends them): the engagement is
  // ingested as it is now, like an edit; the record's side reports the accounts that hold the record.
  const engagement = p.reason === 'associationChange' ? [p, ...(p.related ?? [])].find((s) => ENGAGEMENTS.has(s.objectType)) : undefined;
  if (engagement) {
    const r = await ingestEngagement(deps, { ...p, objectType: engagement.objectType, objectId: engagement.objectId, reason: 'propertyChange' });
    if (r) return engagement === p ? r : { ...r, productOutput: undefined, current: await deps.indexer.findAccountsHoldingSources(p.portalId, [`${p.objectType}:${p.objectId}`]) };
  }
  const targeted = await ingestTargeted(deps, p);
  if (targeted) return summary(targeted.current, targeted.refresh, targeted.removedSources, targeted.accountsRemoved, targeted.chunksDeleted);
  return ingestWhole(deps, p);
}

function ingestTargeted(deps: IngestHandlerDeps, p: IngestRecordPayload): Promise<TargetedOutcome | null> {
  if (!deps.indexer.snapshots) return Promise.resolve(null);
  switch (p.reason) {
    case 'deletion':
    case 'privacyDeletion':
      return ingestDeletion(deps, p);
    case 'creation':
      return ENGAGEMENTS.has(p.objectType) ? Promise.resolve(null) : ingestNewRecord(deps, p);
    case 'associationChange':
      return ingestAssociationChange(deps, p);
    case 'merge':
      return ingestMerge(deps, p);
    default:
      return Promise.resolve(null);
  }
}

async function ingestEngagement(deps: IngestHandlerDeps, p: IngestRecordPayload): Promise<IngestRecordResult | null> {
  const type = p.objectType as EngagementType;
  const [engagement] = await deps.gateway.engagements(type, [p.objectId]);
  if (!engagement) return null; // gone meanwhile: the deletion path finds where it was
  const current = await accountsOfAssociations(deps.gateway, engagement.associations);
  // An edit may follow associations that moved without an event (HubSpot sends none for engagements): the
  // accounts that hold it now drop it. A new engagement is held nowhere yet.
  const holders = p.reason === 'creation' ? [] : await deps.indexer.findAccountsHoldingSources(p.portalId, [`${type}:${p.objectId}`]);
  const mine = new Set(current);
  const r = await deps.indexer.refreshAccounts(p.portalId, [...current, ...holders], (h) => withEngagement(h, engagement, mine.has(h.accountId)));
  return { ...summary(current, r, 0, 0, 0), productOutput: isProductEngagement(engagement) };
}

async function ingestRecordProperties(deps: IngestHandlerDeps, p: IngestRecordPayload): Promise<IngestRecordResult | null> {
  if (p.reason === 'creation' || p.reason === 'restore') return null; // a new record can bring a whole history
  const type = p.objectType as RecordType;
  const [record] = await deps.gateway.batchRead(type, [p.objectId], { properties: [...HISTORY_PROPERTIES[type]] });
  if (!record) return null;
  const current = await deps.gateway.accountsOf(type, p.objectId);
  const r = await deps.indexer.refreshAccounts(p.portalId, current, (h) => withRecord(h, type, record));
  return summary(current, r, 0, 0, 0);
}

function summary(
  current: string[],
  r: Awaited<ReturnType<Indexer['refreshAccounts']>>,
  removedSources: number,
  accountsRemoved: number,
  chunksDeleted: number,
): IngestRecordResult {
  return {
    current,
    accounts: r.accounts,
    removedSources,
    accountsRemoved: accountsRemoved + r.accountsRemoved,
    chunksEmbedded: r.chunksEmbedded,
    chunksDeleted: chunksDeleted + r.chunksDeleted,
    patched: r.patched,
    versions: r.versions,
  };
}

async function ingestWhole(deps: IngestHandlerDeps, p: IngestRecordPayload): Promise<IngestRecordResult> {
  const { indexer, gateway } = deps;
  const affected = new Set<string>();
  const stale = new Set<string>(); // own accounts that must not exist any more

  const deleted = p.reason === 'deletion' || p.reason === 'privacyDeletion';
  const current = deleted ? { accounts: [], exists: false } : await locate(gateway, p.objectType, p.objectId);
  for (const a of current.accounts) affected.add(a);
  for (const rel of p.related ?? []) {
    for (const a of (await locate(gateway, rel.objectType, rel.objectId)).accounts) affected.add(a);
  }

  // Sources that no longer exist: the object when it is gone, and whatever was merged into it.
  const vanished: string[] = [];
  if (!current.exists) vanished.push(`${p.objectType}:${p.objectId}`);
  for (const merged of p.mergedObjectIds ?? []) vanished.push(`${p.objectType}:${merged}`);

  const own = [p.objectId, ...(p.mergedObjectIds ?? [])]
    .map((id) => ownAccount(p.objectType, id))
    .filter((a): a is string => a !== undefined);
  for (const a of own) if (!affected.has(a) || !current.exists) stale.add(a);
  for (const a of stale) affected.delete(a);

  // Accounts that hold chunks of a vanished source, or of a source whose associations changed without the old
  // side being named (or that now has no account at all), cannot be learnt from HubSpot any more: the index
  // itself says where those chunks are.
  const oldSideUnknown = (p.reason === 'associationChange' && (p.related ?? []).length === 0) || current.accounts.length === 0;
  if (vanished.length > 0 || oldSideUnknown) {
    const sources = [...new Set([...vanished, `${p.objectType}:${p.objectId}`])];
    for (const a of await indexer.findAccountsHoldingSources(p.portalId, sources)) if (!stale.has(a)) affected.add(a);
  }

  let accountsRemoved = 0;
  let chunksDeleted = 0;
  for (const a of stale) {
    const removed = await indexer.removeAccount(p.portalId, a);
    chunksDeleted += removed;
    if (removed > 0) accountsRemoved += 1;
  }
  // Reconciling the holders removes these chunks too; deleting them first also covers holders that vanished.
  if (vanished.length > 0) await indexer.removeSources(p.portalId, vanished);
  const result = await indexer.refreshAccounts(p.portalId, [...affected]);
  return summary(current.accounts, result, vanished.length, accountsRemoved, chunksDeleted);
}

/**
 * The generation jobs an ingest job carries, one per account the trigger rolls up to now, each with the content
 * version this ingest indexed for that account. The account is fixed here and never changes afterwards.
 */
export function generationSpecs(p: IngestRecordPayload, r: Pick<IngestRecordResult, 'current' | 'versions' | 'productOutput'>): JobSpec<GeneratePayload>[] {
  const specs: JobSpec<GeneratePayload>[] = [];
  // The note or task the product was creating when the event came: ours, so no rule runs on it (events/echo.ts).
  // Unread (gone meanwhile) counts as ours too: nothing of it is left to generate from.
  if (p.unlessProductOutput && r.productOutput !== false) return specs;
  for (const g of p.generate ?? []) {
    for (const accountId of r.current) {
      const contentVersion = r.versions.get(accountId);
      if (!contentVersion) continue; // not indexed (the account vanished meanwhile): nothing to read
      specs.push({
        type: g.type,
        payload: { portalId: p.portalId, objectType: p.objectType, objectId: p.objectId, accountId, contentVersion, trigger: g.trigger },
        // One generation per record, agent and account while it waits: a burst of stage changes makes one summary.
        key: `${g.type}:${p.portalId}:${p.objectType}:${p.objectId}:${accountId}`,
      });
    }
  }
  return specs;
}
