/**
 * `npm run eval`: the generation layer measured on the sandbox's ground truth, printed as one table.
 * Starts the sandbox in-process (seed 7, 300 companies, no rate limit), indexes it with the real backfill and
 * offline embedder, then measures retrieval per mode, offline call summaries, the lead scorer and grounding.
 */
import fs from 'node:fs';
import { pathToFileURL } from 'node:url';
import type { AgentDeps } from '../src/agents/agent-types.ts';
import type { AccountHistory } from '../src/core/objects.ts';
import { OfflineProvider } from '../src/agents/offline-provider.ts';
import { startSandbox } from '../src/sandbox/index.ts';
import { tempDir } from '../test/support/tmp.ts';
import { evaluateCallSummaries } from './lib/eval-call-summary.ts';
import { evaluateDraftsAndSummaries, GroundingTally } from './lib/eval-grounding.ts';
import { evaluateRetrievalByTask } from './lib/eval-retrieval.ts';
import { evaluateScorer } from './lib/eval-scorer.ts';
import { openEvalStack } from './lib/eval-stack.ts';
import { fmt, pass, renderTable } from './lib/eval-table.ts';

const GOALS = { recall: 0.9, nextSteps: 0.8, aucGap: 0.03, ece: 0.05 };

async function similarAccountsRow(store: AgentDeps['store'], portalId: string, truth: { companies: Array<{ id: string; segment: string }> }): Promise<string[] | null> {
  const file = new URL('./lib/similar-eval.ts', import.meta.url);
  if (!fs.existsSync(file)) return null;
  const mod = (await import(pathToFileURL(file.pathname).href)) as {
    evaluateSimilarAccounts?: (s: unknown, p: string, t: unknown) => Promise<{ precisionAt10: number; accounts: number }>;
  };
  if (!mod.evaluateSimilarAccounts) return null;
  const r = await mod.evaluateSimilarAccounts(store, portalId, truth);
  return ['similar accounts precision@10 (same segment)', fmt(r.precisionAt10), `${r.accounts} accounts`, '-', '-'];
}

async function main(): Promise<void> {
  const started = performance.now();
  const log = (msg: string) => process.stderr.write(`[eval ${((performance.now() - started) / 1000).toFixed(0)}s] ${msg}\n`);
  const sandbox = await startSandbox({ port: 0, seed: 7, companies: 300, rateLimit: 0 });
  const tmp = tempDir('hsai-eval-');
  try {
    log('indexing the sandbox portal (backfill, offline embedder)…');
    const stack = await openEvalStack({ baseUrl: sandbox.url, accessToken: sandbox.token, dataDir: tmp.dir });
    const truth = sandbox.groundTruth();
    log(`indexed ${stack.backfill.accounts} accounts, ${stack.backfill.chunks} chunks`);

    // The sandbox does not change during the eval: read each account's history once for all agents.
    const histories = new Map<string, Promise<AccountHistory | undefined>>();
    const readHistory = (accountId: string) => {
      let h = histories.get(accountId);
      if (!h) histories.set(accountId, (h = stack.gateway.accountHistories([accountId]).then((r) => r[0])));
      return h;
    };
    const deps: AgentDeps = { gateway: stack.gateway, store: stack.store, embedder: stack.embedder, provider: new OfflineProvider(), readHistory };
    const rows: string[][] = [];

    log('retrieval recall@8 per task and mode…');
    const retrieval = await evaluateRetrievalByTask(stack.store, stack.embedder, stack.portalId, truth);
    for (const t of retrieval) {
      const by = Object.fromEntries(t.scores.map((s) => [s.mode, s.recall]));
      const best = Math.max(by.dense ?? 0, by.bm25 ?? 0, by.hybrid ?? 0);
      rows.push([`retrieval recall@8: ${t.task} (${t.questions} q)`, `dense ${fmt(by.dense ?? 0)} | bm25 ${fmt(by.bm25 ?? 0)} | hybrid ${fmt(by.hybrid ?? 0)}`, `best ${fmt(best)}`, `≥ ${GOALS.recall}`, pass((by.hybrid ?? 0) >= GOALS.recall)]);
    }

    // A mode is kept only if it beats the simpler one (BM25 < dense < hybrid) by more than noise.
    const mean = (mode: string) => retrieval.reduce((s, t) => s + (t.scores.find((x) => x.mode === mode)?.recall ?? 0), 0) / Math.max(1, retrieval.length);
    const kept = mean('hybrid') > Math.max(mean('bm25'), mean('dense')) + 0.005 ? 'hybrid' : mean('dense') > mean('bm25') + 0.005 ? 'dense' : 'bm25';
    deps.retrievalMode = kept;
    rows.push(['retrieval mode kept (mean recall over tasks)', kept, `bm25 ${fmt(mean('bm25'))} dense ${fmt(mean('dense'))} hybrid ${fmt(mean('hybrid'))}`, 'beats simpler', '-']);

    log('lead scorer (5-fold, grouped by account)…');
    const sc = await evaluateScorer(stack.gateway, truth);
    rows.push([`lead score AUC (held out, ${sc.deals} deals, ${sc.won} won)`, fmt(sc.auc), `Bayes ${fmt(sc.bayesAucReported)} (same deals ${fmt(sc.bayesAucSameDeals)})`, `gap ≤ ${GOALS.aucGap}`, pass(sc.bayesAucReported - sc.auc <= GOALS.aucGap)]);
    rows.push(['lead score ECE (10 equal-mass bins)', fmt(sc.ece), `true pWin's ECE ${fmt(sc.bayesEceSameDeals)} (noise floor)`, `≤ ${GOALS.ece}`, pass(sc.ece <= GOALS.ece)]);
    rows.push(['lead score Brier (held out)', fmt(sc.brier), `train ${(sc.trainMs / 1000).toFixed(1)} s`, '-', '-']);

    log('offline call summaries…');
    const cs = await evaluateCallSummaries(deps, truth, { limit: 80 });
    rows.push([`call summary next-step recall (offline, ${cs.calls} calls)`, fmt(cs.nextStepRecall), `precision ${fmt(cs.nextStepPrecision)}`, `≥ ${GOALS.nextSteps}`, pass(cs.nextStepRecall >= GOALS.nextSteps)]);
    rows.push(['call summary objection recall (offline)', fmt(cs.objectionRecall), `competitors ${fmt(cs.competitorRecall)}`, '-', '-']);

    log('reply drafts and account summaries (offline)…');
    const g = await evaluateDraftsAndSummaries(deps, truth, { drafts: 30, summaries: 30 });
    const callTally = new GroundingTally();
    for (const o of cs.outputs) {
      const out = o.output;
      callTally.add([...out.keyPoints, ...out.nextSteps, ...out.objections, ...out.risks, ...out.competitors], o.chunkIds);
    }
    const calls = callTally.scores();
    for (const [name, s] of [['reply drafts', g.drafts], ['account summaries', g.summaries], ['call summaries', calls]] as const) {
      rows.push([`every claim cites a retrieved chunk: ${name}`, fmt(s.share), `${s.fullyGrounded}/${s.withClaims} with claims (${s.outputs} runs)`, '1.000', pass(s.share >= 0.999)]);
    }
    const failures = cs.failures + g.failures;

    const sim = await similarAccountsRow(stack.store, stack.portalId, truth).catch((err: unknown) => {
      log(`similar accounts eval failed: ${String(err)}`);
      return null;
    });
    if (sim) rows.push(sim);

    const final = sc.model;
    const strongest = final.featureNames.map((n, i) => ({ n, w: final.weights[i] ?? 0 })).sort((a, b) => Math.abs(b.w) - Math.abs(a.w)).slice(0, 4).map((f) => `${f.n} ${f.w >= 0 ? '+' : ''}${f.w.toFixed(2)}`).join(', ');

    process.stdout.write(`\nhubspot-ai eval: sandbox seed 7, ${truth.accounts} accounts, ${stack.backfill.chunks} chunks, offline embedder + offline provider\n\n`);
    process.stdout.write(`${renderTable(['metric', 'value', 'reference', 'goal', 'met'], rows)}\n\n`);
    process.stdout.write(`lead scorer strongest features (standardized weights): ${strongest}\n`);
    process.stdout.write(`agents run on the offline provider with retrieval mode ${kept} (the mode the eval kept)\n`);
    if (failures) process.stdout.write(`agent runs that failed: ${failures}\n`);
    process.stdout.write(`total ${((performance.now() - started) / 1000).toFixed(0)} s\n`);
    await stack.close();
  } finally {
    await sandbox.close();
    tmp.cleanup();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
