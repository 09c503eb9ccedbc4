import { ContainerMetrics } from '../metrics.ts';
import { NO_TRACING, type Tracing } from '../tracing.ts';
import { comparisonType, PropertySchema } from './property-schema.ts';
import type { RecordType } from '../core/objects.ts';
import type { GenerationTrace, Proposal, ProposalSink, SubmitResult } from '../core/proposal.ts';
import type { SqlHandle } from '../db/sql.ts';
import type { HubSpotGateway } from '../hubspot/gateway.ts';
import { silentLogger, type Logger } from '../logging.ts';
import { sweepInterruptedWrites, type SweepReport } from './intent-sweep.ts';
import { AuditStore, type AuditEntry, type AuditFilter, type NewAuditEntry } from './audit-store.ts';
import type { WritebackContext } from './context.ts';
import { dashboardStats, type DashboardStats } from './dashboard-stats.ts';
import { dryRunReport, type DryRunReport } from './dry-run-report.ts';
import { HubSpotWriter, type OwnWrite } from './hubspot-writer.ts';
import { OwnerDirectory, type Owner } from './owner-directory.ts';
import type { Policy } from './policy.ts';
import { approveReview, describeReviews, listReviews, rejectReview, type EvidenceResolver, type ListOptions, type ReviewActionResult, type ReviewView } from './review-actions.ts';
import { ReviewStore, type ReviewFilter } from './review-store.ts';
import { setupAiProperties, type SetupReport } from './setup.ts';
import { migrateWriteback, type WritebackDb } from './sql-schema.ts';
import { submitProposals } from './submit.ts';
import { undoWrites, type UndoOptions, type UndoReport } from './undo.ts';
import { WriteLog } from './write-log.ts';

/**
 * The write-back service: the only path from an agent's proposal to a HubSpot write. See the README
 * ("The write-back guardrails") and src/writeback/README.md for the contract; each operation lives in its own file and this one wires them together.
 */

export interface WritebackService extends ProposalSink {
  listReviews(filter?: ListOptions): Promise<ReviewView[]>;
  countReviews(filter?: Omit<ReviewFilter, 'beforeId' | 'limit'>): Promise<number>;
  /** Aggregates for the dashboard over the last `days` days. */
  dashboard(opts: { days: number }): Promise<DashboardStats>;
  /** The HubSpot portal this service writes to. */
  portalId(): Promise<string>;
  /** HubSpot owners (cached), for the review page's owner filter. */
  owners(): Promise<Owner[]>;
  getReview(id: string, opts?: { withDetails?: boolean }): Promise<ReviewView | undefined>;
  approve(id: string, opts: { actor: string; editedValue?: string }): Promise<ReviewActionResult>;
  reject(id: string, opts: { actor: string; reason: string }): Promise<ReviewActionResult>;
  audit(filter?: AuditFilter): Promise<AuditEntry[]>;
  /** Appends an audit entry about this portal's work that is not a proposal's step (a refused generation). */
  recordEvent(entry: NewAuditEntry): Promise<void>;
  undo(opts: UndoOptions): Promise<UndoReport>;
  /** Settles writes whose process stopped after recording the intent (intent-sweep.ts); the workers run it. */
  sweepInterruptedWrites(opts?: { olderThanMs?: number }): Promise<SweepReport>;
  dryRunReport(opts?: { since?: string | Date; until?: string | Date }): Promise<DryRunReport>;
  setup(): Promise<SetupReport>;
  readonly dryRun: boolean;
  readonly policy: Policy;
  close(): Promise<void>;
}

export interface WritebackOptions {
  gateway: HubSpotGateway;
  /** The portal this service works for (default: the gateway's); every row it reads or writes is that portal's. */
  portalId?: string;
  sql: SqlHandle;
  policy: Policy;
  /** Shadow mode (DRY_RUN): decide and audit everything, write nothing. */
  dryRun: boolean;
  /** KILL_SWITCH: no automatic writes (proposals that would apply go to review). */
  killSwitch: boolean;
  /** HUBSPOT_APP_ID: recognises our own writes in property history. */
  appId?: string;
  /** The event module's echo-suppression hook, called before each of our writes reaches HubSpot. */
  onOwnWrite?: (w: OwnWrite) => Promise<void>;
  /** Mask e-mail addresses and phone numbers in stored prompts and responses. */
  redactPrompts?: boolean;
  /** Text of evidence chunks for the review page (the vector store's lookup); ids only without it. */
  resolveEvidence?: EvidenceResolver;
  /** One HubSpot task per record for its owner while suggestions wait for review (default on). */
  ownerTasks?: { enabled: boolean; reviewPageUrl?: string };
  /** Where people open records in HubSpot; default `https://app.hubspot.com` (`https://app-eu1.hubspot.com` in the EU). */
  hubspotAppUrl?: string;
  /** Record counts for the breaker's fraction rule; default: counted through the gateway, cached for an hour. */
  recordCount?: (type: RecordType) => Promise<number | null>;
  logger?: Logger;
  /** Clock for tests of time windows; default Date.now. */
  now?: () => number;
  /** Whether `close()` also closes `sql` (default false: the container owns it). */
  closeSql?: boolean;
  /** The container's metrics (decisions) and tracing (a span per submit and approval; trace ids on audit rows). */
  metrics?: ContainerMetrics;
  tracing?: Tracing;
}

export async function createWriteback(opts: WritebackOptions): Promise<WritebackService> {
  const now = opts.now ?? Date.now;
  await migrateWriteback(opts.sql);
  const db = opts.sql.db as SqlHandle<WritebackDb>['db'];
  let resolved: Promise<string> | undefined;
  const portal = (): Promise<string> => {
    if (opts.portalId !== undefined) return Promise.resolve(opts.portalId);
    resolved ??= opts.gateway.portalId();
    resolved.catch(() => (resolved = undefined));
    return resolved;
  };
  const tracing = opts.tracing ?? NO_TRACING;
  const logger = opts.logger ?? silentLogger;
  const schema = new PropertySchema(opts.gateway, now);
  const writer = new HubSpotWriter(opts.gateway, opts.onOwnWrite ?? (async () => undefined), portal, (type, field) => comparisonType(schema, type, field, logger));
  const ctx: WritebackContext = {
    gateway: opts.gateway,
    portal,
    policy: opts.policy,
    dryRun: opts.dryRun,
    killSwitch: opts.killSwitch,
    appId: opts.appId,
    audit: new AuditStore(db, { redactPrompts: opts.redactPrompts ?? false, now, portal, traceId: () => tracing.traceId() }),
    reviews: new ReviewStore(db, now, portal),
    writes: new WriteLog(db, now, portal),
    writer,
    owners: new OwnerDirectory(opts.gateway, now),
    ownerTasks: opts.ownerTasks ?? { enabled: true },
    db,
    now,
    appUrl: (opts.hubspotAppUrl ?? 'https://app.hubspot.com').replace(/\/+$/, ''),
    logger,
    recordCount: opts.recordCount ?? gatewayRecordCounter(opts.gateway, now),
    schema,
    metrics: opts.metrics ?? new ContainerMetrics(),
  };

  return {
    dryRun: opts.dryRun,
    policy: opts.policy,
    submit: (proposals: Proposal[], trace: GenerationTrace, o?: { dryRun?: boolean; actor?: string; finalAttempt?: boolean }): Promise<SubmitResult[]> =>
      tracing.withSpan('writeback.submit', { 'agent': trace.agent, 'proposals': proposals.length }, () => submitProposals(ctx, proposals, trace, o)),
    approve: (id, o) => tracing.withSpan('writeback.approve', { 'review.id': id }, () => approveReview(ctx, id, o)),
    listReviews: (filter = {}) => listReviews(ctx, opts.resolveEvidence, filter),
    countReviews: (filter = {}) => ctx.reviews.count(filter),
    portalId: portal,
    dashboard: async (o) => dashboardStats(db, { days: o.days, now: now(), portalId: await portal() }),
    owners: async () => [...(await ctx.owners.all()).values()].sort((a, b) => a.name.localeCompare(b.name)),
    getReview: async (id, o = {}) => {
      const review = await ctx.reviews.get(id);
      if (!review) return undefined;
      const view: ReviewView = { ...review };
      if (o.withDetails) await describeReviews(ctx, opts.resolveEvidence, [view], { withCurrent: true, withDetails: true });
      return view;
    },
    reject: (id, o) => rejectReview(ctx, id, o),
    audit: (filter = {}) => ctx.audit.list(filter),
    recordEvent: (entry) => ctx.audit.append(entry),
    undo: (o) => undoWrites(ctx, o),
    sweepInterruptedWrites: (o) => sweepInterruptedWrites(ctx, o),
    dryRunReport: (o = {}) => dryRunReport(ctx, o),
    setup: async () => {
      const report = await setupAiProperties(opts.gateway);
      writer.forgetSchema();
      ctx.schema.forget();
      return report;
    },
    close: async () => {
      if (opts.closeSql) await opts.sql.close();
    },
  };
}

/**
 * Counts records of a type by paging the list API (ids only), at most `maxPages` pages; a capped count makes the
 * fraction rule stricter, never looser. Cached per type for an hour so the breaker costs a few calls an hour.
 */
export function gatewayRecordCounter(gateway: HubSpotGateway, now: () => number, maxPages = 20): (type: RecordType) => Promise<number | null> {
  const cache = new Map<RecordType, { at: number; count: Promise<number | null> }>();
  return (type) => {
    const hit = cache.get(type);
    if (hit && now() - hit.at < 3_600_000) return hit.count;
    const count = (async () => {
      let total = 0;
      let after: string | undefined;
      for (let page = 0; page < maxPages; page++) {
        const res = await gateway.listObjects(type, { after, limit: 100, properties: ['hs_object_id'] });
        total += res.results.length;
        after = res.after;
        if (!after) break;
      }
      return total;
    })().catch(() => {
      cache.delete(type);
      return null;
    });
    cache.set(type, { at: now(), count });
    return count;
  };
}
