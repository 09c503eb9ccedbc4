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

/**
 * Across seeds, every numeric leaf becomes { mean, spread (sample standard deviation), min, max, seedCi }; seedCi is
 * the 95% Student-t interval of the mean over seeds (wide with three seeds: it is honest about how few draws there
 * are). Bootstrap intervals (keys ending in `Ci`, and `intervals.*`) become the mean of the per-seed bounds. Values
 * that differ between seeds and cannot be averaged (training seeds, file names) are listed per seed.
 */
function combine(values: Json[], key = ''): Json {
  const first = values[0];
  if (typeof first === 'number') {
    const xs = values.filter((v): v is number => typeof v === 'number');
    const m = mean(xs);
    const h = xs.length > 1 ? tQuantile975(xs.length - 1) * (std(xs) / Math.sqrt(xs.length)) : 0;
    return { mean: r4(m), spread: r4(std(xs)), min: Math.min(...xs), max: Math.max(...xs), seedCi: [r4(m - h), r4(m + h)] };
  }
  if (Array.isArray(first) && first.every((x) => typeof x === 'number')) {
    if (key.endsWith('Ci') || key === 'intervals') return first.map((_, i) => Math.round(mean(values.map((v) => ((v as number[])[i] ?? 0))) * 1000) / 1000);
    return sameJson(values) ? first : values;
  }
  if (first && typeof first === 'object' && !Array.isArray(first)) {
    const out: Record<string, Json> = {};
    for (const k of Object.keys(first)) out[k] = combine(values.map((v) => (v as Record<string, Json>)[k] ?? null), key === 'intervals' ? 'intervals' : k);
    return out;
  }
  return sameJson(values) ? (first ?? null) : values;
}

const r4 = (x: number) => Math.round(x * 10_000) / 10_000;
const sameJson = (values: Json[]) => values.every((v) => JSON.stringify(v) === JSON.stringify(values[0]));

/** Two-sided 95% quantile of Student's t with `df` degrees of freedom (table up to 10, then the normal's 1.96 bent by 1/df). */
export function tQuantile975(df: number): number {
  const table = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228];
  return df <= 10 ? table[Math.max(1, df) - 1]! : 1.96 + 2.4 / df;
}

export function aggregate(reports: EvalReport[]): Record<string, unknown> {
  const r0 = reports[0]!;
  const { seed: _s, seconds: _t, ...rest } = combine(reports as unknown as Json[]) as Record<string, Json>;
  return {
    seeds: reports.map((r) => r.seed),
    aggregation: 'per metric: mean, spread (sample standard deviation over seeds), min, max, seedCi (95% t-interval of the mean over seeds); bootstrap intervals (*Ci) are the mean of the per-seed bounds; perSeed holds every seed\'s own report',
    ...rest,
    companies: r0.companies,
    style: r0.style,
    embedder: r0.embedder,
    perSeed: reports,
  };
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
/** A count: itself for one seed, its mean per seed across seeds. */
const cnt = (v: unknown) => (typeof v === 'number' ? String(v) : num(v) === null ? '-' : `${Math.round(num(v)!)}/seed`);
const ci = (v: unknown) => (Array.isArray(v) && v.length === 2 ? ` [${Number(v[0]).toFixed(2)}–${Number(v[1]).toFixed(2)}]` : '');
const yes = (ok: boolean | null) => (ok === null ? '-' : ok ? 'yes' : 'NO');

export function renderReport(out: Record<string, unknown> | EvalReport, reports: EvalReport[]): string {
  const o = out as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  const rows: string[][] = [];
  const r = o.retrieval as Record<string, any> | undefined; // eslint-disable-line @typescript-eslint/no-explicit-any
  if (r) {
    for (const [task, t] of Object.entries(r)) {
      const best = Math.max(num(t.newestK) ?? 0, num(t.randomK) ?? 0, num(t.positionPrior) ?? 0);
      const h = num(t.hybrid);
      // A mode left out by --modes is null: "not run", never a zero.
      const mode = (m: string) => (t[m] === null ? `${m} not run` : `${m} ${f3(t[m])}`);
      rows.push([
        `retrieval recall@8 ${task} (${cnt(t.questions)} q)`,
        `${mode('hybrid')}${t.hybrid === null ? '' : ci(t.intervals?.hybrid)} · ${mode('bm25')} · ${mode('dense')}`,
        `newest ${f3(t.newestK)} · random ${f3(t.randomK)} · position ${f3(t.positionPrior)}`,
        '≥ 0.9 and best baseline + 0.15',
        yes(h === null ? null : h >= 0.9 && h >= best + 0.15),
      ]);
    }
  }
  const c = o.callSummary as Record<string, any> | undefined; // eslint-disable-line @typescript-eslint/no-explicit-any
  if (c) {
    rows.push([`next-step recall (${cnt(c.calls)} calls)`, `${f3(c.nextStepRecall)}${ci(c.nextStepRecallCi)}`, 'extractor returning nothing: 0', '≥ 0.7', yes((num(c.nextStepRecall) ?? 0) >= 0.7)]);
    rows.push(['next-step precision', `${f3(c.nextStepPrecision)}${ci(c.nextStepPrecisionCi)}`, `distractors listed ${f3(c.distractorsListedAsNextSteps)}`, '≥ 0.8', yes((num(c.nextStepPrecision) ?? 0) >= 0.8)]);
    rows.push(['objection recall', f3(c.objectionRecall), `competitors ${f3(c.competitorRecall)} · owners ${f3(c.ownerAccuracy)}`, '≥ 0.6', yes((num(c.objectionRecall) ?? 0) >= 0.6)]);
  }
  const s = o.similar as Record<string, any> | undefined; // eslint-disable-line @typescript-eslint/no-explicit-any
  if (s) {
    rows.push(['similar accounts hidden-cluster P@10, history only', `${f3(s.hiddenClusterP10NoFirmographics)}${ci(s.hiddenClusterP10NoFirmographicsCi)}`, `random ${f3(s.randomP10)}`, '≥ 0.8 (real model)', yes((num(s.hiddenClusterP10NoFirmographics) ?? 0) >= 0.8)]);
    rows.push(['similar accounts hidden-cluster P@10, firmographics shown', `${f3(s.hiddenClusterP10)}${ci(s.hiddenClusterP10Ci)}`, `same-segment P@10 ${f3(s.segmentP10)}`, '-', '-']);
    rows.push([`neighbours' outcomes predict own (AUC, ${cnt(s.outcomeAccounts)} accounts)`, `${f3(s.outcomeAuc)}${ci(s.outcomeAucCi)}`, `random neighbours ${f3(s.outcomeAucRandomNeighbours)}${ci(s.outcomeAucRandomNeighboursCi)} · look-alikes ${f3(s.outcomeAucFirmographicLookalikes)}${ci(s.outcomeAucFirmographicLookalikesCi)} · whole cluster (ceiling) ${f3(s.outcomeAucClusterCeiling)}${ci(s.outcomeAucClusterCeilingCi)}`, '-', '-']);
  }
  const sc = o.scorer as Record<string, any> | undefined; // eslint-disable-line @typescript-eslint/no-explicit-any
  if (sc) {
    const gap = num(sc.aucGap) ?? 1;
    rows.push([`lead scorer AUC (${cnt(sc.deals)} held-out deals)`, `${f3(sc.auc)}${ci(sc.aucCi)}`, `expected Bayes ${f3(sc.expectedBayesAuc)} (this draw ${f3(sc.bayesAuc)}) · CRM fields only ${f3(sc.crmOnlyAuc)} · constant 0.500`, 'gap ≤ 0.03', yes(gap <= 0.03)]);
    rows.push(['lead scorer ECE', `${f3(sc.ece)}${ci(sc.eceCi)}`, `a correct model stays under ${f3(sc.eceGoal)}`, `≤ ${f3(sc.eceGoal)}`, yes((num(sc.ece) ?? 1) <= (num(sc.eceGoal) ?? 0))]);
    rows.push(['lead scorer log-loss gap to the truth (nats/deal)', `${f3(sc.logLossGap)}${ci(sc.logLossGapCi)}`, `log-loss ${f3(sc.logLoss)} vs truth ${f3(sc.trueLogLoss)}`, '-', '-']);
  }
  const g = o.grounding as Record<string, any> | undefined; // eslint-disable-line @typescript-eslint/no-explicit-any
  if (g) rows.push([`claims supported by a cited chunk (${cnt(g.claims)})`, f3(g.supportedCitationShare), `uncited ${cnt(g.uncited)}`, '≥ 0.95', yes((num(g.supportedCitationShare) ?? 0) >= 0.95)]);
  const seeds = reports.map((x) => x.seed).join(', ');
  const head = `hubspot-ai eval: seed${reports.length > 1 ? 's' : ''} ${seeds}, ${o.companies} companies, ${o.style} style, ${o.embedder} embedder (${reports[0]?.embeddingModel ?? ''}), offline provider; agents retrieve with ${reports[0]?.productRetrievalMode ?? ''}${reports.length > 1 ? '; mean ± spread over seeds' : ''}`;
  const extra: string[] = [];
  if (c?.recallByKind && reports.length === 1) extra.push(`next-step recall by way of saying it: ${Object.entries(c.recallByKind).map(([k, v]) => `${k} ${String(v)}`).join(', ')}`);
  if (sc?.reliabilitySvg && reports.length === 1) extra.push(`reliability diagram: ${String(sc.reliabilitySvg)}; scorer trained on seeds ${String(sc.trainSeeds)} (${String(sc.trainDeals)} deals); strongest features: ${(sc.strongestFeatures as string[]).join(', ')}`);
  if (reports.length > 1) extra.push('per seed (95% bootstrap interval of each seed\'s own figure):', perSeedTable(reports), '');
  extra.push(`total ${reports.reduce((t, x) => t + (x.seconds ?? 0), 0)} s`);
  const valueHead = reports.length > 1 ? 'mean ± sd over seeds [mean 95% interval]' : 'value [95% interval]';
  return [head, '', renderTable(['metric', valueHead, 'baselines / reference', 'goal', 'met'], rows), '', ...extra].join('\n');
}

/** One row per seed with the headline figures of the sections that ran, so a spread can be traced to its seed. */
export function perSeedTable(reports: EvalReport[]): string {
  type Col = [string, (r: EvalReport) => string];
  const cols: Col[] = [['seed', (r) => String(r.seed)], ['accounts', (r) => String(r.accounts)]];
  const g = (r: EvalReport, section: keyof EvalReport, key: string) => (r[section] as Record<string, any> | undefined)?.[key]; // eslint-disable-line @typescript-eslint/no-explicit-any
  const has = (section: keyof EvalReport) => reports.some((r) => r[section] !== undefined);
  if (has('retrieval')) {
    for (const task of Object.keys(reports[0]!.retrieval ?? {})) {
      // Hybrid is the mode the goal names; when --modes left it out, the first mode that ran.
      const ran = (g(reports[0]!, 'retrieval', task)?.modes as string[] | undefined) ?? ['hybrid'];
      const m = ran.includes('hybrid') ? 'hybrid' : (ran[0] ?? 'hybrid');
      cols.push([`${task} ${m} (best baseline)`, (r) => {
        const t = g(r, 'retrieval', task);
        return t ? `${f3(t[m])} (${f3(Math.max(t.newestK ?? 0, t.randomK ?? 0, t.positionPrior ?? 0))})` : '-';
      }]);
    }
  }
  if (has('callSummary')) {
    cols.push(['next-step R · P', (r) => `${f3(g(r, 'callSummary', 'nextStepRecall'))} · ${f3(g(r, 'callSummary', 'nextStepPrecision'))}`]);
    cols.push(['objection R', (r) => f3(g(r, 'callSummary', 'objectionRecall'))]);
  }
  if (has('similar')) cols.push(['similar P@10 history (random)', (r) => `${f3(g(r, 'similar', 'hiddenClusterP10NoFirmographics'))}${ci(g(r, 'similar', 'hiddenClusterP10NoFirmographicsCi'))} (${f3(g(r, 'similar', 'randomP10'))})`]);
  if (has('scorer')) {
    cols.push(['scorer AUC (CRM only)', (r) => `${f3(g(r, 'scorer', 'auc'))}${ci(g(r, 'scorer', 'aucCi'))} (${f3(g(r, 'scorer', 'crmOnlyAuc'))})`]);
    cols.push(['exp. Bayes · gap', (r) => `${f3(g(r, 'scorer', 'expectedBayesAuc'))} · ${f3(g(r, 'scorer', 'aucGap'))}`]);
    cols.push(['ECE (goal)', (r) => `${f3(g(r, 'scorer', 'ece'))} (${f3(g(r, 'scorer', 'eceGoal'))})`]);
  }
  if (has('grounding')) cols.push(['grounded', (r) => f3(g(r, 'grounding', 'supportedCitationShare'))]);
  return renderTable(cols.map((c) => c[0]), reports.map((r) => cols.map((c) => c[1](r))));
}
