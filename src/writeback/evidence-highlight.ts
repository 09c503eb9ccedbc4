/**
 * Finds the sentence of an evidence chunk that best supports a claim: the sentence sharing the most distinctive
 * words with the proposed value and the agent's rationale. The review page highlights it inside the chunk, so a
 * reviewer checks a claim by reading one sentence instead of a wall of text.
 */

const STOP = new Set(
  'the and for with that this from have has had was were are will would could should their there they them then than what when where which while who whom your you our ours about into over under after before also just very more most some such only other again been being both each few nor not off once same too can did does doing own out why how all any its it\'s let per via'.split(' '),
);

export function contentWords(text: string): Set<string> {
  const words = text.toLowerCase().match(/[\p{L}\p{N}][\p{L}\p{N}'’-]*/gu) ?? [];
  return new Set(words.map((w) => w.replace(/['’]s$/, '')).filter((w) => w.length >= 3 && !STOP.has(w)));
}

const segmenter = new Intl.Segmenter('en', { granularity: 'sentence' });

export interface Highlight {
  /** Character offsets of the supporting sentence in the chunk text. */
  start: number;
  end: number;
  /** Shared words (for tests and the tooltip). */
  matched: string[];
}

export function supportingSentence(chunkText: string, claim: string): Highlight | null {
  const wanted = contentWords(claim);
  if (wanted.size === 0 || !chunkText) return null;
  let best: Highlight | null = null;
  let bestScore = 0;
  for (const seg of segmenter.segment(chunkText)) {
    // Transcripts and e-mails put one utterance per line: a line is a sentence too.
    let offset = seg.index;
    for (const line of seg.segment.split('\n')) {
      const words = contentWords(line);
      const matched = [...words].filter((w) => wanted.has(w));
      // Favour sentences dense in shared words over long ones that share as many by chance.
      const score = matched.length + matched.length / Math.max(words.size, 1);
      if (matched.length > 0 && score > bestScore) {
        const lead = line.length - line.trimStart().length;
        best = { start: offset + lead, end: offset + line.trimEnd().length, matched };
        bestScore = score;
      }
      offset += line.length + 1;
    }
  }
  return best;
}
