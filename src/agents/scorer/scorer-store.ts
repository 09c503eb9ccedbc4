import { Migrator, type Kysely, type Migration } from 'kysely';
import type { SqlHandle } from '../../db/sql.ts';
import { AppError, errorMessage } from '../../errors.ts';
import { SCORER_MODEL_VERSION, type ScorerModel } from './model.ts';
import type { LiveReport } from './live-report.ts';
import { validationStatus } from './validation.ts';

/**
 * Trained lead scorers, in the shared SQL layer (the SQLite file, or PostgreSQL when DATABASE_URL is set), so every
 * API and worker process of a deployment scores with the same model and reads the same validation. One row per
 * training run, never updated: the newest row of a portal is its current scorer, older ones are its history
 * (`hubspot-ai scorer report` compares them). The validation figures sit in columns as well as in the model, so
 * a person can query them.
 */

export interface ScorersTable {
  id: number;
  portal_id: string;
  version: string;
  trained_at: string;
  validated: number;
  auc: number;
  auc_low: number;
  auc_high: number;
  ece: number;
  closed_deals: number;
  confidence_bound: number;
  model: string;
  created_at: number;
}

/** One row per `scorer report` run: drift over time, and the figures `/metrics` exposes. */
export interface ScorerReportsTable {
  id: number;
  portal_id: string;
  scorer_id: number | null;
  at: number;
  live_outcomes: number;
  live_auc: number | null;
  live_ece: number | null;
  auc_drift: number | null;
  retrain: number;
  report: string;
}

interface ScorerDb {
  lead_scorers: ScorersTable;
  lead_scorer_reports: ScorerReportsTable;
}

export interface StoredScorer {
  id: number;
  model: ScorerModel;
}

export interface ScorerStore {
  /** Saves a newly trained scorer as the portal's current one; returns its id. */
  save(portalId: string, model: ScorerModel, now?: Date): Promise<number>;
  /** The portal's current scorer, or null when none was trained. */
  latest(portalId: string): Promise<StoredScorer | null>;
  /** The id of the portal's current scorer (cheap: for change checks). */
  latestId(portalId: string): Promise<number | null>;
  /** Records a live report of the portal's current scorer. */
  saveReport(portalId: string, report: LiveReport, now?: Date): Promise<void>;
  /** The current scorer's validation and the latest live report as numbers (for `/metrics`). */
  figures(portalId: string): Promise<Record<string, number>>;
}

function migrations(dialect: SqlHandle['dialect']): Record<string, Migration> {
  const real = dialect === 'postgres' ? 'double precision' : 'real';
  return {
    '0001_lead_scorers': {
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable('lead_scorers')
          .addColumn('id', dialect === 'postgres' ? 'serial' : 'integer', (c) => (dialect === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement()))
          .addColumn('portal_id', 'text', (c) => c.notNull())
          .addColumn('version', 'text', (c) => c.notNull())
          .addColumn('trained_at', 'text', (c) => c.notNull())
          .addColumn('validated', 'integer', (c) => c.notNull())
          .addColumn('auc', real, (c) => c.notNull())
          .addColumn('auc_low', real, (c) => c.notNull())
          .addColumn('auc_high', real, (c) => c.notNull())
          .addColumn('ece', real, (c) => c.notNull())
          .addColumn('closed_deals', 'integer', (c) => c.notNull())
          .addColumn('confidence_bound', real, (c) => c.notNull())
          .addColumn('model', 'text', (c) => c.notNull())
          .addColumn('created_at', dialect === 'postgres' ? 'bigint' : 'integer', (c) => c.notNull())
          .execute();
        await db.schema.createIndex('lead_scorers_portal').on('lead_scorers').columns(['portal_id', 'id']).execute();
      },
    },
    '0002_lead_scorer_reports': {
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable('lead_scorer_reports')
          .addColumn('id', dialect === 'postgres' ? 'serial' : 'integer', (c) => (dialect === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement()))
          .addColumn('portal_id', 'text', (c) => c.notNull())
          .addColumn('scorer_id', 'integer')
          .addColumn('at', dialect === 'postgres' ? 'bigint' : 'integer', (c) => c.notNull())
          .addColumn('live_outcomes', 'integer', (c) => c.notNull())
          .addColumn('live_auc', real)
          .addColumn('live_ece', real)
          .addColumn('auc_drift', real)
          .addColumn('retrain', 'integer', (c) => c.notNull())
          .addColumn('report', 'text', (c) => c.notNull())
          .execute();
        await db.schema.createIndex('lead_scorer_reports_portal').on('lead_scorer_reports').columns(['portal_id', 'id']).execute();
      },
    },
  };
}

export class SqlScorerStore implements ScorerStore {
  private readonly db: Kysely<ScorerDb>;
  private ready: Promise<void> | undefined;

  constructor(private readonly handle: SqlHandle) {
    this.db = handle.db as Kysely<ScorerDb>;
  }

  private init(): Promise<void> {
    this.ready ??= (async () => {
      const migrator = new Migrator({
        db: this.handle.db,
        provider: { getMigrations: async () => migrations(this.handle.dialect) },
        migrationTableName: 'scorer_migrations',
        migrationLockTableName: 'scorer_migrations_lock',
      });
      const { error } = await migrator.migrateToLatest();
      if (error) throw new AppError('SCORER_STORE', `lead scorer table migration failed: ${errorMessage(error)}`, { cause: error });
    })();
    this.ready.catch(() => (this.ready = undefined));
    return this.ready;
  }

  async save(portalId: string, model: ScorerModel, now = new Date()): Promise<number> {
    await this.init();
    const v = model.validation;
    const status = validationStatus(v);
    const row = await this.db
      .insertInto('lead_scorers')
      .values({
        portal_id: portalId,
        version: model.version,
        trained_at: model.trainedAt,
        validated: status.validated ? 1 : 0,
        auc: v?.auc ?? model.evaluation.auc,
        auc_low: v?.aucInterval[0] ?? 0,
        auc_high: v?.aucInterval[1] ?? 1,
        ece: v?.ece ?? model.evaluation.ece,
        closed_deals: v?.closedDeals ?? model.trainingSize,
        confidence_bound: status.confidenceBound,
        model: JSON.stringify(model),
        created_at: now.getTime(),
      } as never)
      .returning('id')
      .executeTakeFirstOrThrow();
    return Number(row.id);
  }

  async latestId(portalId: string): Promise<number | null> {
    await this.init();
    const row = await this.db.selectFrom('lead_scorers').select('id').where('portal_id', '=', portalId).orderBy('id', 'desc').limit(1).executeTakeFirst();
    return row ? Number(row.id) : null;
  }

  async saveReport(portalId: string, report: LiveReport, now = new Date()): Promise<void> {
    await this.init();
    await this.db
      .insertInto('lead_scorer_reports')
      .values({
        portal_id: portalId,
        scorer_id: await this.latestId(portalId),
        at: now.getTime(),
        live_outcomes: report.proposed.n,
        live_auc: report.proposed.auc,
        live_ece: report.proposed.ece,
        auc_drift: report.aucDrift,
        retrain: report.retrain ? 1 : 0,
        report: JSON.stringify(report),
      } as never)
      .execute();
  }

  async figures(portalId: string): Promise<Record<string, number>> {
    const out: Record<string, number> = {};
    const current = await this.latest(portalId);
    if (!current) return out;
    const status = validationStatus(current.model.validation);
    out.validated = status.validated ? 1 : 0;
    out.confidence_bound = status.confidenceBound;
    const v = current.model.validation;
    if (v) {
      out.heldout_auc = v.auc;
      out.heldout_auc_low = v.aucInterval[0];
      out.closed_deals = v.closedDeals;
    }
    const report = await this.db
      .selectFrom('lead_scorer_reports')
      .selectAll()
      .where('portal_id', '=', portalId)
      .where('scorer_id', '=', current.id)
      .orderBy('id', 'desc')
      .limit(1)
      .executeTakeFirst();
    if (report) {
      out.live_outcomes = Number(report.live_outcomes);
      out.retrain = Number(report.retrain);
      if (report.live_auc !== null) out.live_auc = Number(report.live_auc);
      if (report.live_ece !== null) out.live_ece = Number(report.live_ece);
      if (report.auc_drift !== null) out.auc_drift = Number(report.auc_drift);
      // Figures added after the table's columns live in the stored report (no migration for a figure).
      const stored = parseReport(report.report);
      if (typeof stored?.eceDrift === 'number') out.ece_drift = stored.eceDrift;
      if (stored?.confidence && typeof stored.confidence.gap === 'number') {
        out.confidence_gap = stored.confidence.gap;
        out.confidence_outcomes = stored.confidence.n;
        out.overconfident = stored.confidence.overconfident ? 1 : 0;
      }
    }
    return out;
  }

  async latest(portalId: string): Promise<StoredScorer | null> {
    await this.init();
    const row = await this.db.selectFrom('lead_scorers').select(['id', 'model']).where('portal_id', '=', portalId).orderBy('id', 'desc').limit(1).executeTakeFirst();
    if (!row) return null;
    const model = JSON.parse(row.model) as ScorerModel;
    if (model.version !== SCORER_MODEL_VERSION) {
      throw new AppError('SCORER_VERSION', `the stored lead scorer is ${String(model.version)}; retrain with \`hubspot-ai train-scorer\``);
    }
    return { id: Number(row.id), model };
  }
}

function parseReport(text: string): Partial<LiveReport> | null {
  try {
    return JSON.parse(text) as Partial<LiveReport>;
  } catch {
    return null;
  }
}

/**
 * The portal's current scorer for long-running processes: re-read when `train-scorer` stores a new one (its id
 * is checked at most every `checkEveryMs`), so a retrain is picked up without a restart.
 */
export function currentScorer(store: ScorerStore, portalId: () => Promise<string>, checkEveryMs = 2_000, clock = Date.now): () => Promise<ScorerModel | null> {
  let cached: StoredScorer | null = null;
  let checkedAt = -Infinity;
  return async () => {
    const now = clock();
    if (now - checkedAt < checkEveryMs) return cached?.model ?? null;
    checkedAt = now;
    const portal = await portalId();
    const id = await store.latestId(portal);
    if (id === null) cached = null;
    else if (cached?.id !== id) cached = await store.latest(portal);
    return cached?.model ?? null;
  };
}
