import { Tiktoken } from 'js-tiktoken/lite';
import cl100kBase from 'js-tiktoken/ranks/cl100k_base';

/**
 * One cl100k_base encoder per process: the encoding of OpenAI's text-embedding-3-* models, so chunk sizes and
 * embedding batch limits are measured the way the provider bills them. The ranks ship inside js-tiktoken (no
 * download); building the encoder costs ~100 ms, so it is created on first use and kept.
 */
let encoder: Tiktoken | undefined;

export function getEncoder(): Tiktoken {
  encoder ??= new Tiktoken(cl100kBase);
  return encoder;
}

/**
 * Special-token strings (`<|endoftext|>`) inside CRM text are ordinary text to us; js-tiktoken throws on them by
 * default, so both lists are passed empty.
 */
export function encode(text: string): number[] {
  if (text === '') return [];
  const enc = getEncoder();
  if (text.length < LONG_RUN_CHARS) return enc.encode(text, [], []);
  // BPE merging in js-tiktoken is quadratic in the length of one pre-token, and cl100k makes any run of letters
  // one pre-token: 6,000 characters of unspaced Japanese take minutes. Long letter runs are therefore encoded in
  // 16-character pieces (the fastest size measured); the count can differ from the exact one by a token per
  // piece, well inside the chunker's and the batcher's margins, and decoding still gives back the text.
  const out: number[] = [];
  let last = 0;
  for (const m of text.matchAll(LONG_RUN)) {
    if (m.index > last) appendAll(out, enc.encode(text.slice(last, m.index), [], []));
    const chars = Array.from(m[0]);
    for (let i = 0; i < chars.length; i += 16) appendAll(out, enc.encode(chars.slice(i, i + 16).join(''), [], []));
    last = m.index + m[0].length;
  }
  if (last < text.length) appendAll(out, enc.encode(text.slice(last), [], []));
  return out;
}

const LONG_RUN_CHARS = 48;
const LONG_RUN = /\p{L}{48,}/gu;

function appendAll(target: number[], items: number[]): void {
  for (const item of items) target.push(item);
}

export function decode(tokens: number[]): string {
  return getEncoder().decode(tokens);
}

export function countTokens(text: string): number {
  return encode(text).length;
}

/** Cuts text to at most `maxTokens` tokens; returns it unchanged when it already fits. */
export function truncateToTokens(text: string, maxTokens: number): string {
  const tokens = encode(text);
  if (tokens.length <= maxTokens) return text;
  return decodeSafely(tokens.slice(0, Math.max(0, maxTokens)));
}

/**
 * Splits text into consecutive pieces of at most `maxTokens` tokens each, for text with no usable break
 * (a 10,000-character URL, unpunctuated CJK). Concatenated, the pieces give back the text.
 */
export function splitByTokens(text: string, maxTokens: number): string[] {
  const tokens = encode(text);
  if (tokens.length <= maxTokens) return text === '' ? [] : [text];
  const out: string[] = [];
  let start = 0;
  while (start < tokens.length) {
    let end = Math.min(tokens.length, start + maxTokens);
    // A multi-byte character can straddle two tokens: back off until the slice decodes cleanly.
    while (end < tokens.length && end > start + 1 && decode(tokens.slice(start, end)).endsWith('\uFFFD')) end -= 1;
    out.push(decode(tokens.slice(start, end)));
    start = end;
  }
  return out;
}

function decodeSafely(tokens: number[]): string {
  let text = decode(tokens);
  while (text.endsWith('\uFFFD') && tokens.length > 0) {
    tokens = tokens.slice(0, -1);
    text = decode(tokens);
  }
  return text;
}
