import { countTokens, splitByTokens } from '../tokenizer.ts';

/**
 * Breaking prose into pieces that fit a token budget, at the best boundary available: paragraphs, then sentences
 * (Intl.Segmenter, which knows 。 and ¿…? as well as full stops), then raw token windows for text with no breaks
 * at all. Pieces carry the separator that preceded them so the chunker can put the text back together unchanged.
 */
export interface TextPiece {
  text: string;
  tokens: number;
  /** What joins this piece to the previous one inside a chunk. */
  separator: string;
}

let sentenceSegmenter: Intl.Segmenter | undefined;

export function splitSentences(text: string): string[] {
  sentenceSegmenter ??= new Intl.Segmenter('und', { granularity: 'sentence' });
  return Array.from(sentenceSegmenter.segment(text), (s) => s.segment).filter((s) => s.trim() !== '');
}

/** Paragraph pieces; a paragraph above `splitAbove` tokens becomes sentence pieces, each at most `maxTokens`. */
export function splitProse(text: string, splitAbove: number, maxTokens: number): TextPiece[] {
  const out: TextPiece[] = [];
  for (const paragraph of text.split(/\n{2,}/)) {
    if (paragraph.trim() === '') continue;
    const tokens = countTokens(paragraph);
    if (tokens <= splitAbove) {
      out.push({ text: paragraph, tokens, separator: '\n\n' });
      continue;
    }
    let first = true;
    for (const piece of splitLong(paragraph, maxTokens)) {
      out.push({ ...piece, separator: first ? '\n\n' : '' });
      first = false;
    }
  }
  return out;
}

/** Sentences (trailing whitespace kept, so joining with '' restores the text), token windows as a last resort. */
export function splitLong(text: string, maxTokens: number): Array<{ text: string; tokens: number }> {
  const out: Array<{ text: string; tokens: number }> = [];
  for (const sentence of splitSentences(text)) {
    const tokens = countTokens(sentence);
    if (tokens <= maxTokens) out.push({ text: sentence, tokens });
    else for (const window of splitByTokens(sentence, maxTokens)) out.push({ text: window, tokens: countTokens(window) });
  }
  return out;
}
