import type { ReferencedChunk } from '../untrusted.ts';

/**
 * Splits chunk text into attributable sentences. Transcripts arrive as `[hh:mm:ss] Name (Company): text`
 * lines (or `Name: text` after normalization); the speaker matters because "I will send…" belongs to whoever
 * said it. E-mails and notes have no speaker. Header lines the chunker adds (`Call — title — date`) are kept
 * as ordinary sentences; they rarely match any cue.
 */

export interface Sentence {
  text: string;
  speaker: string | null;
  /** The chunk reference (`c3`) this sentence came from: its citation. */
  ref: string;
  chunkId: string;
  occurredAt: string;
}

const TURN = /^\s*(?:\[\d{1,2}:\d{2}(?::\d{2})?\]\s*)?([A-Z][\p{L}'.-]*(?:\s+[A-Z][\p{L}'.-]*){0,3})(?:\s*\(([^)]{1,80})\))?:\s+(.+)$/u;
const QUOTED = /^\s*>/;
const SIGNATURE = /^\s*--\s*$/;

export function splitSentences(text: string): string[] {
  return text
    .split(/(?<=[.!?])\s+(?=[A-Z0-9"'(])/u)
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

export function sentencesOf(chunk: ReferencedChunk): Sentence[] {
  const out: Sentence[] = [];
  for (const line of linesWithoutQuotes(chunk.text)) {
    const turn = TURN.exec(line);
    const speaker = turn ? (turn[1] ?? null) : null;
    const body = turn ? (turn[3] ?? '') : line;
    for (const s of splitSentences(body)) {
      out.push({ text: s, speaker, ref: chunk.ref, chunkId: chunk.id, occurredAt: chunk.occurredAt });
    }
  }
  return out;
}

/**
 * The sentences of one document's chunks in order, read once: consecutive chunks of a source overlap by a few
 * trailing lines (the chunker keeps a question with its answer), and a line read twice would turn a commitment
 * retracted in the next turn into two commitments, only one of them retracted.
 */
export function sentencesOfChunks(chunks: readonly ReferencedChunk[]): Sentence[] {
  const out: Sentence[] = [];
  let previous: { sourceId: string; lines: Set<string> } | null = null;
  for (const chunk of chunks) {
    const lines = linesWithoutQuotes(chunk.text);
    const seen = previous?.sourceId === chunk.sourceId ? previous.lines : new Set<string>();
    const fresh = lines.filter((l) => !seen.has(l.trim()));
    out.push(...sentencesOf({ ...chunk, text: fresh.join('\n') }));
    previous = { sourceId: chunk.sourceId, lines: new Set(lines.map((l) => l.trim())) };
  }
  return out;
}

/** Quoted replies repeat older messages (already indexed on their own) and signatures carry no content. */
function linesWithoutQuotes(text: string): string[] {
  const lines: string[] = [];
  for (const line of text.split('\n')) {
    if (SIGNATURE.test(line)) break;
    if (/^On .{6,120} wrote:\s*$/.test(line.trim())) break;
    if (QUOTED.test(line) || line.trim() === '') continue;
    lines.push(line);
  }
  return lines;
}

/** Lower-case word tokens, for overlap scores. */
export function words(text: string): string[] {
  return text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
}

const STOP = new Set(
  'a an and are as at be but by for from has have i in is it its of on or our that the their this to was we were will with you your us me my they them he she his her not do does did so if then than there here'.split(' '),
);

export function contentWords(text: string): string[] {
  return words(text).filter((w) => w.length > 2 && !STOP.has(w));
}

/** Normalized form for de-duplication. */
export function normalizeKey(text: string): string {
  return contentWords(text).join(' ');
}
