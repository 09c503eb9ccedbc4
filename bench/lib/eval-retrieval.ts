import { accountSummaryAgent } from '../../src/agents/account-summary.ts';
import type { AgentDeps, AgentTrigger } from '../../src/agents/agent-types.ts';
import { callSummaryAgent } from '../../src/agents/call-summary.ts';
import { leadScoreAgent } from '../../src/agents/lead-score.ts';
import { replyDraftAgent } from '../../src/agents/reply-draft.ts';
import { runAgent } from '../../src/agents/runner.ts';
import { parseAccountId } from '../../src/core/objects.ts';
import { HISTORY_SOURCE_TYPES } from '../../src/retrieval/context-builder.ts';
import type { RetrievalMode } from '../../src/retrieval/hybrid-search.ts';
import type { ChunkPayload, VectorStore } from '../../src/retrieval/vector-store.ts';
import type { Evidence, EvidenceTask, GroundTruth } from '../../src/sandbox/types.ts';
import { explainMiss, type MissRecord } from './eval-misses.ts';
import { mean, meanInterval, round, roundInterval, type Interval } from './eval-stats.ts';

/**
 * Retrieval as the agents do it: each agent runs on its real trigger (the call, the incoming e-mail, the account)
 * with its own queries (task terms, the trigger's words, the standing deal questions), and the question is whether
 * the source holding the fact the task needs is among the first K chunks the agent retrieved (the trigger's own
 * chunks aside). Facts sit at random points of the history, and some have an outdated near-duplicate.
 *
 * Beside every figure, baselines that use no query at all, over the same candidate chunks:
 *   newestK        the K newest chunks;
 *   randomK        K chunks at random (the exact expectation, not a draw);
 *   positionPrior  the K chunks whose recency rank is where the *other* questions' facts sat most often
 *                  (leave-one-out): if facts sat at fixed positions, this baseline would find them.
 */

export const K = 8;
export const MODES: RetrievalMode[] = ['hybrid', 'bm25', 'dense'];
export const TASKS: EvidenceTask[] = ['call_summary', 'reply_draft', 'account_summary', 'lead_score'];

export interface ClaimSet {
  task: EvidenceTask;
  claims: Array<{ text: string; evidence: string[] }>;
}

interface Question {
  ev: Evidence;
  /** Per mode: rank (0-based, trigger chunks excluded) of the first relevant chunk, or -1. */
  rank: Partial<Record<RetrievalMode, number>>;
  inContext: Partial<Record<RetrievalMode, boolean>>;
  outdatedFirst: Partial<Record<RetrievalMode, boolean>>;
  newest: boolean;
  random: number;
  /** Relative recency of the relevant chunk (0 newest … 1 oldest), for the position prior. */
  position: number;
  pool: Array<{ sourceId: string; recency: number }>;
}

/**
 * One agent's figures. A mode that was not run (`--modes`) is `null` in every place it would appear (`hybrid`,
 * `intervals.hybrid`, `inContext.hybrid`, `outdatedFirst.hybrid`): the keys are always there, so a reader tells
 * "not measured" from a measured zero. `modes` lists the modes that ran.
 */
export interface TaskRetrieval {
  questions: number;
  modes: RetrievalMode[];
  hybrid: number | null;
  bm25: number | null;
  dense: number | null;
  newestK: number;
  randomK: number;
  positionPrior: number;
  intervals: Record<RetrievalMode, Interval | null> & Record<'newestK' | 'positionPrior', Interval>;
  /** Share of questions whose fact is anywhere in the agent's context (all chunks it was shown). */
  inContext: Record<RetrievalMode, number | null>;
  /** Of the questions with an outdated near-duplicate: share where the outdated source ranked above the current one. */
  outdatedFirst: Record<RetrievalMode, number | null> | null;
  failures: number;
}

function triggerOf(ev: Evidence, task: EvidenceTask): AgentTrigger | null {
  const base = { portalId: '', runId: '', accountId: ev.accountId };
  if (task === 'call_summary' || task === 'reply_draft') {
    if (!ev.trigger) return null;
    const [type, id] = ev.trigger.split(':') as [string, string];
    return { ...base, objectType: type as AgentTrigger['objectType'], objectId: id };
  }
  const { type, id } = parseAccountId(ev.accountId);
  return { ...base, objectType: type, objectId: id };
}

async function runTask(deps: AgentDeps, task: EvidenceTask, trigger: AgentTrigger): Promise<{ chunkIds: string[]; claims: ClaimSet['claims'] }> {
  switch (task) {
    case 'call_summary': {
      const r = await runAgent(callSummaryAgent, deps, trigger);
      const o = r.output;
      return { chunkIds: r.trace.inputs.chunkIds, claims: o ? [...o.keyPoints, ...o.nextSteps, ...o.objections, ...o.risks, ...o.competitors.map((c) => ({ text: c.name, evidence: c.evidence }))] : [] };
    }
    case 'reply_draft': {
      const r = await runAgent(replyDraftAgent, deps, trigger);
      return { chunkIds: r.trace.inputs.chunkIds, claims: r.output?.claims ?? [] };
    }
    case 'account_summary': {
      const r = await runAgent(accountSummaryAgent, deps, trigger);
      return { chunkIds: r.trace.inputs.chunkIds, claims: r.output ? [...r.output.highlights, ...r.output.churnReasons] : [] };
    }
    case 'lead_score': {
      const r = await runAgent(leadScoreAgent, deps, trigger);
      return { chunkIds: r.trace.inputs.chunkIds, claims: r.output?.reasons ?? [] };
    }
  }
}

export async function evaluateRetrieval(
  deps: AgentDeps,
  truth: GroundTruth,
  opts: {
    maxQuestions?: number;
    /** The modes each agent runs in (default: all of MODES); the grounding mode runs whenever claims are asked for. */
    modes?: RetrievalMode[];
    groundingMode: RetrievalMode;
    onClaims?: (c: ClaimSet) => void;
    onProgress?: (msg: string) => void;
    /** What is graded: the chunks each agent run retrieved (default: the product's agents themselves). */
    retrieve?: (deps: AgentDeps, task: EvidenceTask, trigger: AgentTrigger) => Promise<{ chunkIds: string[]; claims: ClaimSet['claims'] }>;
    /** Every question the product's mode (`groundingMode`) misses, explained (`--misses FILE`). */
    onMiss?: (m: MissRecord) => void;
  },
): Promise<Record<EvidenceTask, TaskRetrieval>> {
  const retrieve = opts.retrieve ?? runTask;
  const asked = opts.modes ?? MODES;
  const modes = MODES.filter((m) => asked.includes(m) || (opts.onClaims && m === opts.groundingMode));
  const store: VectorStore = deps.store;
  const portalId = truth.portalId;
  const pools = new Map<string, Promise<ChunkPayload[]>>();
  const poolOf = (accountId: string) => {
    let p = pools.get(accountId);
    if (!p) {
      p = store.listChunkKeys(portalId, accountId).then((keys) => store.getChunks(portalId, keys.map((k) => k.id)));
      pools.set(accountId, p);
    }
    return p;
  };
  // The candidates are what the agents search (the history, not the record chunks whose fields they see as facts).
  const evidenceTypes = new Set<string>(HISTORY_SOURCE_TYPES);
  const out = {} as Record<EvidenceTask, TaskRetrieval>;

  for (const task of TASKS) {
    const all = truth.evidence.filter((e) => e.task === task);
    const evs = opts.maxQuestions ? all.slice(0, opts.maxQuestions) : all;
    // One agent run per trigger answers every question that shares it (an account summary, all its facts).
    const groups = new Map<string, Evidence[]>();
    for (const ev of evs) {
      const t = triggerOf(ev, task);
      if (!t) continue;
      const key = `${t.objectType}:${t.objectId}@${ev.accountId}`;
      groups.set(key, [...(groups.get(key) ?? []), ev]);
    }
    const questions: Question[] = [];
    let failures = 0;
    let done = 0;
    for (const group of groups.values()) {
      const ev0 = group[0]!;
      const trigger = { ...triggerOf(ev0, task)!, portalId };
      const triggerSource = task === 'call_summary' || task === 'reply_draft' ? ev0.trigger : undefined;
      const pool = (await poolOf(ev0.accountId))
        .filter((c) => evidenceTypes.has(c.sourceType) && c.sourceId !== triggerSource)
        .sort((a, b) => b.occurredAt.localeCompare(a.occurredAt) || a.id.localeCompare(b.id));
      const qs: Question[] = group.map((ev) => {
        const relevant = new Set(ev.sourceIds);
        const idx = pool.findIndex((c) => relevant.has(c.sourceId));
        const r = pool.filter((c) => relevant.has(c.sourceId)).length;
        return {
          ev,
          rank: {},
          inContext: {},
          outdatedFirst: {},
          newest: pool.slice(0, K).some((c) => relevant.has(c.sourceId)),
          random: expectedRandomHit(pool.length, r, K),
          position: idx < 0 ? 1 : idx / Math.max(1, pool.length - 1),
          pool: pool.map((c, i) => ({ sourceId: c.sourceId, recency: i / Math.max(1, pool.length - 1) })),
        };
      });
      const retrievedBy = new Map<RetrievalMode, ChunkPayload[]>();
      for (const mode of modes) {
        try {
          const { chunkIds, claims } = await retrieve({ ...deps, retrievalMode: mode }, task, { ...trigger, runId: `eval-${task}-${mode}-${done}` });
          if (mode === opts.groundingMode) opts.onClaims?.({ task, claims });
          const chunks = await store.getChunks(portalId, chunkIds);
          const byId = new Map(chunks.map((c) => [c.id, c]));
          const retrieved = chunkIds.map((id) => byId.get(id)).filter((c): c is ChunkPayload => Boolean(c) && c!.sourceId !== triggerSource);
          retrievedBy.set(mode, retrieved);
          for (const q of qs) {
            const relevant = new Set(q.ev.sourceIds);
            q.rank[mode] = retrieved.findIndex((c) => relevant.has(c.sourceId));
            q.inContext[mode] = q.rank[mode] >= 0;
            if (q.ev.outdatedSourceIds?.length) {
              const old = retrieved.findIndex((c) => q.ev.outdatedSourceIds!.includes(c.sourceId));
              q.outdatedFirst[mode] = old >= 0 && (q.rank[mode] < 0 || old < q.rank[mode]);
            }
          }
        } catch {
          failures++;
          for (const q of qs) q.rank[mode] = -1;
        }
      }
      const missMode = opts.groundingMode;
      const retrievedHere = retrievedBy.get(missMode);
      if (opts.onMiss && retrievedHere) {
        for (const q of qs) {
          const r = q.rank[missMode] ?? -1;
          if (r >= 0 && r < K) continue;
          const pool = (await poolOf(ev0.accountId)).filter((c) => evidenceTypes.has(c.sourceType) && c.sourceId !== triggerSource);
          opts.onMiss(await explainMiss({ deps: { ...deps, retrievalMode: missMode }, task, mode: missMode, ev: q.ev, portalId, triggerSource, rank: q.rank, pool, retrieved: retrievedHere }));
        }
      }
      questions.push(...qs);
      done++;
      if (done % 50 === 0) opts.onProgress?.(`${task}: ${done}/${groups.size} runs`);
    }
    out[task] = summarize(questions, failures, modes);
  }
  return out;
}

/** P(at least one of r relevant chunks among k drawn without replacement from n). */
export function expectedRandomHit(n: number, r: number, k: number): number {
  if (r === 0) return 0;
  if (k >= n) return 1;
  let miss = 1;
  for (let i = 0; i < k; i++) miss *= (n - r - i) / (n - i);
  return 1 - Math.max(0, miss);
}

const DECILES = 10;
const decile = (x: number) => Math.min(DECILES - 1, Math.floor(x * DECILES));

/** Position-prior hits: the prior of question i comes from every other question's fact position. */
export function positionPriorHits(questions: Array<Pick<Question, 'ev' | 'position' | 'pool'>>): boolean[] {
  const counts = new Array<number>(DECILES).fill(0);
  for (const q of questions) counts[decile(q.position)]! += 1;
  return questions.map((q) => {
    const prior = counts.slice();
    prior[decile(q.position)]! -= 1;
    const relevant = new Set(q.ev.sourceIds);
    const ranked = q.pool.map((c, i) => ({ c, i, p: prior[decile(c.recency)]! })).sort((a, b) => b.p - a.p || a.i - b.i);
    return ranked.slice(0, K).some((x) => relevant.has(x.c.sourceId));
  });
}

function summarize(qs: Question[], failures: number, modes: RetrievalMode[] = MODES): TaskRetrieval {
  const hits = (mode: RetrievalMode) => qs.map((q) => ((q.rank[mode] ?? -1) >= 0 && q.rank[mode]! < K ? 1 : 0));
  const newest = qs.map((q) => (q.newest ? 1 : 0));
  const prior = positionPriorHits(qs).map((h) => (h ? 1 : 0));
  const withOld = qs.filter((q) => q.ev.outdatedSourceIds?.length);
  const m = (xs: number[]) => round(mean(xs));
  const ci = (xs: number[]) => roundInterval(meanInterval(xs));
  const perMode = <T>(f: (mode: RetrievalMode) => T) => Object.fromEntries(MODES.map((mode) => [mode, modes.includes(mode) ? f(mode) : null])) as Record<RetrievalMode, T | null>;
  const recall = perMode((mode) => m(hits(mode)));
  return {
    questions: qs.length,
    modes,
    hybrid: recall.hybrid,
    bm25: recall.bm25,
    dense: recall.dense,
    newestK: m(newest),
    randomK: m(qs.map((q) => q.random)),
    positionPrior: m(prior),
    intervals: { ...perMode((mode) => ci(hits(mode))), newestK: ci(newest), positionPrior: ci(prior) },
    inContext: perMode((mode) => m(qs.map((q) => (q.inContext[mode] ? 1 : 0)))),
    outdatedFirst: withOld.length ? perMode((mode) => m(withOld.map((q) => (q.outdatedFirst[mode] ? 1 : 0)))) : null,
    failures,
  };
}
