import OpenAI from 'openai';
import { ConfigError } from '../../errors.ts';
import { silentLogger, type Logger } from '../../logging.ts';
import { ContainerMetrics } from '../../metrics.ts';
import type { EmbedRole, Embedder, EmbeddingResult } from '../../text/embedder.ts';
import { embeddingModelProfile, roleTag, withPrefix, type EmbeddingModelProfile, type ProfileOverrides } from '../../text/embedding-models.ts';
import { EmbeddingError } from './embedding-error.ts';
import { toEmbeddingError } from './openai-errors.ts';
import { DEFAULT_RETRY, withRetries, type RetryPolicy } from './retry.ts';
import { OPENAI_LIMITS, planBatches, type BatchLimits } from './token-batches.ts';

/** USD per 1M input tokens (OpenAI list prices); unknown models (local servers) are not costed. */
const PRICE_PER_MILLION: Record<string, number> = {
  'text-embedding-3-small': 0.02,
  'text-embedding-3-large': 0.13,
  'text-embedding-ada-002': 0.1,
};

export interface OpenAIEmbedderOptions {
  model: string;
  /** Unset: the model's known size, else read from the server by `probeDimensions()` before the first use. */
  dimensions?: number;
  /** Prefixes and batch size instead of the model's known ones (EMBEDDING_QUERY_PREFIX, …). */
  profile?: ProfileOverrides;
  apiKey?: string;
  /** Any OpenAI-compatible server (Ollama, vLLM, TEI, the test server): `http://host:port/v1`. */
  baseURL?: string;
  timeoutMs?: number;
  /** Retries after the first attempt of each request. */
  maxRetries?: number;
  retry?: Partial<RetryPolicy>;
  limits?: Partial<BatchLimits>;
  logger?: Logger;
  /** The container's metrics (tokens, cost); default a fresh set of this embedder's own. */
  metrics?: ContainerMetrics;
}

/**
 * Embeddings through the official `openai` SDK against OpenAI or any compatible server. Requests are planned by
 * tokens (see token-batches.ts) and sent one after another, which keeps a backfill under the provider's token
 * rate limit without a second limiter; the retry loop honours 429 Retry-After.
 *
 * Other models than OpenAI's get their query/document prefixes (embedding-models.ts), batches of the size that
 * suits a local server, and token counts from the server's `usage` (cl100k is not their tokenizer: without
 * `usage`, the count is an estimate and says so in the metrics' `counted` label).
 *
 * Why the `openai` SDK here and not LangChain's `OpenAIEmbeddings` (chat models do go through LangChain): it
 * sends a fixed 512 inputs per request with no regard to the 300k-token request limit or the 8,192 tokens per
 * input, strips newlines by default (flattening a transcript's speaker turns), sends no `input_type` for the
 * query/document prefixes a local e5 server applies, reports no token usage, and its retries ignore Retry-After.
 */
export class OpenAIEmbedder implements Embedder {
  readonly provider = 'openai' as const;
  readonly model: string;
  readonly profile: EmbeddingModelProfile;
  private dims: number | undefined;
  private readonly configuredDimensions: number | undefined;
  private readonly client: OpenAI;
  private readonly policy: RetryPolicy;
  private readonly limits: BatchLimits;
  private readonly logger: Logger;
  /** Only the text-embedding-3 family accepts `dimensions`; other models have a fixed size we verify instead. */
  private readonly sendDimensions: boolean;
  private readonly metrics: ContainerMetrics;

  constructor(opts: OpenAIEmbedderOptions) {
    this.metrics = opts.metrics ?? new ContainerMetrics();
    this.model = opts.model;
    this.profile = embeddingModelProfile(opts.model, opts.profile);
    this.configuredDimensions = opts.dimensions;
    this.dims = opts.dimensions ?? this.profile.dimensions;
    this.client = new OpenAI({
      // Local servers need no key, but the SDK refuses to start without one.
      apiKey: opts.apiKey ?? 'unused',
      ...(opts.baseURL ? { baseURL: opts.baseURL } : {}),
      timeout: opts.timeoutMs ?? 60_000,
      maxRetries: 0,
    });
    this.policy = { ...DEFAULT_RETRY, ...(opts.maxRetries !== undefined ? { maxRetries: opts.maxRetries } : {}), ...opts.retry };
    this.limits = {
      ...OPENAI_LIMITS,
      ...(this.profile.tokenizer === 'cl100k' ? {} : { maxInputs: this.profile.batchSize, maxInputTokens: this.profile.maxInputTokens, counted: 'estimate' as const }),
      ...(opts.profile?.batchSize !== undefined ? { maxInputs: opts.profile.batchSize } : {}),
      ...opts.limits,
    };
    this.logger = opts.logger ?? silentLogger;
    this.sendDimensions = /^text-embedding-3-/.test(opts.model) && opts.dimensions !== undefined;
  }

  /** The vector size: configured, known for the model, or read from the server by `probeDimensions()`. */
  get dimensions(): number {
    if (this.dims === undefined) throw new EmbeddingError('MODEL_BAD_RESPONSE', `The size of ${this.model}'s vectors is not known yet: call probeDimensions() first`);
    return this.dims;
  }

  /**
   * Embeds one short text to learn the size of the server's vectors. A configured EMBEDDING_DIMENSIONS that the
   * server does not produce is refused here, at start, naming both numbers, instead of on the first insert.
   */
  async probeDimensions(): Promise<number> {
    const expected = this.dims;
    this.dims = undefined;
    let got: number;
    try {
      const { vectors } = await withRetries(() => this.request([withPrefix(this.profile, 'document', 'dimension probe')], 'document'), this.policy, {
        logger: this.logger,
        what: `embeddings (${this.model})`,
      });
      got = vectors[0]!.length;
    } finally {
      this.dims = expected;
    }
    if (this.configuredDimensions !== undefined && got !== this.configuredDimensions) {
      throw new ConfigError([
        `EMBEDDING_DIMENSIONS: is ${this.configuredDimensions} but ${this.model} returns ${got}-dimensional vectors (set EMBEDDING_DIMENSIONS=${got}, or unset it to use the server's size)`,
      ]);
    }
    this.dims = got;
    return got;
  }

  cacheTag(role: EmbedRole): string {
    return roleTag(this.profile, role);
  }

  async embed(texts: string[], role: EmbedRole = 'document'): Promise<EmbeddingResult> {
    const vectors = new Array<Float32Array>(texts.length);
    let tokens = 0;
    const prepared = texts.map((t) => withPrefix(this.profile, role, t));
    for (const batch of planBatches(prepared, this.limits)) {
      const result = await withRetries(() => this.request(batch.inputs, role), this.policy, { logger: this.logger, what: `embeddings (${this.model})` });
      for (const [j, index] of batch.indices.entries()) vectors[index] = result.vectors[j]!;
      // Servers that report no usage are counted by us: exact for cl100k models, an estimate for any other.
      const used = result.usage ?? batch.tokens;
      tokens += used;
      const counted = result.usage !== undefined ? 'server' : this.limits.counted === 'estimate' ? 'estimate' : 'cl100k';
      this.metrics.embeddingTokens.inc({ model: this.model, counted }, used);
      const price = PRICE_PER_MILLION[this.model];
      if (price !== undefined) this.metrics.costUsd.inc({ kind: 'embedding', model: this.model }, (used * price) / 1_000_000);
    }
    return { vectors, tokens, cacheHits: 0 };
  }

  private async request(inputs: string[], role: EmbedRole): Promise<{ vectors: Float32Array[]; usage: number | undefined }> {
    let response: OpenAI.CreateEmbeddingResponse;
    try {
      const body: OpenAI.EmbeddingCreateParams & { input_type?: string } = {
        model: this.model,
        input: inputs,
        // Asked for explicitly and decoded here: compatible servers that ignore it and send floats still work.
        encoding_format: 'base64',
        ...(this.sendDimensions && this.configuredDimensions !== undefined ? { dimensions: this.configuredDimensions } : {}),
        // Not an OpenAI parameter (OpenAI would refuse it): only for servers known to apply prefixes from it.
        ...(this.profile.sendsInputType ? { input_type: role } : {}),
      };
      response = await this.client.embeddings.create(body);
    } catch (err) {
      throw toEmbeddingError(err, this.model);
    }
    const data = Array.isArray(response?.data) ? response.data : null;
    if (!data || data.length !== inputs.length) {
      throw new EmbeddingError('MODEL_BAD_RESPONSE', `Embedding server returned ${data?.length ?? 'no'} vectors for ${inputs.length} inputs`);
    }
    const vectors = new Array<Float32Array>(inputs.length);
    for (const [position, item] of data.entries()) {
      const index = typeof item.index === 'number' ? item.index : position;
      const vector = decodeEmbedding(item.embedding);
      if (this.dims !== undefined && vector.length !== this.dims) {
        throw new EmbeddingError(
          'MODEL_BAD_RESPONSE',
          `Model ${this.model} returned ${vector.length}-dimensional vectors, configured for ${this.dims}: set EMBEDDING_DIMENSIONS=${vector.length}`,
        );
      }
      if (index < 0 || index >= inputs.length || vectors[index]) throw new EmbeddingError('MODEL_BAD_RESPONSE', `Embedding server returned a bad index ${index}`);
      vectors[index] = vector;
    }
    const usage = response.usage?.total_tokens ?? response.usage?.prompt_tokens;
    return { vectors, usage: typeof usage === 'number' ? usage : undefined };
  }

  async ping(): Promise<void> {
    try {
      await this.client.models.list();
    } catch (err) {
      throw toEmbeddingError(err, this.model);
    }
  }

  async close(): Promise<void> {}
}

function decodeEmbedding(value: unknown): Float32Array {
  if (typeof value === 'string') {
    const bytes = Buffer.from(value, 'base64');
    if (bytes.length % 4 !== 0) throw new EmbeddingError('MODEL_BAD_RESPONSE', 'Embedding is not a float32 base64 string');
    // Copy into an aligned buffer: Buffer slices may start at any byte offset.
    const out = new Float32Array(bytes.length / 4);
    new Uint8Array(out.buffer).set(bytes);
    return out;
  }
  if (Array.isArray(value) && value.every((v) => typeof v === 'number')) return Float32Array.from(value);
  throw new EmbeddingError('MODEL_BAD_RESPONSE', 'Embedding server returned an embedding that is neither floats nor base64');
}
