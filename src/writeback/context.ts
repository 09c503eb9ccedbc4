import type { RecordType } from '../core/objects.ts';
import type { HubSpotGateway } from '../hubspot/gateway.ts';
import type { Logger } from '../logging.ts';
import type { ContainerMetrics } from '../metrics.ts';
import type { AuditStore } from './audit-store.ts';
import type { HubSpotWriter } from './hubspot-writer.ts';
import type { OwnerDirectory } from './owner-directory.ts';
import type { Kysely } from 'kysely';
import type { WritebackDb } from './sql-schema.ts';
import type { Policy } from './policy.ts';
import type { ReviewStore } from './review-store.ts';
import type { WriteLog } from './write-log.ts';
import type { PropertySchema } from './property-schema.ts';
import { AppError } from '../errors.ts';

/** What the write-back operations share; built once by `createWriteback`. */
export interface WritebackContext {
  gateway: HubSpotGateway;
  /** The one portal this service works for: every table read and written is filtered by it. */
  portal: () => Promise<string>;
  policy: Policy;
  dryRun: boolean;
  killSwitch: boolean;
  appId?: string;
  audit: AuditStore;
  reviews: ReviewStore;
  writes: WriteLog;
  writer: HubSpotWriter;
  logger: Logger;
  owners: OwnerDirectory;
  /** OWNER_TASKS (nothing is created in dry-run mode either way) and the review page's public URL for the task. */
  ownerTasks: { enabled: boolean; reviewPageUrl?: string };
  /** The module's tables (owner tasks; the stores above wrap the rest). */
  db: Kysely<WritebackDb>;
  now: () => number;
  /** Where people open records in HubSpot (`https://app.hubspot.com`), for links on the page, cards and tasks. */
  appUrl: string;
  /** The portal's property definitions: values are checked against them before review or write. */
  schema: PropertySchema;
  /** How many records of a type the portal holds, for the breaker's fraction rule (null: unknown). */
  recordCount: (type: RecordType) => Promise<number | null>;
  /** The container's metrics (decisions by agent and outcome). */
  metrics: ContainerMetrics;
}

export type WritebackErrorCode = 'REVIEW_NOT_FOUND' | 'REVIEW_NOT_PENDING' | 'INVALID_EDIT' | 'INVALID_UNDO';

/** Failures of a write-back operation a caller can act on (the routes map them to API errors). */
export class WritebackError extends AppError {
  constructor(code: WritebackErrorCode, message: string, details?: unknown) {
    super(code, message, { details });
  }
}

/**
 * Whether HubSpot's value is the one we wrote or saw: compared in HubSpot's form for the property's type
 * (`comparisonType` in property-schema.ts; '' and null both mean empty), since HubSpot sends `...:00.000Z` back
 * as `...:00Z`, `1000.50` as `1000.5` and a multi-select's options in its own order. The type is a required
 * argument so that no check can forget it; undefined (unknown) compares exactly.
 */
export { samePropertyValue as sameValue } from '../core/property-value.ts';
