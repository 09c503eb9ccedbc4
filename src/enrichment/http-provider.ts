import { z } from 'zod';
import type { EnrichmentProvider, ProviderFacts } from './provider.ts';
import { EnrichmentProviderError } from './provider.ts';

/**
 * The HTTP adapter for an enrichment vendor: `GET {url}/v1/companies?domain=<domain>` with
 * `Authorization: Bearer <key>`, answered 200 with the company, 404 when the vendor has none. Vendors that speak
 * another shape sit behind a small proxy that answers this one. Every failure becomes an EnrichmentProviderError
 * with a code the job queue reads (retry on 429, 5xx and timeouts; fail on a bad key or a refused request), and
 * a body that is not what the protocol says is refused, never half-used.
 */

export const HttpProviderConfigSchema = z.strictObject({
  url: z
    .string()
    .trim()
    .url('must be the vendor API base URL, e.g. https://enrich.example.com')
    .refine((u) => /^https?:\/\//i.test(u), 'must be an http(s) URL'),
  apiKey: z.string().trim().min(8, 'must be the vendor API key (at least 8 characters)'),
  timeoutMs: z.number().int().min(100).max(60_000).default(5_000),
  /** Shown as the source of each value; defaults to the URL's host. */
  name: z.string().min(1).max(100).optional(),
});
export type HttpProviderConfig = z.input<typeof HttpProviderConfigSchema>;

/** Parses the adapter's settings; every problem in one error, naming the setting. */
export function parseHttpProviderConfig(input: unknown): z.output<typeof HttpProviderConfigSchema> {
  const parsed = HttpProviderConfigSchema.safeParse(input);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
  throw new EnrichmentProviderError('ENRICHMENT_BAD_REQUEST', `Invalid enrichment provider configuration:\n${issues.map((i) => `  - ${i}`).join('\n')}`);
}

const count = z.number().int().min(0).max(10_000_000);
const ResponseSchema = z.object({
  industry: z.string().trim().min(1).max(100).regex(/^[A-Z0-9_]+$/, "must be HubSpot's industry value (e.g. COMPUTER_SOFTWARE)").nullable().optional(),
  numberofemployees: z.union([count, z.string().regex(/^\d{1,8}$/).transform(Number)]).nullable().optional(),
  techStack: z.array(z.string().trim().min(1).max(60)).max(50).optional(),
  intentSignals: z.array(z.string().trim().min(1).max(100)).max(20).optional(),
  matchScore: z.number().min(0).max(1).nullable().optional(),
});

const MAX_BODY = 256 * 1024;

export class HttpEnrichmentProvider implements EnrichmentProvider {
  readonly name: string;
  private readonly cfg: z.output<typeof HttpProviderConfigSchema>;

  constructor(config: HttpProviderConfig) {
    this.cfg = parseHttpProviderConfig(config);
    this.name = this.cfg.name ?? new URL(this.cfg.url).host;
  }

  async lookup(company: { domain: string }, signal?: AbortSignal): Promise<ProviderFacts | null> {
    const domain = company.domain.trim().toLowerCase();
    if (!domain) return null;
    const url = `${this.cfg.url.replace(/\/+$/, '')}/v1/companies?domain=${encodeURIComponent(domain)}`;
    const timeout = AbortSignal.timeout(this.cfg.timeoutMs);
    const res = await fetch(url, {
      headers: { authorization: `Bearer ${this.cfg.apiKey}`, accept: 'application/json' },
      signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
    }).catch((err: unknown) => {
      if (timeout.aborted) throw new EnrichmentProviderError('ENRICHMENT_TIMEOUT', `${this.name} did not answer within ${this.cfg.timeoutMs} ms`, { cause: err });
      if (signal?.aborted) throw err;
      throw new EnrichmentProviderError('ENRICHMENT_UNAVAILABLE', `${this.name} is unreachable: ${(err as Error).message}`, { cause: err });
    });
    const text = await readBody(res, timeout, this.name, this.cfg.timeoutMs);
    if (res.status === 404) return null;
    if (res.status === 401 || res.status === 403) {
      throw new EnrichmentProviderError('ENRICHMENT_AUTH', `${this.name} refused the API key (HTTP ${res.status}): check ENRICHMENT_API_KEY`, { status: res.status });
    }
    if (res.status === 429) {
      const after = Number(res.headers.get('retry-after'));
      throw new EnrichmentProviderError('ENRICHMENT_RATE_LIMIT', `${this.name} rate limit (HTTP 429)`, { status: 429, ...(Number.isFinite(after) && after > 0 ? { retryAfterMs: after * 1000 } : {}) });
    }
    if (res.status >= 500) throw new EnrichmentProviderError('ENRICHMENT_UNAVAILABLE', `${this.name} failed (HTTP ${res.status})`, { status: res.status });
    if (res.status !== 200) throw new EnrichmentProviderError('ENRICHMENT_BAD_REQUEST', `${this.name} refused the lookup (HTTP ${res.status}): ${text.slice(0, 200)}`, { status: res.status });
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new EnrichmentProviderError('ENRICHMENT_BAD_RESPONSE', `${this.name} answered 200 with a body that is not JSON`, { status: 200 });
    }
    const parsed = ResponseSchema.safeParse(json);
    if (!parsed.success) {
      throw new EnrichmentProviderError('ENRICHMENT_BAD_RESPONSE', `${this.name} answered with an unexpected shape: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`, { status: 200 });
    }
    const d = parsed.data;
    return {
      industry: d.industry ?? null,
      numberofemployees: d.numberofemployees ?? null,
      techStack: d.techStack ?? [],
      intentSignals: d.intentSignals ?? [],
      matchScore: d.matchScore ?? null,
    };
  }

  async close(): Promise<void> {}
}

async function readBody(res: Response, timeout: AbortSignal, name: string, ms: number): Promise<string> {
  try {
    const text = await res.text();
    if (text.length > MAX_BODY) throw new EnrichmentProviderError('ENRICHMENT_BAD_RESPONSE', `${name} answered ${text.length} bytes, more than ${MAX_BODY}`, { status: res.status });
    return text;
  } catch (err) {
    if (err instanceof EnrichmentProviderError) throw err;
    if (timeout.aborted) throw new EnrichmentProviderError('ENRICHMENT_TIMEOUT', `${name} did not finish its answer within ${ms} ms`, { cause: err });
    throw new EnrichmentProviderError('ENRICHMENT_UNAVAILABLE', `${name} broke off its answer: ${(err as Error).message}`, { cause: err });
  }
}
