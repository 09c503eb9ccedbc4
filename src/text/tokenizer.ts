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
 * Special-token strings (`<|endoftext|>`) inside CRM text are ordinary text to us: they are encoded like any
 * other text, never as the special token (js-tiktoken's `encode(text, [], [])`).
 */
export function encode(text: string): number[] {
  const out: number[] = [];
  encodeText(text, (tokens) => {
    for (const t of tokens) out.push(t);
  });
  return out;
}

/**
 * Calls `emit` with the tokens of each piece of the text, in order. (The chunker only counts, far more often than
 * it encodes: counting sums the pieces' lengths without building the token array.)
 */
function encodeText(text: string, emit: (tokens: readonly number[]) => void): void {
  if (text === '') return;
  if (text.length < LONG_RUN_CHARS || !mayHaveLongRun(text)) {
    encodeInto(emit, text);
    return;
  }
  // BPE merging in js-tiktoken is quadratic in the length of one pre-token, and cl100k makes any run of letters
  // one pre-token: 6,000 characters of unspaced Japanese take minutes. Long letter runs are therefore encoded in
  // 16-character pieces (the fastest size measured); the count can differ from the exact one by a token per
  // piece, well inside the chunker's and the batcher's margins, and decoding still gives back the text.
  let last = 0;
  for (const m of text.matchAll(LONG_RUN)) {
    if (m.index > last) encodeInto(emit, text.slice(last, m.index));
    const chars = Array.from(m[0]);
    for (let i = 0; i < chars.length; i += 16) encodeInto(emit, chars.slice(i, i + 16).join(''));
    last = m.index + m[0].length;
  }
  if (last < text.length) encodeInto(emit, text.slice(last));
}

/**
 * False when the text cannot hold a run of LONG_RUN_CHARS letters: every letter is an ASCII letter or a code
 * unit above 127, so a run needs that many such code units in a row. One plain scan instead of the Unicode
 * regex (with its look-behind) over every long text, most of which is spaced prose.
 */
function mayHaveLongRun(text: string): boolean {
  let run = 0;
  for (let i = 0; i < text.length; i += 1) {
    const c = text.charCodeAt(i);
    if (c > 127 || (c >= 97 && c <= 122) || (c >= 65 && c <= 90)) {
      run += 1;
      if (run >= LONG_RUN_CHARS) return true;
    } else {
      run = 0;
    }
  }
  return false;
}

/**
 * What `getEncoder().encode(text, [], [])` returns, handed to `emit` pre-token by pre-token. BPE never merges across cl100k's
 * pre-tokens (the matches of its split pattern), so the encoding of a text is the concatenation of its
 * pre-tokens' encodings, and each pre-token encoded alone gives the same tokens. CRM text repeats the same
 * words, names and header fragments endlessly, while js-tiktoken pays a UTF-8 encode, a string key build and
 * a map lookup (or a BPE merge) per pre-token per call: remembering pre-token encodings makes the chunker's
 * repeated counting (piece counts, then the exact count of every rendered chunk) mostly regex matching.
 */
function encodeInto(emit: (tokens: readonly number[]) => void, text: string): void {
  const enc = getEncoder();
  splitPattern ??= new RegExp(cl100kBase.pat_str, 'gu');
  splitPattern.lastIndex = 0;
  for (let m = splitPattern.exec(text); m !== null; m = splitPattern.exec(text)) {
    const piece = m[0];
    let tokens = pieceCache.get(piece);
    if (tokens === undefined) {
      tokens = enc.encode(piece, [], []);
      if (piece.length <= MAX_CACHED_PIECE_CHARS) {
        // Bounded: a pathological stream of unique pre-tokens (ids, hashes) starts the cache over.
        if (pieceCache.size >= MAX_CACHED_PIECES) pieceCache.clear();
        pieceCache.set(piece, tokens);
      }
    }
    emit(tokens);
  }
}

/** The split pattern never matches the empty string (every alternative consumes a character), so `exec` advances. */
let splitPattern: RegExp | undefined;
const pieceCache = new Map<string, readonly number[]>();
const MAX_CACHED_PIECES = 200_000;
const MAX_CACHED_PIECE_CHARS = 64;

const LONG_RUN_CHARS = 48;
// Only tried where a letter run starts: the plain pattern re-scans every run from each of its letters, which
// costs more than the encoding itself on long texts. It finds the same runs.
const LONG_RUN = /(?<!\p{L})\p{L}{48,}/gu;

export function decode(tokens: number[]): string {
  return getEncoder().decode(tokens);
}

export function countTokens(text: string): number {
  let n = 0;
  encodeText(text, (tokens) => {
    n += tokens.length;
  });
  return n;
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
