import type {
  AccountHistory,
  AssociationSet,
  Engagement,
  EngagementType,
  HubSpotObject,
  ObjectType,
  RecordType,
} from '../core/objects.ts';

/**
 * The only way the product talks to HubSpot. Built over `@hubspot/api-client`, it owns rate limiting (one
 * limiter per token, shared in-process and across processes through Redis), retries (429 with Retry-After,
 * 5xx, timeouts) and typed errors (see errors.ts). Everything on the backfill path uses batch APIs.
 */

export interface Page<T> {
  results: T[];
  /** Cursor for the next page; undefined on the last page. */
  after?: string;
}

export interface GatewayStats {
  /** HTTP attempts sent (each retry is one more). */
  requests: number;
  /** 429 answers, any policy. */
  http429: number;
  /** Attempts repeated after a retryable failure. */
  retries: number;
  /** Calls that ended in an error thrown to the caller (after retries). */
  errors: number;
  /**
   * `accountHistories` calls: each reads its accounts whole (~50 requests, whatever their number up to the batch
   * sizes). The event path spends at most one per event (test/events/history-reads.test.ts).
   */
  historyReads: number;
}

export interface PropertyDefinition {
  name: string;
  label: string;
  type: 'bool' | 'date' | 'datetime' | 'enumeration' | 'number' | 'phone_number' | 'string';
  fieldType: string;
  groupName: string;
  description?: string;
  options?: Array<{ label: string; value: string; displayOrder?: number }>;
}

export interface PropertySummary {
  name: string;
  groupName: string;
  type: string;
  fieldType: string;
  options: Array<{ label: string; value: string }>;
}

/** A listed object with the ids of its associated objects, by type (sorted, complete). */
export interface ListedObject {
  object: HubSpotObject;
  associations: Partial<Record<ObjectType, string[]>>;
}

export interface NewAssociation {
  toObjectType: RecordType;
  toObjectId: string;
  associationTypeId: number;
}

export interface HubSpotGateway {
  /** The portal (hub) id of the token, from the account-info API; cached after the first call. */
  portalId(): Promise<string>;
  listObjects(type: ObjectType, opts: { after?: string; limit?: number; properties?: string[] }): Promise<Page<HubSpotObject>>;
  /**
   * A page of 100 objects with their properties and associated ids (one request: HubSpot's list endpoint with
   * `associations`). HubSpot cuts each association list at 100; those are completed with batch association reads,
   * so every list is complete. The backfill reads a portal's structure this way (portal-scan.ts).
   */
  listWithAssociations(type: ObjectType, opts: { after?: string; properties?: string[]; associations: ObjectType[] }): Promise<Page<ListedObject>>;
  /**
   * One object with the ids of its associated objects of these types, in one request (a type with more than the
   * first page of associations is completed with the associations API); null when HubSpot no longer has it.
   */
  readWithAssociations(type: ObjectType, id: string, opts: { properties?: string[]; associations: ObjectType[] }): Promise<ListedObject | null>;
  /** Batch read by id (≤100 per call internally). Ids that no longer exist are simply absent from the result. */
  batchRead(type: ObjectType, ids: string[], opts?: { properties?: string[]; propertiesWithHistory?: string[] }): Promise<HubSpotObject[]>;
  /**
   * Records modified since `sinceMs` (search on hs_lastmodifieddate, window-sliding past the 10k cap). Pass the
   * returned `after` back unchanged for the next page; `sinceMs` is then ignored.
   */
  modifiedSince(type: ObjectType, sinceMs: number, opts?: { properties?: string[]; after?: string }): Promise<Page<HubSpotObject>>;
  /** Associations v4 batch read (≤1000 ids per call internally, follows paging); ids sorted numerically. */
  batchAssociations(fromType: ObjectType, toType: ObjectType, ids: string[]): Promise<Map<string, string[]>>;
  /** All associations of engagements to records. */
  engagementAssociations(type: ObjectType, ids: string[]): Promise<Map<string, AssociationSet>>;
  /**
   * Engagements by id as an account history holds them (properties, all associations, product-output flag): one
   * request per id for up to four ids, five whatever the number of ids beyond. Ids that no longer exist are absent.
   */
  engagements(type: EngagementType, ids: string[]): Promise<Engagement[]>;
  /**
   * The full, de-duplicated history of accounts (company ids or `contact:<id>`), with batch reads only, in the
   * order asked. An account whose company (or contact) no longer exists comes back with no company (no contact)
   * and empty lists: treat it as a deletion. Roll-up rule: account-resolver.ts.
   */
  accountHistories(accountIds: string[]): Promise<AccountHistory[]>;
  /** Which accounts a record or engagement rolls up to (sorted; the same rule accountHistories uses). */
  accountsOf(type: ObjectType, id: string): Promise<string[]>;
  batchUpdate(type: ObjectType, inputs: Array<{ id: string; properties: Record<string, string> }>): Promise<HubSpotObject[]>;
  create(type: ObjectType, properties: Record<string, string>, associations?: NewAssociation[]): Promise<HubSpotObject>;
  /** Succeeds when the object is already gone. */
  archive(type: ObjectType, id: string): Promise<void>;
  /** The portal's property definitions of a type, with the options (visible ones) of enumerations. */
  listProperties(type: ObjectType): Promise<Array<PropertySummary>>;
  /** Idempotent: an existing group (409) counts as created. */
  createPropertyGroup(type: ObjectType, group: { name: string; label: string }): Promise<void>;
  /** Idempotent: an existing property (409) counts as created (its definition is not compared). */
  createProperty(type: ObjectType, def: PropertyDefinition): Promise<void>;
  listOwners(): Promise<Array<{ id: string; email: string; firstName?: string; lastName?: string }>>;
  listPipelines(type: 'deals' | 'tickets'): Promise<Array<{ id: string; label: string; stages: Array<{ id: string; label: string; metadata?: Record<string, string> }> }>>;
  /**
   * Completes blocked custom workflow action executions (`POST /automation/v4/actions/callbacks/complete`): the
   * workflow resumes with these output fields (`hs_execution_state` SUCCESS or FAIL_CONTINUE). ≤100 per call.
   */
  completeActionCallbacks(inputs: Array<{ callbackId: string; outputFields: Record<string, string> }>): Promise<void>;
  stats(): GatewayStats;
  close(): Promise<void>;
}
