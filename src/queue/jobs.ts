import type { ObjectType } from '../core/objects.ts';
import type { HubSpotEvent } from '../webhooks/hubspot-event.ts';

export type { HubSpotEvent };

/** Payloads of the job types in `queue.ts`. Producers: the event router and CLI; consumers: the handlers. */

export interface WebhookBatchPayload {
  source: 'webhook' | 'workflow';
  receivedAt: number;
  events: HubSpotEvent[];
}

export type IngestReason =
  | 'creation'
  | 'propertyChange'
  | 'deletion'
  | 'merge'
  | 'associationChange'
  | 'restore'
  | 'privacyDeletion'
  | 'workflow'
  | 'manual';

/** Re-ingest whatever accounts this object rolls up to (or remove it when it is gone). */
export interface IngestRecordPayload {
  portalId: string;
  objectType: ObjectType;
  objectId: string;
  reason: IngestReason;
  /** occurredAt (ms) of the newest event coalesced into this job. */
  occurredAt: number;
  /** For merges: the ids that were merged into objectId. */
  mergedObjectIds?: string[];
  /** For association changes: the other side, whose account(s) must be refreshed too. */
  related?: Array<{ objectType: ObjectType; objectId: string }>;
  /**
   * Generations the event's routing asked for: enqueued by this job once it has indexed the object's content,
   * one per account the object rolls up to then.
   */
  generate?: GenerationRequest[];
  /**
   * The object may be the note or task the product was creating when its event came (events/echo.ts): `generate`
   * is dropped when the object turns out to be the product's own output.
   */
  unlessProductOutput?: boolean;
}

/** A generation job type and the event that asked for it. */
export interface GenerationRequest {
  type: GenerationJobType;
  trigger: GeneratePayload['trigger'];
}

export type GenerationJobType = 'generate.call_summary' | 'generate.lead_score' | 'generate.reply_draft' | 'generate.account_summary' | 'generate.enrichment';

export interface IngestAccountPayload {
  portalId: string;
  accountId: string;
}

/** A generation job: the agent's trigger object, and the one account it works for. */
export interface GeneratePayload {
  portalId: string;
  objectType: ObjectType;
  objectId: string;
  /**
   * The account the run works for. Absent on a job the event router made (it does not read HubSpot): the
   * handler then resolves the trigger's accounts and fixes one per job (events/generation-jobs.ts).
   */
  accountId?: string;
  /**
   * The account's content version (`chunkSetVersion`) the ingest job that enqueued this generation indexed:
   * the agent reads that indexed snapshot, not a newer HubSpot state.
   */
  contentVersion?: string;
  trigger: { subscriptionType: string; occurredAt: number; eventId?: string; propertyName?: string; propertyValue?: string };
  /** Shadow mode for this run only. */
  dryRun?: boolean;
}

/** A custom workflow action execution (HubSpot's request, verified and parsed), run by an agent. */
export interface ActionExecutePayload {
  action: 'score-lead' | 'summarize-call' | 'draft-reply' | 'enrich-company';
  callbackId: string;
  portalId: string;
  objectType: 'companies' | 'contacts' | 'deals' | 'tickets';
  objectId: string;
  workflowId?: string;
  inputFields: Record<string, unknown>;
  receivedAt: number;
}
