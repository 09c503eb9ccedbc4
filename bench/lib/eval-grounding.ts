import type { VectorStore } from '../../src/retrieval/vector-store.ts';
import { supports } from './grade-text.ts';

/**
 * Grounding that can fail: a claim counts as supported only when one of the chunks it cites supports it (its
 * numbers and most of its content words are in that chunk: `supports` in grade-text.ts). A claim that cites
 * nothing, or only chunks that do not say it, is unsupported. Citations to chunks that were not in the prompt
 * never reach this point: the agents drop them.
 */

export interface Claim {
  text: string;
  evidence: string[];
}

export interface GroundingScores {
  claims: number;
  supported: number;
  /** Claims that cite no chunk at all. */
  uncited: number;
  supportedCitationShare: number;
  byTask: Record<string, { claims: number; supported: number }>;
}

/** Pure grading over chunk texts by id. */
export function gradeClaims(sets: Array<{ task: string; claims: Claim[] }>, textOf: (chunkId: string) => string | undefined): GroundingScores {
  const byTask: GroundingScores['byTask'] = {};
  let claims = 0;
  let supported = 0;
  let uncited = 0;
  for (const set of sets) {
    const t = (byTask[set.task] ??= { claims: 0, supported: 0 });
    for (const c of set.claims) {
      claims++;
      t.claims++;
      if (c.evidence.length === 0) uncited++;
      const ok = c.evidence.some((id) => {
        const text = textOf(id);
        return text !== undefined && supports(c.text, text);
      });
      if (ok) {
        supported++;
        t.supported++;
      }
    }
  }
  return { claims, supported, uncited, supportedCitationShare: claims ? supported / claims : 1, byTask };
}

export async function evaluateGrounding(store: VectorStore, portalId: string, sets: Array<{ task: string; claims: Claim[] }>): Promise<GroundingScores> {
  const ids = [...new Set(sets.flatMap((s) => s.claims.flatMap((c) => c.evidence)))];
  const texts = new Map<string, string>();
  for (let i = 0; i < ids.length; i += 500) for (const c of await store.getChunks(portalId, ids.slice(i, i + 500))) texts.set(c.id, c.text);
  return gradeClaims(sets, (id) => texts.get(id));
}
