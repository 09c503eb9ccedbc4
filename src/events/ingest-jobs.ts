import { contactAccountId, type ObjectType } from '../core/objects.ts';
import type { HubSpotGateway } from '../hubspot/gateway.ts';
import { HubSpotNotFoundError } from '../hubspot/errors.ts';
import { silentLogger, type Logger } from '../logging.ts';
import type { IngestAccountPayload, IngestRecordPayload } from '../queue/jobs.ts';
import type { JobContext, JobHandler } from '../queue/queue.ts';
import type { Indexer } from '../ingest/indexer.ts';

/**
 * Queue handlers that keep the index in step with HubSpot events. A record job works out every account whose
 * chunks may change (the accounts the object rolls up to now, the other side of an association change, and
 * for deletions and merges the accounts that currently hold chunks of the vanished sources) and reconciles
 * them; reconciliation is idempotent, so duplicated or re-ordered events are harmless.
 */
export interface IngestHandlerDeps {
  indexer: Indexer;
  gateway: HubSpotGateway;
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
    logger.debug({ jobId: job.id, ...job.payload, ...r }, 'ingest.record done');
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

/** Handles one `ingest.record` job; exported for callers that ingest synchronously (CLI, tests). */
export async function ingestRecord(
  deps: IngestHandlerDeps,
  p: IngestRecordPayload,
): Promise<{ accounts: number; removedSources: number; accountsRemoved: number; chunksEmbedded: number; chunksDeleted: number }> {
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
  const result = await indexer.reindexAccounts(p.portalId, [...affected]);
  return {
    accounts: result.accounts,
    removedSources: vanished.length,
    accountsRemoved: accountsRemoved + result.accountsRemoved,
    chunksEmbedded: result.chunksEmbedded,
    chunksDeleted: chunksDeleted + result.chunksDeleted,
  };
}
