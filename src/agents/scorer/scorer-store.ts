import type { Kysely } from 'kysely';
import type { SqlHandle } from '../../db/sql.ts';
import { ensureSchema } from '../../db/migrator.ts';
import { SqlModelRecordStore, type ModelRecordStore } from '../../db/model-records.ts';
import { AppError } from '../../errors.ts';
import { SCORER_MODEL_VERSION, type ScorerModel } from './model.ts';
import type { LiveReport } from './live-report.ts';
import { validationStatus } from './validation.ts';

/**
 * Trained lead scorers, as model records (db/model-records.ts, kind `lead_scorer`) in the shared SQL layer (the
 * SQLite file, or PostgreSQL when DATABASE_URL is set), so every API and worker process of a deployment scores
 * with the same model and reads the same validation. One record per training run, never updated: the newest of a
 * portal is its current scorer, older ones are its history (`hubspot-ai scorer report` compares them). The
 * validation's headline figures are the record's figures, so a person can query them.
 */
export const LEAD_SCORER_KIND = 'lead_scorer';

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

export class SqlScorerStore implements ScorerStore {
  private readonly db: Kysely<ScorerDb>;
  private readonly records: ModelRecordStore;

  constructor(private readonly handle: SqlHandle) {
    this.db = handle.db as Kysely<ScorerDb>;
    this.records = new SqlModelRecordStore(handle);
  }

  private init(): Promise<void> {
    return ensureSchema(this.handle);
  }

  async save(portalId: string, model: ScorerModel, now = new Date()): Promise<number> {
    const v = model.validation;
    const status = validationStatus(v);
    return this.records.save({
      kind: LEAD_SCORER_KIND,
      portalId,
      name: LEAD_SCORER_KIND,
      version: model.version,
      validated: status.validated,
      figures: {
        auc: v?.auc ?? model.evaluation.auc,
        auc_low: v?.aucInterval[0] ?? 0,
        auc_high: v?.aucInterval[1] ?? 1,
        ece: v?.ece ?? model.evaluation.ece,
        closed_deals: v?.closedDeals ?? model.trainingSize,
        confidence_bound: status.confidenceBound,
      },
      validation: v ?? null,
      artefact: model,
      createdAt: now.getTime(),
    });
  }

  async latestId(portalId: string): Promise<number | null> {
    return this.records.latestId(LEAD_SCORER_KIND, portalId, LEAD_SCORER_KIND);
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
    const record = await this.records.latest(LEAD_SCORER_KIND, portalId, LEAD_SCORER_KIND);
    if (!record) return null;
    const model = record.artefact as ScorerModel;
    if (model.version !== SCORER_MODEL_VERSION) {
      throw new AppError('SCORER_VERSION', `the stored lead scorer is ${String(model.version)}; retrain with \`hubspot-ai train-scorer\``);
    }
    return { id: record.id, model };
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
