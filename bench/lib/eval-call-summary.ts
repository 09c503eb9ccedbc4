import type { AgentDeps } from '../../src/agents/agent-types.ts';
import { callSummaryAgent } from '../../src/agents/call-summary.ts';
import { runAgent } from '../../src/agents/runner.ts';
import type { CallSummaryOutput } from '../../src/agents/schemas.ts';
import type { CallLabels, CallTruth, GroundTruth } from '../../src/sandbox/types.ts';
import { termMatcher, type Matcher } from './grade-text.ts';

/**
 * Call summaries against the labelled calls: next-step recall and precision (an extracted next step that means
 * none of the labelled ones counts against precision, e.g. a negated or retracted action), objection and
 * competitor recall, owner accuracy, and recall per way of saying it (`original`, `two-turn`, `buyer-owned`…).
 * Every labelled call is run, not a sample.
 */

export type Tally = [hit: number, total: number];

export interface CallGrade {
  nextSteps: Tally;
  precision: Tally;
  objections: Tally;
  competitors: Tally;
  owners: Tally;
  /** Distractors (negated, retracted, past, hypothetical) that were listed as next steps. */
  distractorsListed: Tally;
  byKind: Record<string, Tally>;
}

export function emptyGrade(): CallGrade {
  return { nextSteps: [0, 0], precision: [0, 0], objections: [0, 0], competitors: [0, 0], owners: [0, 0], distractorsListed: [0, 0], byKind: {} };
}

const add = (t: Tally, hit: boolean) => {
  t[0] += hit ? 1 : 0;
  t[1] += 1;
};

async function anyMatch(match: Matcher, truth: { gist: string; terms: readonly string[] }, outputs: readonly string[]): Promise<boolean> {
  for (const o of outputs) if (await match(truth, o)) return true;
  return false;
}

function sameOwner(want: string, got: string | null): boolean {
  if (!got) return false;
  const w = want.toLowerCase();
  const g = got.toLowerCase();
  return w === g || w.split(' ')[0] === g.split(' ')[0];
}

/** Grades one summary against one call's labels, adding to `into`. Pure apart from the matcher. */
export async function gradeCall(labels: CallLabels, out: Pick<CallSummaryOutput, 'nextSteps' | 'objections' | 'risks' | 'competitors'>, into: CallGrade, match: Matcher = termMatcher): Promise<CallGrade> {
  const steps = out.nextSteps.map((s) => s.text);
  for (const l of labels.nextSteps) {
    const hits = [];
    for (const s of out.nextSteps) if (await match(l, s.text)) hits.push(s);
    add(into.nextSteps, hits.length > 0);
    add((into.byKind[l.kind] ??= [0, 0]), hits.length > 0);
    if (hits.length > 0 && l.owner && !l.ownerUnknowable) add(into.owners, hits.some((h) => sameOwner(l.owner!, h.owner)));
  }
  for (const s of steps) {
    let ok = false;
    for (const l of labels.nextSteps) if (await match(l, s)) ok = true;
    add(into.precision, ok);
  }
  for (const d of labels.distractors) add(into.distractorsListed, await anyMatch(match, d, steps));
  const concerns = [...out.objections, ...out.risks].map((o) => o.text);
  for (const o of labels.objections) add(into.objections, await anyMatch(match, o, concerns));
  const names = out.competitors.map((c) => c.name.toLowerCase());
  for (const c of labels.competitors) add(into.competitors, names.some((n) => n.includes(c.toLowerCase())));
  return into;
}

export const rate = ([hit, total]: Tally, empty = 1) => (total === 0 ? empty : hit / total);

export interface CallSummaryScores {
  calls: number;
  grade: CallGrade;
  /** Per call: [next steps found, labelled] — for bootstrap intervals over calls. */
  perCall: Array<{ found: number; labelled: number; correct: number; extracted: number }>;
  failures: number;
  outputs: Array<{ output: CallSummaryOutput; chunkIds: string[] }>;
}

export function accountOfCall(c: CallTruth): string | null {
  return c.companyId ?? (c.contactIds[0] ? `contact:${c.contactIds[0]}` : null);
}

export async function evaluateCallSummaries(deps: AgentDeps, truth: GroundTruth, opts: { match?: Matcher; onProgress?: (done: number, total: number) => void } = {}): Promise<CallSummaryScores> {
  const calls = truth.calls.filter((c) => accountOfCall(c) && c.labels.nextSteps.length + c.labels.objections.length + c.labels.competitors.length > 0);
  const grade = emptyGrade();
  const perCall: CallSummaryScores['perCall'] = [];
  const outputs: CallSummaryScores['outputs'] = [];
  let failures = 0;
  for (const [i, call] of calls.entries()) {
    try {
      const r = await runAgent(callSummaryAgent, deps, { portalId: truth.portalId, runId: `eval-call-${i}`, objectType: 'calls', objectId: call.id, accountId: accountOfCall(call)! });
      if (!r.output) continue;
      outputs.push({ output: r.output, chunkIds: r.trace.inputs.chunkIds });
      const one = await gradeCall(call.labels, r.output, emptyGrade(), opts.match);
      merge(grade, one);
      perCall.push({ found: one.nextSteps[0], labelled: one.nextSteps[1], correct: one.precision[0], extracted: one.precision[1] });
    } catch {
      failures++;
    }
    opts.onProgress?.(i + 1, calls.length);
  }
  return { calls: perCall.length, grade, perCall, failures, outputs };
}

export function merge(into: CallGrade, g: CallGrade): CallGrade {
  for (const k of ['nextSteps', 'precision', 'objections', 'competitors', 'owners', 'distractorsListed'] as const) {
    into[k][0] += g[k][0];
    into[k][1] += g[k][1];
  }
  for (const [kind, [h, t]] of Object.entries(g.byKind)) {
    const x = (into.byKind[kind] ??= [0, 0]);
    x[0] += h;
    x[1] += t;
  }
  return into;
}
