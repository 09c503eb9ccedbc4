import net from 'node:net';
import { z } from 'zod';
import { parseEncryptionKey } from './encryption-key.ts';
import { RETRIEVAL_MODES } from './retrieval-mode.ts';

/**
 * The one configuration schema. Every setting is an environment variable (names listed in the README);
 * an unset backend URL selects the embedded default. Parsed once at start by `loadConfig`.
 */

const bool = z
  .union([z.boolean(), z.string()])
  .transform((v, ctx) => {
    if (typeof v === 'boolean') return v;
    const s = v.trim().toLowerCase();
    if (['1', 'true', 'yes', 'on'].includes(s)) return true;
    if (['0', 'false', 'no', 'off', ''].includes(s)) return false;
    ctx.addIssue({ code: 'custom', message: `expected true or false, got "${v}"` });
    return z.NEVER;
  });

/**
 * A URL, optionally of given schemes: `QDRANT_URL=ftp://x` parses as a URL but no client can use it, so an HTTP
 * endpoint or a Redis URL says which schemes it takes at boot instead of failing at the first request.
 */
const url = (what: string, schemes?: readonly string[]) =>
  z
    .string()
    .trim()
    .refine((v) => {
      try {
        new URL(v);
        return true;
      } catch {
        return false;
      }
    }, `must be a URL (${what})`)
    .refine(
      (v) => !schemes || !URL.canParse(v) || schemes.includes(new URL(v).protocol.slice(0, -1)),
      `must be a ${schemes?.join(' or ')} URL (${what})`,
    );

const optionalUrl = (what: string, schemes?: readonly string[]) =>
  z.preprocess((v) => (v === '' ? undefined : v), url(what, schemes).optional());

const HTTP = ['http', 'https'] as const;

const optionalString = z.preprocess((v) => (v === '' ? undefined : v), z.string().optional());

export const ROLES = ['reader', 'reviewer', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/**
 * `API_TOKENS`: comma-separated `token:role[:name][@portals]` entries, e.g. `s3cret:admin,abc:reviewer:ana@123+456`.
 * `@portals` (portal ids joined by `+`) limits the token to those HubSpot portals; without it (or with `@*`) the
 * token sees every portal the deployment serves, as before portals could be named.
 */
const PORTAL_SUFFIX = /@(\*|\d{1,20}(?:[+|]\d{1,20})*)$/;
const apiTokens = z
  .preprocess((v) => (v === undefined ? '' : v), z.string())
  .transform((raw, ctx) => {
    const out: Array<{ token: string; role: Role; name: string; portals?: string[] }> = [];
    for (const [i, entry0] of raw.split(',').map((p) => p.trim()).filter(Boolean).entries()) {
      const scoped = PORTAL_SUFFIX.exec(entry0);
      const part = scoped ? entry0.slice(0, scoped.index) : entry0;
      const portals = scoped && scoped[1] !== '*' ? [...new Set(scoped[1]!.split(/[+|]/))] : undefined;
      if (!scoped && /@[^:]*$/.test(entry0) && entry0.split(':').length > 1) {
        ctx.addIssue({ code: 'custom', message: `entry ${i + 1}: after @ list portal ids joined by + (e.g. @123+456), or * for every portal` });
        continue;
      }
      const [token, role = 'reader', name] = part.split(':');
      if (!token || token.length < 8) {
        ctx.addIssue({ code: 'custom', message: `entry ${i + 1}: a token must be at least 8 characters` });
        continue;
      }
      if (!(ROLES as readonly string[]).includes(role)) {
        ctx.addIssue({ code: 'custom', message: `entry ${i + 1}: role must be one of ${ROLES.join(', ')} (got "${role}")` });
        continue;
      }
      const entry = { token, role: role as Role, name: name ?? `token${i + 1}`, ...(portals ? { portals } : {}) };
      // Review sessions and the audit log name the token: two tokens with one name would share them.
      const taken = out.find((t) => t.name === entry.name);
      if (taken) {
        ctx.addIssue({ code: 'custom', message: `entry ${i + 1}: the name "${entry.name}" is already used by entry ${out.indexOf(taken) + 1}; give each token its own name (token:role:name)` });
        continue;
      }
      if (out.some((t) => t.token === token)) {
        ctx.addIssue({ code: 'custom', message: `entry ${i + 1}: the same token is listed twice; a token has one role` });
        continue;
      }
      out.push(entry);
    }
    return out;
  });

/**
 * `TRUST_PROXY`: which proxies may tell us the client's address (`X-Forwarded-For`). Off by default, so no client
 * can choose the address that rate limits and logs use; a hop count (`1` behind one load balancer) or a
 * comma-separated list of proxy addresses/CIDRs (`10.0.0.0/8,127.0.0.1`). `true` (trust anything) is refused.
 */
const trustProxy = z
  .preprocess((v) => (v === undefined ? '' : v), z.string())
  .transform((raw, ctx): false | number | string[] => {
    const s = raw.trim();
    if (s === '' || /^(false|off|no|0)$/i.test(s)) return false;
    if (/^(true|yes|on)$/i.test(s)) {
      ctx.addIssue({ code: 'custom', message: 'trusting every proxy lets any client choose its own address; give a hop count (e.g. 1) or the proxies\' addresses/CIDRs' });
      return z.NEVER;
    }
    if (/^\d+$/.test(s)) return Number(s);
    const entries = s.split(',').map((e) => e.trim()).filter(Boolean);
    const bad = entries.filter((e) => !isAddressOrCidr(e));
    if (bad.length > 0) {
      ctx.addIssue({ code: 'custom', message: `not an IP address or CIDR: ${bad.join(', ')}` });
      return z.NEVER;
    }
    return entries;
  });

function isAddressOrCidr(e: string): boolean {
  if (['loopback', 'linklocal', 'uniquelocal'].includes(e)) return true;
  const [addr = '', bits, ...rest] = e.split('/');
  const family = net.isIP(addr);
  if (family === 0 || rest.length > 0) return false;
  if (bits === undefined) return true;
  const n = Number(bits);
  return /^\d+$/.test(bits) && n >= 0 && n <= (family === 4 ? 32 : 128);
}

export const SANDBOX_DEFAULT_URL = 'http://127.0.0.1:4010';
/** What the product reads and writes: CRM records, their schemas (for the ai_* properties), owners, tickets. */
export const DEFAULT_OAUTH_SCOPES = [
  'oauth',
  'crm.objects.companies.read',
  'crm.objects.companies.write',
  'crm.objects.contacts.read',
  'crm.objects.contacts.write',
  'crm.objects.deals.read',
  'crm.objects.deals.write',
  'crm.objects.owners.read',
  'crm.schemas.companies.write',
  'crm.schemas.contacts.write',
  'crm.schemas.deals.write',
  'tickets',
  'sales-email-read',
].join(' ');
export const SANDBOX_DEFAULT_TOKEN = 'sandbox-token';

export const configSchema = z
  .object({
    NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    PORT: z.coerce.number({ error: 'must be a number' }).int('must be an integer').min(0).max(65535, 'must be ≤ 65535').default(3000),
    HOST: z.string().default('127.0.0.1'),
    /** `worker`'s own listener for /metrics, /healthz and /readyz (0 = any free port). */
    WORKER_PORT: z.coerce.number({ error: 'must be a number' }).int('must be an integer').min(0).max(65535, 'must be ≤ 65535').default(3001),
    /** After SIGTERM: how long in-flight requests and jobs may finish before jobs are handed back to the queue. */
    SHUTDOWN_GRACE_MS: z.coerce.number().int().min(0).max(600_000).default(8_000),
    TRUST_PROXY: trustProxy,
    DATA_DIR: z.string().min(1).default('./data'),

    HUBSPOT_BASE_URL: url('the HubSpot API base, e.g. https://api.hubapi.com or the sandbox').default(SANDBOX_DEFAULT_URL),
    HUBSPOT_ACCESS_TOKEN: optionalString,
    HUBSPOT_CLIENT_SECRET: optionalString,
    /** The private/public app id: HubSpot reports our own writes with this `sourceId`, so we can ignore echoes. */
    HUBSPOT_APP_ID: optionalString,
    /** Where people open records (links on the review page, app card and owner tasks); EU portals use app-eu1. */
    HUBSPOT_APP_URL: url('where HubSpot records open, e.g. https://app.hubspot.com').default('https://app.hubspot.com'),
    /** `private-app` (one portal, HUBSPOT_ACCESS_TOKEN) or `oauth` (a public app that portals install). */
    HUBSPOT_AUTH: z.enum(['private-app', 'oauth']).default('private-app'),
    HUBSPOT_CLIENT_ID: optionalString,
    /** Space- or comma-separated; what the install link asks for. */
    HUBSPOT_OAUTH_SCOPES: z.string().default(DEFAULT_OAUTH_SCOPES),
    HUBSPOT_OAUTH_OPTIONAL_SCOPES: z.string().default(''),
    /** This service's callback as registered in the app; default WEBHOOK_PUBLIC_URL (or http://HOST:PORT) + /oauth/callback. */
    HUBSPOT_OAUTH_REDIRECT_URL: optionalUrl('this service\'s OAuth callback, e.g. https://ai.example.com/oauth/callback', HTTP),
    /** Default https://app.hubspot.com/oauth/authorize, or the sandbox's /oauth/authorize. */
    HUBSPOT_OAUTH_AUTHORIZE_URL: optionalUrl('HubSpot\'s authorize page', HTTP),
    /** OAuth mode: the installed portal this deployment serves (default: the only one installed). */
    HUBSPOT_PORTAL_ID: z.preprocess((v) => (v === '' ? undefined : v), z.string().regex(/^[1-9]\d*$/, 'must be a HubSpot portal id (digits)').optional()),
    /** 32 random bytes (hex or base64) sealing OAuth tokens at rest; also from TOKEN_ENCRYPTION_KEY_FILE. */
    TOKEN_ENCRYPTION_KEY: optionalString,
    HUBSPOT_RATE_LIMIT: z.coerce.number().int().min(1).default(190),
    HUBSPOT_SEARCH_RATE: z.coerce.number().int().min(1).default(5),
    HUBSPOT_TIMEOUT_MS: z.coerce.number().int().min(100).default(30_000),
    HUBSPOT_MAX_RETRIES: z.coerce.number().int().min(0).max(20).default(6),
    /** Which webhook signature versions are accepted; v3 is the current one. */
    WEBHOOK_SIGNATURE_VERSIONS: z
      .string()
      .default('v3')
      .transform((s) => s.split(',').map((x) => x.trim()).filter(Boolean))
      .pipe(z.array(z.enum(['v1', 'v2', 'v3'])).min(1)),
    /** Public URL HubSpot calls (used to rebuild the signed URI behind a proxy); default: the request's own. */
    WEBHOOK_PUBLIC_URL: optionalUrl('the public base URL of this service', HTTP),
    WEBHOOK_MAX_BODY_BYTES: z.coerce.number().int().min(1024).default(1_048_576),
    /** How long a workflow action request waits for its result before answering BLOCK (completed by callback). */
    WORKFLOW_ACTION_WAIT_MS: z.coerce.number().int().min(0).max(20_000).default(3_000),
    WEBHOOK_COALESCE_MS: z.coerce.number().int().min(0).default(2_000),
    ROUTING_FILE: optionalString,

    OPENAI_API_KEY: optionalString,
    OPENAI_BASE_URL: optionalUrl('an OpenAI-compatible API base, e.g. http://localhost:11434/v1', HTTP),
    EMBEDDING_PROVIDER: z.enum(['offline', 'openai']).optional(),
    EMBEDDING_MODEL: optionalString,
    EMBEDDING_DIMENSIONS: z.coerce.number().int().min(8).max(4096).optional(),
    /** Prefixes for asymmetric models; unset: the model's known ones (e5, bge, nomic…), an empty value: none. */
    EMBEDDING_QUERY_PREFIX: z.string().optional(),
    EMBEDDING_DOCUMENT_PREFIX: z.string().optional(),
    /** Inputs per embeddings request (default 2048 for OpenAI's models, 8 for others) and its timeout. */
    EMBEDDING_BATCH_SIZE: z.coerce.number().int().min(1).max(2048).optional(),
    EMBEDDING_TIMEOUT_MS: z.coerce.number().int().min(100).optional(),
    /** The agents' retrieval mode; `auto`: the one measured best for the embedder kind (src/config/retrieval-mode.ts). */
    RETRIEVAL_MODE: z.enum(['auto', ...RETRIEVAL_MODES]).default('auto'),
    LLM_PROVIDER: z.enum(['offline', 'openai']).optional(),
    /**
     * `<provider>:<model>` as LangChain names models (`openai:gpt-4o-mini`, `azure_openai:<deployment>`,
     * `anthropic:claude-sonnet-4-5` once `@langchain/anthropic` is installed) or `offline`; a bare model name is OpenAI's.
     */
    CHAT_MODEL: z.string().trim().min(1).default('gpt-4o-mini'),
    LLM_TIMEOUT_MS: z.coerce.number().int().min(100).default(60_000),
    /** Retries of a model call after the first attempt (429 honouring Retry-After, 5xx, timeouts). */
    LLM_MAX_RETRIES: z.coerce.number().int().min(0).max(10).default(3),
    AZURE_OPENAI_API_KEY: optionalString,
    AZURE_OPENAI_ENDPOINT: optionalUrl('your Azure OpenAI resource, e.g. https://my-resource.openai.azure.com', HTTP),
    AZURE_OPENAI_API_VERSION: z.string().default('2024-10-21'),
    /** Enrichment provider: a vendor API base URL (with ENRICHMENT_API_KEY), `sandbox` (the sandbox portal's), or unset (history only). */
    ENRICHMENT_URL: z.preprocess(
      (v) => (v === '' ? undefined : v),
      z.string().trim().refine((v) => v === 'sandbox' || /^https?:\/\/[^\s/]+/.test(v), 'must be "sandbox" or the enrichment API base URL, e.g. https://enrich.example.com').optional(),
    ),
    ENRICHMENT_API_KEY: optionalString,
    ENRICHMENT_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(5_000),

    QDRANT_URL: optionalUrl('the Qdrant REST endpoint, e.g. http://qdrant:6333', HTTP),
    /**
     * Embedded vector store: at start, `serve` and `worker` compile the query statements and read the SQLite file
     * into the OS page cache in the background (up to half the free memory), so the first queries after a restart
     * are not disk reads. Off for hosts where the file is much larger than memory.
     */
    VECTOR_PREWARM: bool.default(true),
    QDRANT_API_KEY: optionalString,
    REDIS_URL: optionalUrl('a Redis URL, e.g. redis://localhost:6379', ['redis', 'rediss']),
    /** Prefix of our keys in Redis (queue and cache), so several deployments can share one Redis. */
    REDIS_PREFIX: z
      .string()
      .regex(/^[A-Za-z0-9_.-]{1,64}$/, 'must be 1–64 letters, digits, "_", "." or "-"')
      .default('hsai'),
    DATABASE_URL: optionalUrl('a PostgreSQL URL, e.g. postgres://user:pass@localhost:5432/hubspot_ai'),

    API_TOKENS: apiTokens,
    API_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).default(600),
    /** OpenTelemetry: traces are exported over OTLP/HTTP only when an endpoint is set (off by default). */
    OTEL_EXPORTER_OTLP_ENDPOINT: optionalUrl('an OTLP/HTTP collector, e.g. http://otel-collector:4318', HTTP),
    OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: optionalUrl('an OTLP/HTTP traces endpoint, e.g. http://otel-collector:4318/v1/traces', HTTP),
    OTEL_SERVICE_NAME: z.string().min(1).default('hubspot-ai'),
    POLICY_FILE: optionalString,
    /** Many portals: `<dir>/<portalId>.yaml` is that portal's policy; portals without one use POLICY_FILE. */
    PORTAL_POLICY_DIR: optionalString,
    /** OAuth mode: when a portal uninstalls the app (or its refresh is refused), purge everything held of it. */
    PURGE_ON_UNINSTALL: bool.default(false),
    /** Many portals: at most this many portals' gateways and write-back services stay built in one process. */
    PORTAL_SCOPES_MAX: z.coerce.number().int().min(1).max(100_000).default(200),
    /** A portal's gateway and write-back unused this long are closed (built again on its next event or request). */
    PORTAL_SCOPE_IDLE_MS: z.coerce.number().int().min(1_000).default(15 * 60_000),
    /** Per-portal model quota for each period (a portal's policy `modelQuota` overrides): tokens and/or USD. */
    MODEL_QUOTA_TOKENS: z.preprocess((v) => (v === '' ? undefined : v), z.coerce.number().int().min(0).optional()),
    MODEL_QUOTA_COST_USD: z.preprocess((v) => (v === '' ? undefined : v), z.coerce.number().min(0).optional()),
    MODEL_QUOTA_PERIOD: z.enum(['day', 'month']).default('month'),
    /** Metrics labelled by portal: these portals by name (comma-separated), others as "other"; unset: the first METRICS_PORTAL_LABELS seen. */
    METRICS_PORTALS: optionalString,
    /**
     * Bearer token Prometheus sends to scrape /metrics (also from METRICS_TOKEN_FILE). Set: /metrics answers 401
     * without it, and the per-portal metrics carry portal ids. Unset: /metrics stays open (probes, local runs) and
     * every portal is counted under portal="all", so no portal id is ever served without the token.
     */
    METRICS_TOKEN: z.preprocess((v) => (v === '' ? undefined : v), z.string().min(16, 'use at least 16 characters (openssl rand -hex 24)').optional()),
    METRICS_PORTAL_LABELS: z.coerce.number().int().min(0).max(1000).default(20),
    DRY_RUN: bool.default(false),
    /** One HubSpot task per record for its owner while AI suggestions wait for review. */
    OWNER_TASKS: bool.default(true),
    KILL_SWITCH: bool.default(false),
    QUEUE_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(4),
    /**
     * BullMQ workers: webhook deliveries in flight per worker. A delivery's job is a few Redis round trips and
     * milliseconds of CPU, so while ingest holds the event loop many of them can wait their turn at once.
     */
    WEBHOOK_BATCH_CONCURRENCY: z.coerce.number().int().min(1).max(256).default(16),
    JOB_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(50).default(8),
    /** `serve` runs workers in-process with the embedded queue; set false to run API only. */
    SERVE_WORKERS: bool.optional(),
  });

/**
 * Checks that span several settings. Runs on the raw environment too, so that a config with other errors
 * still gets every problem listed at once (zod skips refinements when the object itself failed).
 */
function oauthIssues(c: { HUBSPOT_CLIENT_ID?: unknown; HUBSPOT_CLIENT_SECRET?: unknown; TOKEN_ENCRYPTION_KEY?: unknown }, oauth: boolean): Array<{ path: string; message: string }> {
  const issues: Array<{ path: string; message: string }> = [];
  const key = c.TOKEN_ENCRYPTION_KEY;
  if (typeof key === 'string' && key !== '') {
    try {
      parseEncryptionKey(key);
    } catch (err) {
      issues.push({ path: 'TOKEN_ENCRYPTION_KEY', message: (err as Error).message });
    }
  } else if (oauth) {
    issues.push({ path: 'TOKEN_ENCRYPTION_KEY', message: 'is required with HUBSPOT_AUTH=oauth: OAuth tokens are stored encrypted (openssl rand -base64 32), or set TOKEN_ENCRYPTION_KEY_FILE' });
  }
  if (oauth && !c.HUBSPOT_CLIENT_ID) issues.push({ path: 'HUBSPOT_CLIENT_ID', message: 'is required with HUBSPOT_AUTH=oauth: the public app\'s client id' });
  if (oauth && !c.HUBSPOT_CLIENT_SECRET) issues.push({ path: 'HUBSPOT_CLIENT_SECRET', message: 'is required with HUBSPOT_AUTH=oauth: the public app\'s client secret' });
  return issues;
}

export function crossFieldIssues(c: {
  HUBSPOT_AUTH?: unknown;
  HUBSPOT_CLIENT_ID?: unknown;
  HUBSPOT_CLIENT_SECRET?: unknown;
  TOKEN_ENCRYPTION_KEY?: unknown;
  HUBSPOT_BASE_URL?: unknown;
  HUBSPOT_ACCESS_TOKEN?: unknown;
  ENRICHMENT_URL?: unknown;
  ENRICHMENT_API_KEY?: unknown;
  EMBEDDING_PROVIDER?: unknown;
  LLM_PROVIDER?: unknown;
  OPENAI_API_KEY?: unknown;
  OPENAI_BASE_URL?: unknown;
  CHAT_MODEL?: unknown;
  AZURE_OPENAI_API_KEY?: unknown;
  AZURE_OPENAI_ENDPOINT?: unknown;
}): Array<{ path: string; message: string }> {
  const issues: Array<{ path: string; message: string }> = [];
  const base = typeof c.HUBSPOT_BASE_URL === 'string' && c.HUBSPOT_BASE_URL !== '' ? c.HUBSPOT_BASE_URL : SANDBOX_DEFAULT_URL;
  const oauth = c.HUBSPOT_AUTH === 'oauth';
  issues.push(...oauthIssues(c, oauth));
  if (!oauth && !isSandboxUrl(base) && !c.HUBSPOT_ACCESS_TOKEN) {
    issues.push({ path: 'HUBSPOT_ACCESS_TOKEN', message: 'is required for a real HubSpot portal: create a private app and paste its access token' });
  }
  if (typeof c.ENRICHMENT_URL === 'string' && c.ENRICHMENT_URL !== '' && c.ENRICHMENT_URL !== 'sandbox' && !c.ENRICHMENT_API_KEY) {
    issues.push({ path: 'ENRICHMENT_API_KEY', message: 'is required with ENRICHMENT_URL: the enrichment vendor\'s API key' });
  }
  const chat = typeof c.CHAT_MODEL === 'string' ? c.CHAT_MODEL.trim() : '';
  const wantsOpenAI = c.EMBEDDING_PROVIDER === 'openai' || c.LLM_PROVIDER === 'openai' || (chat.startsWith('openai:') && c.LLM_PROVIDER !== 'offline');
  if (wantsOpenAI && !c.OPENAI_API_KEY && !c.OPENAI_BASE_URL) {
    issues.push({ path: 'OPENAI_API_KEY', message: 'is required when a provider is "openai" (or set OPENAI_BASE_URL for a local compatible server)' });
  }
  if (chat.startsWith('azure_openai:') && c.LLM_PROVIDER !== 'offline') {
    if (!c.AZURE_OPENAI_API_KEY) issues.push({ path: 'AZURE_OPENAI_API_KEY', message: 'is required for CHAT_MODEL=azure_openai:<deployment>' });
    if (!c.AZURE_OPENAI_ENDPOINT) issues.push({ path: 'AZURE_OPENAI_ENDPOINT', message: 'is required for CHAT_MODEL=azure_openai:<deployment> (https://<resource>.openai.azure.com)' });
  }
  return issues;
}

export type RawConfig = z.infer<typeof configSchema>;

export function isSandboxUrl(u: string): boolean {
  try {
    const host = new URL(u).hostname;
    return host === '127.0.0.1' || host === 'localhost' || host === '::1' || host === 'sandbox' || host.endsWith('.local');
  } catch {
    return false;
  }
}
