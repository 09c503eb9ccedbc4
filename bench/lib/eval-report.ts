import { mean, std } from './eval-stats.ts';
import { renderTable } from './eval-table.ts';

/** The eval's JSON (one seed) and its table; several seeds aggregate to mean ± spread. */

export interface EvalReport {
  seed: number;
  companies: number;
  style: string;
  embedder: string;
  embeddingModel: string;
  accounts: number;
  chunks: number;
  productRetrievalMode: string;
  similarEmbeddingModel?: string;
  retrieval?: Record<string, unknown>;
  callSummary?: Record<string, unknown>;
  similar?: Record<string, unknown>;
  scorer?: Record<string, unknown>;
  grounding?: Record<string, unknown>;
  seconds?: number;
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** Mean and sample standard deviation of every numeric leaf (intervals: their bounds' means). */
function combine(values: Json[]): Json {
  const first = values[0];
  if (typeof first === 'number') {
    const xs = values.filter((v): v is number => typeof v === 'number');
    return { mean: Math.round(mean(xs) * 10_000) / 10_000, spread: Math.round(std(xs) * 10_000) / 10_000, min: Math.min(...xs), max: Math.max(...xs) };
  }
  if (Array.isArray(first) && first.every((x) => typeof x === 'number')) {
    return first.map((_, i) => Math.round(mean(values.map((v) => ((v as number[])[i] ?? 0))) * 1000) / 1000);
  }
  if (first && typeof first === 'object' && !Array.isArray(first)) {
    const out: Record<string, Json> = {};
    for (const k of Object.keys(first)) out[k] = combine(values.map((v) => (v as Record<string, Json>)[k] ?? null));
    return out;
  }
  return first ?? null;
}

export function aggregate(reports: EvalReport[]): Record<string, unknown> {
  const r0 = reports[0]!;
  const { seed: _s, seconds: _t, ...rest } = combine(reports as unknown as Json[]) as Record<string, Json>;
  return { seeds: reports.map((r) => r.seed), ...rest, companies: r0.companies, style: r0.style, embedder: r0.embedder, perSeed: reports };
}

const num = (v: unknown): number | null => (typeof v === 'number' ? v : v && typeof v === 'object' && 'mean' in v ? ((v as { mean: number }).mean ?? null) : null);
const f3 = (v: unknown) => {
  if (typeof v === 'number') return v.toFixed(3);
  if (v && typeof v === 'object' && 'mean' in v) {
    const a = v as unknown as { mean: number; spread: number };
    return `${a.mean.toFixed(3)} ± ${a.spread.toFixed(3)}`;
  }
  return '-';
};
const ci = (v: unknown) => (Array.isArray(v) && v.length === 2 ? ` [${Number(v[0]).toFixed(2)}–${Number(v[1]).toFixed(2)}]` : '');
const yes = (ok: boolean | null) => (ok === null ? '-' : ok ? 'yes' : 'NO');

export function renderReport(out: Record<string, unknown> | EvalReport, reports: EvalReport[]): string {
  const o = out as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  const rows: string[][] = [];
  const r = o.retrieval as Record<string, any> | undefined; // eslint-disable-line @typescript-eslint/no-explicit-any
  if (r) {
    for (const [task, t] of Object.entries(r)) {
      const best = Math.max(num(t.newestK) ?? 0, num(t.randomK) ?? 0, num(t.positionPrior) ?? 0);
      const h = num(t.hybrid) ?? 0;
      rows.push([
        `retrieval recall@8 ${task} (${f3(t.questions).replace(/\.000/, '')} q)`,
        `hybrid ${f3(t.hybrid)}${ci(t.intervals?.hybrid)} · bm25 ${f3(t.bm25)} · dense ${f3(t.dense)}`,
        `newest ${f3(t.newestK)} · random ${f3(t.randomK)} · position ${f3(t.positionPrior)}`,
        '≥ 0.9 and best baseline + 0.15',
        yes(h >= 0.9 && h >= best + 0.15),
      ]);
    }
  }
  const c = o.callSummary as Record<string, any> | undefined; // eslint-disable-line @typescript-eslint/no-explicit-any
  if (c) {
    rows.push([`next-step recall (${f3(c.calls).replace(/\.000/, '')} calls)`, `${f3(c.nextStepRecall)}${ci(c.nextStepRecallCi)}`, 'extractor returning nothing: 0', '≥ 0.7', yes((num(c.nextStepRecall) ?? 0) >= 0.7)]);
    rows.push(['next-step precision', `${f3(c.nextStepPrecision)}${ci(c.nextStepPrecisionCi)}`, `distractors listed ${f3(c.distractorsListedAsNextSteps)}`, '≥ 0.8', yes((num(c.nextStepPrecision) ?? 0) >= 0.8)]);
    rows.push(['objection recall', f3(c.objectionRecall), `competitors ${f3(c.competitorRecall)} · owners ${f3(c.ownerAccuracy)}`, '≥ 0.6', yes((num(c.objectionRecall) ?? 0) >= 0.6)]);
  }
  const s = o.similar as Record<string, any> | undefined; // eslint-disable-line @typescript-eslint/no-explicit-any
  if (s) {
    rows.push(['similar accounts hidden-cluster P@10, history only', `${f3(s.hiddenClusterP10NoFirmographics)}${ci(s.hiddenClusterP10NoFirmographicsCi)}`, `random ${f3(s.randomP10)}`, '≥ 0.8 (real model)', yes((num(s.hiddenClusterP10NoFirmographics) ?? 0) >= 0.8)]);
    rows.push(['similar accounts hidden-cluster P@10, firmographics shown', `${f3(s.hiddenClusterP10)}${ci(s.hiddenClusterP10Ci)}`, `same-segment P@10 ${f3(s.segmentP10)}`, '-', '-']);
    rows.push(['neighbours\' outcomes predict own (AUC)', f3(s.outcomeAuc), `firmographic look-alikes ${f3(s.outcomeAucFirmographicLookalikes)}`, '-', '-']);
  }
  const sc = o.scorer as Record<string, any> | undefined; // eslint-disable-line @typescript-eslint/no-explicit-any
  if (sc) {
    const gap = num(sc.aucGap) ?? 1;
    rows.push([`lead scorer AUC (${f3(sc.deals).replace(/\.000/, '')} held-out deals)`, `${f3(sc.auc)}${ci(sc.aucCi)}`, `expected Bayes ${f3(sc.expectedBayesAuc)} (this draw ${f3(sc.bayesAuc)})`, 'gap ≤ 0.03', yes(gap <= 0.03)]);
    rows.push(['lead scorer ECE', `${f3(sc.ece)}${ci(sc.eceCi)}`, `a correct model stays under ${f3(sc.eceGoal)}`, `≤ ${f3(sc.eceGoal)}`, yes((num(sc.ece) ?? 1) <= (num(sc.eceGoal) ?? 0))]);
    rows.push(['lead scorer log-loss gap to the truth (nats/deal)', `${f3(sc.logLossGap)}${ci(sc.logLossGapCi)}`, `log-loss ${f3(sc.logLoss)} vs truth ${f3(sc.trueLogLoss)}`, '-', '-']);
  }
  const g = o.grounding as Record<string, any> | undefined; // eslint-disable-line @typescript-eslint/no-explicit-any
  if (g) rows.push([`claims supported by a cited chunk (${f3(g.claims).replace(/\.000/, '')})`, f3(g.supportedCitationShare), `uncited ${f3(g.uncited).replace(/\.000/, '')}`, '≥ 0.95', yes((num(g.supportedCitationShare) ?? 0) >= 0.95)]);
  const seeds = reports.map((x) => x.seed).join(', ');
  const head = `hubspot-ai eval: seed${reports.length > 1 ? 's' : ''} ${seeds}, ${o.companies} companies, ${o.style} style, ${o.embedder} embedder (${reports[0]?.embeddingModel ?? ''}), offline provider; agents retrieve with ${reports[0]?.productRetrievalMode ?? ''}${reports.length > 1 ? '; mean ± spread over seeds' : ''}`;
  const extra: string[] = [];
  if (c?.recallByKind && reports.length === 1) extra.push(`next-step recall by way of saying it: ${Object.entries(c.recallByKind).map(([k, v]) => `${k} ${String(v)}`).join(', ')}`);
  if (sc?.reliabilitySvg && reports.length === 1) extra.push(`reliability diagram: ${String(sc.reliabilitySvg)}; scorer trained on seeds ${String(sc.trainSeeds)} (${String(sc.trainDeals)} deals); strongest features: ${(sc.strongestFeatures as string[]).join(', ')}`);
  extra.push(`total ${reports.reduce((t, x) => t + (x.seconds ?? 0), 0)} s`);
  return [head, '', renderTable(['metric', 'value [95% interval]', 'baselines / reference', 'goal', 'met'], rows), '', ...extra].join('\n');
}
