import type { AccountHistory } from '../core/objects.ts';
import type { ChunkDraft } from '../text/chunker.ts';
import { digestHistory, type HistoryDigest } from '../retrieval/account-profile.ts';
import { replyRulesInUse } from '../text/normalize/reply-text.ts';
import { DraftMemo, draftsOfHistory } from './draft-memo.ts';
import { embedTerms, lexicalTerms } from './embedders/offline-hash-embedder.ts';

/**
 * A work-pool thread (see work-pool.ts). It runs exactly the code the main thread would run, so where the work
 * ran never changes a chunk or a vector. (Imports stay static: under tsx a worker thread resolves TypeScript
 * through the CommonJS hooks only, so a dynamic import of a .ts module would fail there.)
 */
export type WorkTask =
  | { kind: 'drafts'; history: AccountHistory }
  | { kind: 'embed'; texts: string[]; dimensions: number }
  | { kind: 'fast-paths' };

/** An account's chunk drafts, and its profile's history digest over those chunks (what the indexer would compute). */
export interface DraftsResult {
  drafts: ChunkDraft[];
  profile: HistoryDigest;
}

/** Which of the fast paths with a library fallback a thread runs (the results are the same either way). */
export interface FastPaths {
  replyRules: boolean;
}

export type WorkResult = DraftsResult | { packed: Float32Array; tokens: number } | FastPaths;

// Each thread keeps its own memo: a re-sent document may miss it on another thread, which only costs time.
const memo = new DraftMemo();

export default function work(task: WorkTask): WorkResult {
  switch (task.kind) {
    case 'drafts': {
      const drafts = draftsOfHistory(task.history, memo);
      // The indexer keeps one chunk per (source, index), the first: the profile reads the same set.
      const seen = new Set<string>();
      const kept = drafts.filter((d) => {
        const key = `${d.sourceId}#${d.chunkIndex}`;
        if (seen.has(key)) return false;
        seen.add(key);
        return true;
      });
      return { drafts, profile: digestHistory(task.history, kept) };
    }
    case 'embed': {
      const packed = new Float32Array(task.texts.length * task.dimensions);
      let tokens = 0;
      task.texts.forEach((text, i) => {
        const terms = lexicalTerms(text);
        tokens += terms.length;
        packed.set(embedTerms(terms, task.dimensions), i * task.dimensions);
      });
      return { packed, tokens };
    }
    case 'fast-paths':
      return { replyRules: replyRulesInUse() };
    default: {
      const never: never = task;
      throw new Error(`unknown work task ${JSON.stringify(never)}`);
    }
  }
}
