import type { AgentDeps } from '../../src/agents/agent-types.ts';
import { callSummaryAgent } from '../../src/agents/call-summary.ts';
import { runAgent } from '../../src/agents/runner.ts';
import { contentWords } from '../../src/agents/offline/sentences.ts';
import type { CallSummaryOutput } from '../../src/agents/schemas.ts';
import type { GroundTruth } from '../../src/sandbox/index.ts';

/**
 * Call-summary recall on the sandbox's labelled calls: a ground-truth item is found when ≥ 80% of its content
 * words appear in one extracted item (wording may differ: "I will send…" vs "send…").
 */

export function matches(truth: string, extracted: readonly string[]): boolean {
  const want = contentWords(truth);
  if (want.length === 0) return true;
  return extracted.some((e) => {
    const have = new Set(contentWords(e));
    return want.filter((w) => have.has(w)).length / want.length >= 0.8;
  });
}

export interface CallSummaryScores {
  calls: number;
  nextStepRecall: number;
  objectionRecall: number;
  competitorRecall: number;
  /** Extracted next steps that match no ground-truth step (a precision check). */
  nextStepPrecision: number;
  failures: number;
  outputs: Array<{ output: CallSummaryOutput; chunkIds: string[] }>;
}

export async function evaluateCallSummaries(deps: AgentDeps, truth: GroundTruth, opts: { limit: number }): Promise<CallSummaryScores> {
  const calls = truth.calls.filter((c) => c.companyId && c.nextSteps.length + c.objections.length + c.competitors.length > 0).slice(0, opts.limit);
  const tally = { steps: [0, 0], objections: [0, 0], competitors: [0, 0], precision: [0, 0] };
  let failures = 0;
  const outputs: CallSummaryScores['outputs'] = [];
  for (const [i, call] of calls.entries()) {
    try {
      const r = await runAgent(callSummaryAgent, deps, { portalId: truth.portalId, runId: `eval-${i}`, objectType: 'calls', objectId: call.id, accountId: call.companyId! });
      if (!r.output) continue;
      outputs.push({ output: r.output, chunkIds: r.trace.inputs.chunkIds });
      const steps = r.output.nextSteps.map((s) => s.text);
      const objections = [...r.output.objections, ...r.output.risks].map((o) => o.text);
      const competitors = r.output.competitors.map((c) => c.name);
      for (const s of call.nextSteps) tally.steps[matches(s, steps) ? 0 : 1]! += 1;
      for (const o of call.objections) tally.objections[matches(o, objections) ? 0 : 1]! += 1;
      for (const c of call.competitors) tally.competitors[competitors.includes(c) ? 0 : 1]! += 1;
      for (const s of steps) tally.precision[matches(s, call.nextSteps) || call.nextSteps.some((t) => matches(t, [s])) ? 0 : 1]! += 1;
    } catch {
      failures++;
    }
  }
  const rate = ([hit, miss]: number[]) => ((hit ?? 0) + (miss ?? 0) === 0 ? 1 : (hit ?? 0) / ((hit ?? 0) + (miss ?? 0)));
  return {
    calls: calls.length,
    nextStepRecall: rate(tally.steps),
    objectionRecall: rate(tally.objections),
    competitorRecall: rate(tally.competitors),
    nextStepPrecision: rate(tally.precision),
    failures,
    outputs,
  };
}
