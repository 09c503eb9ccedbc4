import { countTokens as cl100kTokens } from '../text/tokenizer.ts';
import type { ChunkHit } from './vector-store.ts';

export interface PackedContext {
  /** The hits that fit, in rank order; each chunk keeps its id, which is the citation agents must quote. */
  hits: Array<ChunkHit & { tokens: number }>;
  tokens: number;
  /** Chunk ids that were relevant but did not fit. */
  omitted: string[];
}

/**
 * Packs hits into a token budget, best first. A chunk that does not fit is skipped (not cut: a truncated chunk
 * would be cited for text the model never saw), and smaller ones further down may still fill the rest.
 * `perChunkOverhead` accounts for the citation header the prompt puts around each chunk.
 */
export function packToBudget(
  hits: ChunkHit[],
  maxTokens: number,
  opts: { countTokens?: (text: string) => number; perChunkOverhead?: number } = {},
): PackedContext {
  const count = opts.countTokens ?? cl100kTokens;
  const overhead = opts.perChunkOverhead ?? 12;
  const packed: PackedContext = { hits: [], tokens: 0, omitted: [] };
  for (const hit of hits) {
    const tokens = count(hit.chunk.text) + overhead;
    if (packed.tokens + tokens > maxTokens) {
      packed.omitted.push(hit.chunk.id);
      continue;
    }
    packed.hits.push({ ...hit, tokens });
    packed.tokens += tokens;
  }
  return packed;
}
