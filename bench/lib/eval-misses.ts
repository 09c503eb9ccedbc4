import type { AgentDeps } from '../../src/agents/agent-types.ts';
import { TASK_DEAL_FACETS } from '../../src/agents/deal-facets.ts';
import { HISTORY_SOURCE_TYPES } from '../../src/retrieval/context-builder.ts';
import { bestSentence, facetSearch, type Facet } from '../../src/retrieval/facet-search.ts';
import type { RetrievalMode } from '../../src/retrieval/hybrid-search.ts';
import type { ChunkPayload } from '../../src/retrieval/vector-store.ts';
import type { Evidence, EvidenceTask } from '../../src/sandbox/types.ts';

/**
 * One retrieval miss, written out so it can be read (`npm run eval -- --misses FILE`): where the fact's source
 * ranked in every mode, what the agent's context held above it, and, for each of the task's standing questions
 * (facets), where the fact ranked in that facet's own list, with the best-matching sentence and its cue weight.
 * The facet lists are searched again exactly as the context builder searches them (same queries, same mode), so a
 * reader sees which question should have found the fact and what took its slot.
 */
export interface MissRecord {
  task: EvidenceTask;
  mode: RetrievalMode;
  accountId: string;
  trigger: string | null;
  fact: string;
  sourceIds: string[];
  outdatedSourceIds: string[];
  /** Rank of the fact's first chunk in each mode's context (-1: not in it); K and above is a miss. */
  rank: Partial<Record<RetrievalMode, number>>;
  /** Candidate chunks of the account (history, trigger aside). */
  pool: number;
  relevant: Array<{ sourceId: string; sourceType: string; occurredAt: string; text: string }>;
  /** The mode's context (trigger aside), first entries, with each chunk's best sentence per facet. */
  context: Array<{ rank: number; sourceId: string; sourceType: string; occurredAt: string; snippet: string; outdated: boolean }>;
  facets: Array<{
    name: string;
    quota: number;
    /** Rank of the fact's source in the facet's full ranking (-1: not among its candidates). */
    rank: number;
    /** The fact chunk's best sentence for this facet and its cue weight (minCue: the answer threshold). */
    factSentence: string;
    factCue: number;
    minCue: number;
    /** What the facet ranked first (its slots, and everything above the fact when it ranked lower), with the rank of that source in the context (-1: not in it). */
    top: Array<{ sourceId: string; cue: number; sentence: string; inContext: number }>;
  }>;
}

/** The chunk's words without the indexer's header line (account, type, date, participants: the dump shows those apart). */
const snippet = (t: string, n = 160) =>
  t
    .split('\n')
    .filter((line) => !line.startsWith('Account: '))
    .join(' ')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, n);

export async function explainMiss(args: {
  deps: AgentDeps;
  task: EvidenceTask;
  mode: RetrievalMode;
  ev: Evidence;
  portalId: string;
  triggerSource: string | undefined;
  rank: Partial<Record<RetrievalMode, number>>;
  pool: ChunkPayload[];
  retrieved: ChunkPayload[];
  show?: number;
}): Promise<MissRecord> {
  const { deps, task, mode, ev, portalId } = args;
  const relevant = new Set(ev.sourceIds);
  const outdated = new Set(ev.outdatedSourceIds ?? []);
  const factChunks = args.pool.filter((c) => relevant.has(c.sourceId));
  const facets: Facet[] = TASK_DEAL_FACETS[task] ?? [];
  const exclude = new Set(args.triggerSource ? [args.triggerSource] : []);
  const facetRows: MissRecord['facets'] = [];
  for (const facet of facets) {
    const ranked = await facetSearch({
      store: deps.store,
      embedder: deps.embedder,
      portalId,
      accountId: ev.accountId,
      facet,
      k: 1000,
      excludeSourceIds: exclude,
      mode,
      filter: { sourceTypes: HISTORY_SOURCE_TYPES },
    });
    const best = factChunks.map((c) => bestSentence(facet, c.text)).sort((a, b) => b.score - a.score)[0] ?? { sentence: '', score: 0 };
    const rank = ranked.findIndex((h) => relevant.has(h.chunk.sourceId));
    const shown = Math.max(2, facet.quota ?? 1, rank >= 0 && rank < 8 ? rank + 1 : 0);
    facetRows.push({
      name: facet.name,
      quota: facet.quota ?? 1,
      rank,
      factSentence: snippet(best.sentence, 200),
      factCue: best.score,
      minCue: facet.minCue ?? 1,
      top: ranked.slice(0, shown).map((h) => {
        const b = bestSentence(facet, h.chunk.text);
        return { sourceId: h.chunk.sourceId, cue: b.score, sentence: snippet(b.sentence, 140), inContext: args.retrieved.findIndex((c) => c.sourceId === h.chunk.sourceId) };
      }),
    });
  }
  return {
    task,
    mode,
    accountId: ev.accountId,
    trigger: ev.trigger ?? null,
    fact: ev.fact,
    sourceIds: ev.sourceIds,
    outdatedSourceIds: ev.outdatedSourceIds ?? [],
    rank: args.rank,
    pool: args.pool.length,
    relevant: factChunks.map((c) => ({ sourceId: c.sourceId, sourceType: c.sourceType, occurredAt: c.occurredAt.slice(0, 10), text: snippet(c.text, 600) })),
    context: args.retrieved.slice(0, args.show ?? 10).map((c, i) => ({
      rank: i,
      sourceId: c.sourceId,
      sourceType: c.sourceType,
      occurredAt: c.occurredAt.slice(0, 10),
      snippet: snippet(c.text),
      outdated: outdated.has(c.sourceId),
    })),
    facets: facetRows,
  };
}
