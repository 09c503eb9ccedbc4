/**
 * `npm run eval`: the product measured on sandbox portals whose ground truth it never saw while being tuned.
 *
 *   npm run eval -- --seed 7 --companies 300 --style test --embedder offline --json
 *   npm run eval -- --seeds 7,11,13 --style test          (mean ± spread over seeds)
 *
 * Per seed: starts the sandbox in-process in the requested text style, indexes it with the real backfill, then
 * measures retrieval as each agent does it (with query-free baselines beside it), offline call summaries against
 * every labelled call, similar accounts against a hidden need cluster (firmographics shown and hidden), the lead
 * scorer trained on other seeds' portals, and whether cited chunks support the claims. `--help` lists options.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { AgentDeps } from '../src/agents/agent-types.ts';
import { defaultRetrievalMode } from '../src/agents/agent-support.ts';
import { OfflineProvider } from '../src/agents/offline-provider.ts';
import type { AccountHistory } from '../src/core/objects.ts';
import type { KeyValueCache } from '../src/cache/kv.ts';
import { createCache } from '../src/cache/create-cache.ts';
import { createEmbedder } from '../src/ingest/create-embedder.ts';
import type { Embedder } from '../src/text/embedder.ts';
import { startSandbox } from '../src/sandbox/index.ts';
import { tempDir } from '../test/support/tmp.ts';
import { parseEvalArgs, USAGE, type EvalArgs } from './lib/eval-args.ts';
import { evaluateCallSummaries, rate } from './lib/eval-call-summary.ts';
import { evaluateGrounding, type Claim } from './lib/eval-grounding.ts';
import { renderReport, aggregate, type EvalReport } from './lib/eval-report.ts';
import type { MissRecord } from './lib/eval-misses.ts';
import { evaluateRetrieval, type ClaimSet } from './lib/eval-retrieval.ts';
import { evaluateScorer, reliabilitySvg } from './lib/eval-scorer.ts';
import { evaluateSimilar } from './lib/eval-similar.ts';
import { openEvalStack } from './lib/eval-stack.ts';
import { bootstrap, round, roundInterval } from './lib/eval-stats.ts';

/** The OpenAI-compatible embedder configured by OPENAI_BASE_URL / OPENAI_API_KEY / EMBEDDING_MODEL (vector size read from the server). */
function modelEmbedder(cache: KeyValueCache): Promise<Embedder> {
  return createEmbedder({
    provider: 'openai',
    model: process.env.EMBEDDING_MODEL ?? 'text-embedding-3-small',
    ...(process.env.EMBEDDING_DIMENSIONS ? { dimensions: Number(process.env.EMBEDDING_DIMENSIONS) } : {}),
    apiKey: process.env.OPENAI_API_KEY ?? 'none',
    ...(process.env.OPENAI_BASE_URL ? { baseURL: process.env.OPENAI_BASE_URL } : {}),
    timeoutMs: 600_000,
    cache,
  });
}

async function evalSeed(args: EvalArgs, seed: number, log: (m: string) => void): Promise<EvalReport> {
  const started = performance.now();
  const sandbox = await startSandbox({ port: 0, seed, companies: args.companies, style: args.style, rateLimit: 0, ...(args.whales !== undefined ? { whales: args.whales } : {}) });
  const tmp = tempDir('hsai-eval-');
  let kept: KeyValueCache | undefined;
  // The model's embeddings outlive the run when asked (the stack's own cache is in the temporary directory).
  const keptCache = async (cache: KeyValueCache): Promise<KeyValueCache> => {
    if (!args.embeddingCache) return cache;
    fs.mkdirSync(args.embeddingCache, { recursive: true });
    return (kept ??= await createCache({ dataDir: args.embeddingCache }));
  };
  const embedderOverCache = async (cache: KeyValueCache) => modelEmbedder(await keptCache(cache));
  try {
    log(`seed ${seed}: indexing ${args.companies} companies (${args.style} style, ${args.embedder} embedder)…`);
    const stack = await openEvalStack({
      baseUrl: sandbox.url,
      accessToken: sandbox.token,
      dataDir: tmp.dir,
      ...(args.embedder === 'openai' ? { concurrency: 2, embedder: embedderOverCache } : {}),
      // The scorer reads HubSpot only: a scorer-only run need not index the portal.
      ...([...args.sections].every((s) => s === 'scorer') ? { index: false } : {}),
    });
    const truth = sandbox.groundTruth();
    log(`seed ${seed}: ${stack.backfill.accounts} accounts, ${stack.backfill.chunks} chunks`);
    const histories = new Map<string, Promise<AccountHistory | undefined>>();
    const readHistory = (accountId: string) => {
      let h = histories.get(accountId);
      if (!h) histories.set(accountId, (h = stack.gateway.accountHistories([accountId]).then((r) => r[0])));
      return h;
    };
    const deps: AgentDeps = { gateway: stack.gateway, store: stack.store, embedder: stack.embedder, provider: new OfflineProvider(), readHistory };
    const productMode = defaultRetrievalMode(stack.embedder);
    const report: EvalReport = { seed, companies: args.companies, style: args.style, embedder: args.embedder, embeddingModel: stack.embedder.model, accounts: truth.accounts, chunks: stack.backfill.chunks, productRetrievalMode: productMode };
    const claimSets: Array<{ task: string; claims: Claim[] }> = [];

    if (args.sections.has('retrieval') || args.sections.has('grounding')) {
      log(`seed ${seed}: retrieval as the agents run it (${args.sections.has('retrieval') ? args.modes.join(', ') : productMode}) with baselines…`);
      const r = await evaluateRetrieval(deps, truth, {
        ...(args.maxQuestions ? { maxQuestions: args.maxQuestions } : {}),
        // Grounding alone needs only the product's own mode (its claims are what is graded).
        modes: args.sections.has('retrieval') ? args.modes : [productMode],
        groundingMode: productMode,
        ...(args.sections.has('grounding') ? { onClaims: (c: ClaimSet) => claimSets.push(c) } : {}),
        ...(args.misses ? { onMiss: (m: MissRecord) => fs.appendFileSync(args.misses!, `${JSON.stringify({ seed, style: args.style, embedder: stack.embedder.model, ...m })}\n`) } : {}),
        onProgress: log,
      });
      if (args.sections.has('retrieval')) report.retrieval = r;
    }
    if (args.sections.has('callSummary') || args.sections.has('grounding')) {
      log(`seed ${seed}: call summaries on every labelled call (offline provider)…`);
      const cs = await evaluateCallSummaries(deps, truth, { onProgress: (d, t) => d % 100 === 0 && log(`  ${d}/${t} calls`) });
      for (const o of cs.outputs) claimSets.push({ task: 'call_summary', claims: [...o.output.keyPoints, ...o.output.nextSteps, ...o.output.objections, ...o.output.risks] });
      if (args.sections.has('callSummary')) {
        const g = cs.grade;
        const pc = cs.perCall;
        const ratio = (num: (i: number) => number, den: (i: number) => number) => (idx: number[]) => {
          const d = idx.reduce((s, i) => s + den(i), 0);
          return d === 0 ? 1 : idx.reduce((s, i) => s + num(i), 0) / d;
        };
        report.callSummary = {
          calls: cs.calls,
          labelledNextSteps: g.nextSteps[1],
          nextStepRecall: round(rate(g.nextSteps)),
          nextStepRecallCi: roundInterval(bootstrap(pc.length, ratio((i) => pc[i]!.found, (i) => pc[i]!.labelled))),
          nextStepPrecision: round(rate(g.precision)),
          nextStepPrecisionCi: roundInterval(bootstrap(pc.length, ratio((i) => pc[i]!.correct, (i) => pc[i]!.extracted))),
          objectionRecall: round(rate(g.objections)),
          competitorRecall: round(rate(g.competitors)),
          ownerAccuracy: round(rate(g.owners)),
          distractorsListedAsNextSteps: round(rate(g.distractorsListed, 0)),
          recallByKind: Object.fromEntries(Object.entries(g.byKind).sort().map(([k, t]) => [k, `${t[0]}/${t[1]}`])),
          failures: cs.failures,
        };
      }
    }
    if (args.sections.has('grounding')) {
      const gr = await evaluateGrounding(stack.store, truth.portalId, claimSets);
      report.grounding = { supportedCitationShare: round(gr.supportedCitationShare), claims: gr.claims, supported: gr.supported, uncited: gr.uncited, byTask: gr.byTask };
    }
    if (args.sections.has('similar')) {
      log(`seed ${seed}: similar accounts by hidden need cluster…`);
      const other = args.similarEmbedder !== args.embedder;
      const embedder = other ? (args.similarEmbedder === 'openai' ? await embedderOverCache(stack.cache) : stack.embedder) : stack.embedder;
      const s = await evaluateSimilar({ store: stack.store, termStats: stack.termStats, embedder, portalId: truth.portalId, truth, readHistory, rebuildShown: other });
      report.similarEmbeddingModel = embedder.model;
      report.similar = {
        ...s,
        hiddenClusterP10: round(s.hiddenClusterP10),
        hiddenClusterP10Ci: roundInterval(s.hiddenClusterP10Ci),
        hiddenClusterP10NoFirmographics: round(s.hiddenClusterP10NoFirmographics),
        hiddenClusterP10NoFirmographicsCi: roundInterval(s.hiddenClusterP10NoFirmographicsCi),
        randomP10: round(s.randomP10),
        segmentP10: round(s.segmentP10),
        outcomeAuc: round(s.outcomeAuc),
        outcomeAucCi: roundInterval(s.outcomeAucCi),
        outcomeAucFirmographicLookalikes: round(s.outcomeAucFirmographicLookalikes),
        outcomeAucFirmographicLookalikesCi: roundInterval(s.outcomeAucFirmographicLookalikesCi),
        outcomeAucRandomNeighbours: round(s.outcomeAucRandomNeighbours),
        outcomeAucRandomNeighboursCi: roundInterval(s.outcomeAucRandomNeighboursCi),
        outcomeAucClusterCeiling: round(s.outcomeAucClusterCeiling),
        outcomeAucClusterCeilingCi: roundInterval(s.outcomeAucClusterCeilingCi),
      };
    }
    if (args.sections.has('scorer')) {
      const sc = await evaluateScorer(stack.gateway, truth, { trainSeeds: args.trainSeeds(seed), trainCompanies: args.trainCompanies, style: args.style, log });
      fs.mkdirSync(args.outDir, { recursive: true });
      const svg = path.join(args.outDir, `reliability-seed${seed}-${args.style}.svg`);
      fs.writeFileSync(svg, reliabilitySvg(sc.points, `Lead scorer reliability, seed ${seed} (${args.style}), ${sc.metrics.deals} held-out deals`));
      const m = sc.metrics;
      const top = sc.model.featureNames.map((n, i) => ({ n, w: sc.model.weights[i] ?? 0 })).sort((a, b) => Math.abs(b.w) - Math.abs(a.w)).slice(0, 4);
      report.scorer = {
        deals: m.deals,
        won: m.won,
        trainSeeds: sc.trainSeeds,
        trainDeals: sc.trainDeals,
        auc: round(m.auc),
        aucCi: roundInterval(m.aucCi),
        bayesAuc: round(m.bayesAuc),
        expectedBayesAuc: round(m.expectedBayesAuc),
        aucGap: round(m.aucGapToExpectedBayes),
        crmOnlyAuc: round(sc.crmOnlyAuc),
        crmOnlyAucCi: roundInterval(sc.crmOnlyAucCi),
        ece: round(m.ece),
        eceCi: roundInterval(m.eceCi),
        eceGoal: round(m.eceGoal),
        logLossGap: round(m.logLossGap),
        logLossGapCi: roundInterval(m.logLossGapCi, 4),
        logLoss: round(m.logLoss),
        trueLogLoss: round(m.trueLogLoss),
        brier: round(m.brier),
        strongestFeatures: top.map((f) => `${f.n} ${f.w >= 0 ? '+' : ''}${f.w.toFixed(2)}`),
        reliabilitySvg: svg,
      };
    }
    report.seconds = Math.round((performance.now() - started) / 1000);
    await stack.close();
    return report;
  } finally {
    await kept?.close();
    await sandbox.close();
    tmp.cleanup();
  }
}

async function main(): Promise<void> {
  let args: EvalArgs;
  try {
    args = parseEvalArgs(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n\n${USAGE}\n`);
    process.exit(2);
  }
  const t0 = performance.now();
  const log = (msg: string) => process.stderr.write(`[eval ${((performance.now() - t0) / 1000).toFixed(0)}s] ${msg}\n`);
  const reports: EvalReport[] = [];
  for (const seed of args.seeds) reports.push(await evalSeed(args, seed, log));
  const out = reports.length === 1 ? reports[0]! : aggregate(reports);
  process.stdout.write(args.json ? `${JSON.stringify(out, null, 2)}\n` : `${renderReport(out, reports)}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
