import type { KeyValueCache } from '../cache/kv.ts';
import { silentLogger, type Logger } from '../logging.ts';
import type { ContainerMetrics } from '../metrics.ts';
import type { GenerationRequest, IngestReason, IngestRecordPayload, WebhookBatchPayload } from '../queue/jobs.ts';
import type { HubSpotEvent } from '../webhooks/hubspot-event.ts';
import type { JobHandler, JobQueue, JobSpec } from '../queue/queue.ts';
import { associationSides, classifyEvent, type ClassifiedEvent, type EventAction } from './classify-event.ts';
import { echoStates } from './echo.ts';
import { claimEvents, eventDedupeKey, isStale, raiseHighWaterMarks, readHighWaterMarks } from './event-ledger.ts';
import { DEFAULT_ROUTING, generationJobsFor, shouldIngest, type RoutingConfig } from './routing.ts';

/** The write-back module records its writes through this, so their webhook echoes start no generation. */
export { recordOwnWrite, type OwnWrite } from './echo.ts';

export interface BatchProcessorDeps {
  queue: JobQueue;
  cache: KeyValueCache;
  /** From `loadRoutingRules(ROUTING_FILE)`; default: the documented rules. */
  rules?: RoutingConfig;
  /**
   * WEBHOOK_COALESCE_MS: events for one record within this window become one ingest job. An event that asks for
   * a generation starts its ingest at once when none of its record started within the window (see leadingEdge).
   */
  coalesceMs: number;
  /** HUBSPOT_APP_ID: changes attributed to it are our own writes. */
  appId?: string;
  logger?: Logger;
  /** The container's metrics (webhook events by result). */
  metrics?: ContainerMetrics;
}

export interface BatchOutcome {
  processed: number;
  duplicate: number;
  stale: number;
  echo: number;
  ignored: number;
  jobs: number;
}

const REASON: Record<EventAction, IngestReason> = {
  creation: 'creation',
  deletion: 'deletion',
  merge: 'merge',
  restore: 'restore',
  propertyChange: 'propertyChange',
  associationChange: 'associationChange',
  privacyDeletion: 'privacyDeletion',
  workflow: 'workflow',
};

/**
 * The `webhook.batch` handler. The route only journals deliveries; here each event is deduplicated, checked
 * against the record's high-water mark, checked for being our own echo, and turned into jobs:
 *   - one `ingest.record` per record, coalesced over `coalesceMs` (queue key + delay), so a burst of 30
 *     property changes costs one fetch; one that carries a generation starts at once and only the events
 *     behind it wait out the window (leadingEdge);
 *   - the generations the routing rules ask for (never for echoes) ride on that ingest job, which enqueues them
 *     when it has indexed the content, with the content version the agent is to read: cause, then effect.
 * The derived jobs are enqueued in one durable call before high-water marks move, and dedupe claims belong to
 * this job id, so a crash anywhere in here loses nothing when the job runs again.
 */
export function createWebhookBatchHandler(deps: BatchProcessorDeps): JobHandler<WebhookBatchPayload> {
  return async (job) => {
    await processBatch(deps, job.payload, job.id);
  };
}

export async function processBatch(deps: BatchProcessorDeps, batch: WebhookBatchPayload, owner: string): Promise<BatchOutcome> {
  const routing = deps.rules ?? DEFAULT_ROUTING;
  const logger = deps.logger ?? silentLogger;
  const outcome: BatchOutcome = { processed: 0, duplicate: 0, stale: 0, echo: 0, ignored: 0, jobs: 0 };
  const specs: JobSpec[] = [];
  const accepted: Array<{ c: ClassifiedEvent; e: HubSpotEvent }> = [];
  const count = (e: HubSpotEvent, result: keyof BatchOutcome) => {
    outcome[result] += 1;
    deps.metrics?.webhookEvents.inc({ subscription_type: e.subscriptionType, result });
  };

  // Oldest first, so within one batch the newest event of a record is the one that wins.
  const events = [...batch.events].sort((a, b) => a.occurredAt - b.occurredAt);
  const known: Array<{ c: ClassifiedEvent; e: HubSpotEvent }> = [];
  for (const e of events) {
    const c = classifyEvent(e);
    if (c && shouldIngest(routing, c.objectType)) known.push({ c, e });
    else {
      logger.info({ subscriptionType: e.subscriptionType, objectTypeId: e.objectTypeId }, 'webhook event ignored: not an object we index');
      count(e, 'ignored');
    }
  }
  // The claims, the high-water marks and the echo marks of the whole delivery in one round trip (three batched
  // commands sent together); a fourth only when some events were already taken (redeliveries).
  const [claimed, marks, echoFlagsOfKnown] = await Promise.all([
    claimEvents(deps.cache, known.map(({ e }) => eventDedupeKey(e)), owner),
    readHighWaterMarks(deps.cache, known),
    echoStates(deps.cache, known, deps.appId),
  ]);
  const current: Array<{ c: ClassifiedEvent; e: HubSpotEvent }> = [];
  const echoes: Array<'ours' | 'maybe' | 'theirs'> = [];
  for (const [i, item] of known.entries()) {
    if (!claimed[i]) count(item.e, 'duplicate');
    else if (isStale(marks, item.c, item.e)) count(item.e, 'stale');
    else {
      current.push(item);
      echoes.push(echoFlagsOfKnown[i]!);
    }
  }
  for (const [i, { c, e }] of current.entries()) {
    // Our own writes' echoes are indexed like any change but start no generation; a note or task that may be the one
    // we are creating starts them only if its ingest finds it is not ours.
    const generate: GenerationRequest[] = echoes[i] === 'ours'
      ? []
      : generationJobsFor(routing, { ...c, propertyName: e.propertyName, propertyValue: e.propertyValue }).map((type) => ({
          type,
          trigger: {
            subscriptionType: e.subscriptionType,
            occurredAt: e.occurredAt,
            eventId: String(e.eventId),
            ...(e.propertyName === undefined ? {} : { propertyName: e.propertyName }),
            ...(e.propertyValue === undefined ? {} : { propertyValue: e.propertyValue }),
          },
        }));
    specs.push(...ingestJobs(c, e, deps.coalesceMs, generate, echoes[i] === 'maybe'));
    count(e, echoes[i] === 'ours' ? 'echo' : 'processed');
    accepted.push({ c, e });
  }

  // One job per key and delivery: a burst about one record derives one ingest (and one job per agent), as the
  // queue would make of them anyway, without sending it the other ninety-nine.
  const jobs = await leadingEdge(deps, coalesceByKey(specs));
  if (jobs.length > 0) await deps.queue.enqueue(jobs);
  outcome.jobs = jobs.length;
  await raiseHighWaterMarks(deps.cache, accepted, marks);
  logger.debug({ jobId: owner, ...outcome }, 'webhook batch processed');
  return outcome;
}

const LEAD_PREFIX = 'events:lead:';

/**
 * An ingest that carries a generation starts at once when no other one of its key started within the coalescing
 * window (its leading edge), so a person waits for the pipeline, not for the window. The events that follow
 * while it waits join it (the queue keeps one waiting job per key); those that come while it runs make one
 * delayed job that waits out the window (the trailing edge), so a burst still costs two ingests at most. Plain
 * syncs keep the trailing window alone: nobody waits on them, and they are most of a burst. One cache round trip,
 * only when the delivery asks for a generation; a crash after the claim only costs the next attempt the window.
 */
async function leadingEdge(deps: BatchProcessorDeps, jobs: JobSpec[]): Promise<JobSpec[]> {
  if (deps.coalesceMs <= 0) return jobs;
  const asking = jobs.filter((j) => j.type === 'ingest.record' && j.key !== undefined && ((j.payload as IngestRecordPayload).generate?.length ?? 0) > 0);
  if (asking.length === 0) return jobs;
  const ttlSeconds = Math.max(1, Math.ceil(deps.coalesceMs / 1000));
  const value = Buffer.from(String(Date.now()));
  const won = await deps.cache.setManyIfAbsent(asking.map((j) => ({ key: `${LEAD_PREFIX}${j.key!}`, value, ttlSeconds })));
  const leading = new Set(asking.filter((_, i) => won[i]));
  return jobs.map((j) => (leading.has(j) ? { ...j, delayMs: 0 } : j));
}

/** Keeps the first job of each coalescing key (the one the queue keeps too: later ones are no-ops there). */
function coalesceByKey(specs: JobSpec[]): JobSpec[] {
  const seen = new Set<string>();
  return specs.filter((s) => {
    if (s.key === undefined) return true;
    if (seen.has(s.key)) return false;
    seen.add(s.key);
    return true;
  });
}

/**
 * The ingest job(s) for one event; merges and association changes also refresh the other records involved. An
 * event that asks for generations hands them to its record's ingest job, which enqueues them once the content is
 * indexed. Such a job coalesces only with jobs that ask for the same generations (a burst of stage changes makes
 * one summary), never with a plain sync whose payload would not carry them.
 */
function ingestJobs(c: ClassifiedEvent, e: HubSpotEvent, coalesceMs: number, generate: GenerationRequest[], maybeOurs = false): JobSpec<IngestRecordPayload>[] {
  const verify = maybeOurs && generate.length > 0;
  const asks = generate.length > 0 ? { generate, ...(verify ? { unlessProductOutput: true } : {}) } : {};
  const askKey = generate.length > 0 ? `:then:${generate.map((g) => g.type).sort().join(',')}${verify ? ':unless-ours' : ''}` : '';
  const base = { portalId: c.portalId, reason: REASON[c.action], occurredAt: e.occurredAt };
  const spec = (payload: IngestRecordPayload, keySuffix = ''): JobSpec<IngestRecordPayload> => ({
    type: 'ingest.record',
    payload,
    key: `ingest.record:${payload.portalId}:${payload.objectType}:${payload.objectId}${keySuffix}`,
    delayMs: coalesceMs,
  });
  if (c.action === 'merge') {
    const target = String(e.newObjectId ?? e.primaryObjectId ?? c.objectId);
    const merged = [...new Set([...(e.mergedObjectIds ?? []), e.primaryObjectId, e.objectId].filter((x) => x !== undefined).map(String))]
      .filter((x) => x !== target)
      .sort();
    // Merged ids must reach the ingest job (their chunks are removed), so a merge is not coalesced with plain syncs.
    return [spec({ ...base, objectType: c.objectType, objectId: target, mergedObjectIds: merged, ...asks }, `:merge:${merged.join(',')}${askKey}`)];
  }
  if (c.action === 'associationChange') {
    const sides = associationSides(e);
    if (sides.length === 0) return [spec({ ...base, objectType: c.objectType, objectId: c.objectId, ...asks }, askKey)];
    // Both sides are re-ingested: the side an association was removed from must drop what no longer rolls up.
    return sides.map((side, i) => {
      const other = sides[1 - i];
      const mine = side.objectType === c.objectType && side.objectId === c.objectId && generate.length > 0;
      return spec(
        { ...base, objectType: side.objectType, objectId: side.objectId, ...(other ? { related: [other] } : {}), ...(mine ? asks : {}) },
        mine ? askKey : '',
      );
    });
  }
  return [spec({ ...base, objectType: c.objectType, objectId: c.objectId, ...asks }, askKey)];
}
