import { encode, decode } from '../../text/tokenizer.ts';

/**
 * Request planning for OpenAI embeddings. The API takes at most 2,048 inputs and 300,000 tokens per request and
 * 8,192 tokens per input; counting with the model's own encoding (cl100k_base for text-embedding-3-*) lets a
 * backfill send full requests instead of guessing a fixed batch size.
 */
export interface BatchLimits {
  maxInputs: number;
  maxTokens: number;
  maxInputTokens: number;
  /**
   * `estimate`: the model does not use cl100k, so counts are only an estimate: requests are bounded by
   * `maxInputs`, and an input is cut at `maxInputTokens` estimated tokens (CHARS_PER_TOKEN characters each, at a
   * word boundary), never sent whole for the server to spend seconds on text the model does not read.
   */
  counted?: 'cl100k' | 'estimate';
}

export const OPENAI_LIMITS: BatchLimits = { maxInputs: 2048, maxTokens: 300_000, maxInputTokens: 8191 };

export interface PlannedBatch {
  /** Positions of the batch's inputs in the caller's array. */
  indices: number[];
  inputs: string[];
  tokens: number;
}

export function planBatches(texts: string[], limits: BatchLimits = OPENAI_LIMITS): PlannedBatch[] {
  const batches: PlannedBatch[] = [];
  let current: PlannedBatch = { indices: [], inputs: [], tokens: 0 };
  const estimate = limits.counted === 'estimate';
  for (const [i, text] of texts.entries()) {
    const { input, tokens } = estimate ? estimatedInput(text, limits.maxInputTokens) : prepareInput(text, limits.maxInputTokens);
    if (current.inputs.length > 0 && (current.inputs.length >= limits.maxInputs || current.tokens + tokens > limits.maxTokens)) {
      batches.push(current);
      current = { indices: [], inputs: [], tokens: 0 };
    }
    current.indices.push(i);
    current.inputs.push(input);
    current.tokens += tokens;
  }
  if (current.inputs.length > 0) batches.push(current);
  return batches;
}

/** About four characters a token for English text with most subword tokenizers; never used for billing OpenAI. */
export const CHARS_PER_TOKEN = 4;

function estimateTokens(text: string): number {
  return Math.max(1, Math.ceil(text.length / CHARS_PER_TOKEN));
}

/**
 * An input for a model whose tokenizer we do not have, cut at about its token limit. A model with a 512-token
 * window reads ~2,000 characters of English; what lies beyond would only slow a CPU server down (the server
 * truncates or windows it anyway).
 */
function estimatedInput(text: string, maxInputTokens: number): { input: string; tokens: number } {
  if (text.trim() === '') return { input: ' ', tokens: 1 };
  const maxChars = maxInputTokens * CHARS_PER_TOKEN;
  if (text.length <= maxChars) return { input: text, tokens: estimateTokens(text) };
  const space = text.lastIndexOf(' ', maxChars);
  const input = text.slice(0, space > maxChars / 2 ? space : maxChars);
  return { input, tokens: estimateTokens(input) };
}

/**
 * Newlines are kept on purpose: they separate transcript turns and paragraphs, and current models do not need
 * them stripped. An empty input is rejected by the API, so it is sent as one space.
 */
function prepareInput(text: string, maxInputTokens: number): { input: string; tokens: number } {
  if (text.trim() === '') return { input: ' ', tokens: 1 };
  const tokens = encode(text);
  if (tokens.length <= maxInputTokens) return { input: text, tokens: tokens.length };
  let cut = tokens.slice(0, maxInputTokens);
  let input = decode(cut);
  while (input.endsWith('\uFFFD') && cut.length > 1) {
    cut = cut.slice(0, -1);
    input = decode(cut);
  }
  return { input, tokens: cut.length };
}
