import type { AccountFacts, AgentContext, ContextChunk, TimelineItem } from '../retrieval/context-builder.ts';
import { contentWords } from './offline/sentences.ts';
import { fenceChunks, fenceText, withRefs, type ReferencedChunk } from './untrusted.ts';

/**
 * Renders an AgentContext into prompt slots. Property values and timeline titles are third-party text too,
 * so they are fenced like the chunks.
 */

export function factLines(facts: AccountFacts): string[] {
  const lines: string[] = [];
  const props = (p: Record<string, string>) =>
    Object.entries(p)
      .map(([k, v]) => `${k}=${v.length > 160 ? `${v.slice(0, 160)}…` : v}`)
      .join('; ');
  if (facts.company) lines.push(`Company: ${facts.company.name}${facts.company.owner ? ` (owner ${facts.company.owner})` : ''}; ${props(facts.company.properties)}`);
  for (const d of facts.deals.slice(0, 8)) {
    lines.push(`Deal: ${d.name}; stage ${d.stage ?? 'unknown'}${d.pipeline ? ` in ${d.pipeline}` : ''}${d.owner ? `; owner ${d.owner}` : ''}; ${props(d.properties)}`);
  }
  for (const c of facts.contacts.slice(0, 10)) lines.push(`Contact: ${c.name}; ${props(c.properties)}`);
  if (facts.openTickets) lines.push(`Open tickets: ${facts.openTickets}`);
  return lines;
}

export function renderFacts(facts: AccountFacts): string {
  return fenceText(factLines(facts).join('\n') || '(no record facts)');
}

export function renderTimeline(items: TimelineItem[]): string {
  if (items.length === 0) return '(no activity)';
  return fenceText(items.map((t) => `${t.occurredAt.slice(0, 10)} ${t.type}${t.direction ? ` (${t.direction})` : ''}: ${t.title}`).join('\n'));
}

export interface PromptChunks {
  trigger: ReferencedChunk[];
  history: ReferencedChunk[];
  all: ReferencedChunk[];
}

/** References are assigned over trigger + history together so that `c1…cN` are unique in one prompt. */
export function referenceChunks(chunks: ContextChunk[]): PromptChunks {
  const all = withRefs(chunks);
  return { all, trigger: all.filter((_, i) => chunks[i]?.trigger), history: all.filter((_, i) => !chunks[i]?.trigger) };
}

export { fenceChunks };

/**
 * The standing questions of a B2B deal (the MEDDIC/BANT checklist): each is searched on its own so that the one
 * old e-mail stating the budget or the competing vendor reaches the context even in an account with thousands
 * of chunks.
 */
export const DEAL_FACETS = [
  'hard requirement the vendor must support',
  'approved budget for the project',
  'deadline go-live timeline',
  'also evaluating a competitor in parallel',
  'final sign-off authority decision maker',
];

export const TASK_FACETS: Record<string, string[]> = {
  call_summary: DEAL_FACETS,
  account_summary: [...DEAL_FACETS, 'issue escalation problem not working'],
  lead_score: DEAL_FACETS,
  reply_draft: [],
  enrichment: ['number of employees headcount staff', 'industry business sector company is a', 'technology stack tools they use run on', 'hiring expanding funding evaluating vendors replacing legacy system'],
};

/** Task terms plus the trigger's salient words: what retrieval looks for in the account's history. */
const TASK_TERMS: Record<string, string> = {
  call_summary: 'next steps concerns decision',
  reply_draft: 'question request requirement deadline budget pricing',
  account_summary: 'requirement budget deadline renewal risk concern issue escalation competitor evaluating decision sign-off authority',
  lead_score: 'budget approved timeline pricing demo pilot evaluating decision requirement sign-off',
  enrichment: 'employees headcount staff industry business company stack use run hiring expanding funding vendors legacy',
};

export function taskQuery(task: string, triggerText = '', maxTriggerWords = 16): string {
  const counts = new Map<string, number>();
  for (const w of contentWords(triggerText)) counts.set(w, (counts.get(w) ?? 0) + 1);
  const salient = [...counts.entries()]
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .slice(0, maxTriggerWords)
    .map(([w]) => w);
  return [TASK_TERMS[task] ?? '', ...salient].join(' ').trim();
}

export type { AgentContext };
