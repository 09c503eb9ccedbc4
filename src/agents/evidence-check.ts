import { contentWords } from './offline/sentences.ts';
import type { ReferencedChunk } from './untrusted.ts';

/**
 * Where the confidence of generated text comes from. A summary, a draft or a recommendation has no outcome to be
 * calibrated against, and the model is never asked for its own opinion; what code can check is whether each
 * statement is backed by the chunk it cites. A statement is supported when one of its cited chunks (chunks the
 * prompt showed; anything else was already dropped) contains at least `MIN_SHARE` of its content words. The
 * confidence of a text proposal is the share of its statements that are supported, so:
 *   - a draft copied from the history (the extractive provider) scores by what it actually found,
 *   - a model's paraphrase scores by how closely it sticks to its sources,
 *   - a summary that states nothing checkable scores 0 and goes to a person.
 * The same check applies to every provider: there is no per-provider ceiling.
 */

export const MIN_SHARE = 0.6;

/** A leading label our templates and models add ("Against: …", "From the account history: …"). */
const LABEL = /^\s*(?:[A-Z][\p{L}'-]*(?:\s+[\p{L}'-]+){0,4}):\s+/u;

export interface Statement {
  text: string;
  evidence: string[];
}

export class EvidenceCheck {
  private readonly words = new Map<string, Set<string>>();

  constructor(chunks: readonly Pick<ReferencedChunk, 'id' | 'text'>[]) {
    for (const c of chunks) this.words.set(c.id, new Set(contentWords(c.text)));
  }

  /** True when a cited chunk holds enough of the statement's content words (see the module comment). */
  supported(s: Statement): boolean {
    const claim = [...new Set(contentWords(s.text.replace(LABEL, '')))];
    if (claim.length === 0) return false;
    const need = Math.max(1, Math.ceil(claim.length * MIN_SHARE));
    return s.evidence.some((id) => {
      const chunk = this.words.get(id);
      if (!chunk) return false;
      let n = 0;
      for (const w of claim) if (chunk.has(w)) n++;
      return n >= need;
    });
  }

  /** Share of statements supported by their evidence, rounded to 0.01; 0 when there are none. */
  confidence(statements: readonly Statement[]): number {
    if (statements.length === 0) return 0;
    const ok = statements.filter((s) => this.supported(s)).length;
    return Math.round((ok / statements.length) * 100) / 100;
  }

  /** Chunk ids cited by supported statements only: what a reviewer is shown as the basis. */
  supportingEvidence(statements: readonly Statement[]): string[] {
    return [...new Set(statements.filter((s) => this.supported(s)).flatMap((s) => s.evidence))];
  }
}
