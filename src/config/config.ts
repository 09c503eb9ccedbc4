import fs from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../errors.ts';
import { parseEncryptionKey } from './encryption-key.ts';
import { plainIssue } from './issue-message.ts';
import { configSchema, crossFieldIssues, isSandboxUrl, SANDBOX_DEFAULT_TOKEN, type RawConfig } from './schema.ts';

export { SANDBOX_DEFAULT_TOKEN, SANDBOX_DEFAULT_URL, ROLES, type Role } from './schema.ts';

/** Settings after parsing, with the backend choices made explicit. */
export interface Config extends RawConfig {
  dataDir: string;
  hubspot: { baseUrl: string; accessToken: string; isSandbox: boolean };
  /** Set with HUBSPOT_AUTH=oauth (public app); private-app mode otherwise. */
  oauth: OAuthSettings | undefined;
  backends: {
    vectors: 'sqlite' | 'qdrant';
    cache: 'sqlite' | 'redis';
    queue: 'embedded' | 'bullmq';
    sql: 'sqlite' | 'postgres';
  };
  /** `dimensions` unset: read from the model server at start. */
  embeddings: {
    provider: 'offline' | 'openai';
    model: string;
    dimensions: number | undefined;
    queryPrefix?: string;
    documentPrefix?: string;
    batchSize?: number;
    timeoutMs: number;
  };
  /** `provider` is `offline` or a LangChain provider key (`openai`, `azure_openai`, `anthropic`…). */
  llm: { provider: string; model: string };
  serveWorkers: boolean;
}

export interface OAuthSettings {
  clientId: string;
  clientSecret: string;
  /** The 32-byte key sealing tokens at rest. */
  encryptionKey: Buffer;
  scopes: string[];
  optionalScopes: string[];
  redirectUri: string;
  authorizeUrl: string;
  portalId: string | undefined;
}

const HINTS: Record<string, string> = {
  PORT: 'set PORT to a TCP port number such as 3000',
  HUBSPOT_BASE_URL: 'use https://api.hubapi.com or the sandbox URL (default http://127.0.0.1:4010)',
  API_TOKENS: 'use comma-separated token:role[:name][@portal+portal] entries, roles reader|reviewer|admin',
  TRUST_PROXY: 'unset behind no proxy; 1 behind one load balancer; or the proxies\' addresses, e.g. 10.0.0.0/8',
};

/** Settings that may hold a secret: each can also come from a file named by `<NAME>_FILE` (Docker/Kubernetes secrets). */
export const SECRET_SETTINGS = ['HUBSPOT_ACCESS_TOKEN', 'HUBSPOT_CLIENT_SECRET', 'TOKEN_ENCRYPTION_KEY', 'OPENAI_API_KEY', 'AZURE_OPENAI_API_KEY', 'QDRANT_API_KEY', 'API_TOKENS', 'DATABASE_URL', 'REDIS_URL', 'METRICS_TOKEN'] as const;

/** Reads `<NAME>_FILE` secrets into `input`; a trailing newline is dropped. Problems never quote the file's content. */
function readSecretFiles(env: NodeJS.ProcessEnv, input: Record<string, unknown>): Array<{ path: string; message: string }> {
  const problems: Array<{ path: string; message: string }> = [];
  for (const name of SECRET_SETTINGS) {
    const file = env[`${name}_FILE`];
    if (file === undefined || file === '') continue;
    if (env[name] !== undefined && env[name] !== '') {
      problems.push({ path: `${name}_FILE`, message: `set either ${name} or ${name}_FILE, not both` });
      continue;
    }
    try {
      input[name] = fs.readFileSync(file, 'utf8').replace(/\r?\n$/, '');
    } catch (err) {
      problems.push({ path: `${name}_FILE`, message: `cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? 'error'}` });
    }
  }
  return problems;
}

/** Parses the environment once; throws a ConfigError listing every problem. Secrets never appear in messages. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const known = Object.keys(configSchema.shape);
  const input: Record<string, unknown> = {};
  for (const k of known) if (env[k] !== undefined) input[k] = env[k];
  const fileProblems = readSecretFiles(env, input);
  const parsed = configSchema.safeParse(input);
  const problems = [
    ...fileProblems,
    ...(parsed.success ? [] : parsed.error.issues.map((i) => {
      const key = String(i.path[0] ?? '(config)');
      const secret = (SECRET_SETTINGS as readonly string[]).includes(key);
      return { path: key, message: plainIssue(i, secret ? undefined : input[key]) };
    })),
    ...crossFieldIssues(input),
  ];
  if (problems.length > 0 || !parsed.success) {
    throw new ConfigError(
      problems.map(({ path: key, message }) => {
        const hint = HINTS[key];
        return `${key}: ${message}${hint ? ` (${hint})` : ''}`;
      }),
    );
  }
  return resolveConfig(parsed.data);
}

export function resolveConfig(c: RawConfig): Config {
  const openaiAvailable = Boolean(c.OPENAI_API_KEY || c.OPENAI_BASE_URL);
  const embProvider = c.EMBEDDING_PROVIDER ?? (openaiAvailable ? 'openai' : 'offline');
  // A base URL chosen for embeddings only (EMBEDDING_PROVIDER set, no key) is an embeddings server: generation
  // stays offline unless LLM_PROVIDER or CHAT_MODEL asks for a model.
  const llm = resolveChatModel(c, Boolean(c.OPENAI_API_KEY || (c.OPENAI_BASE_URL && !c.EMBEDDING_PROVIDER)));
  const embModel = c.EMBEDDING_MODEL ?? (embProvider === 'openai' ? 'text-embedding-3-small' : 'offline-hash-v1');
  // OpenAI-compatible servers: the size is read from the server at start (create-embedder.ts).
  const embDims = c.EMBEDDING_DIMENSIONS ?? (embProvider === 'openai' ? undefined : 384);
  const isSandbox = isSandboxUrl(c.HUBSPOT_BASE_URL);
  const queue = c.REDIS_URL ? 'bullmq' : 'embedded';
  return {
    ...c,
    dataDir: path.resolve(c.DATA_DIR),
    hubspot: {
      baseUrl: c.HUBSPOT_BASE_URL.replace(/\/+$/, ''),
      accessToken: c.HUBSPOT_ACCESS_TOKEN ?? SANDBOX_DEFAULT_TOKEN,
      isSandbox,
    },
    oauth: oauthSettings(c, isSandbox),
    backends: {
      vectors: c.QDRANT_URL ? 'qdrant' : 'sqlite',
      cache: c.REDIS_URL ? 'redis' : 'sqlite',
      queue,
      sql: c.DATABASE_URL ? 'postgres' : 'sqlite',
    },
    embeddings: {
      provider: embProvider,
      model: embModel,
      dimensions: embDims,
      ...(c.EMBEDDING_QUERY_PREFIX !== undefined ? { queryPrefix: c.EMBEDDING_QUERY_PREFIX } : {}),
      ...(c.EMBEDDING_DOCUMENT_PREFIX !== undefined ? { documentPrefix: c.EMBEDDING_DOCUMENT_PREFIX } : {}),
      ...(c.EMBEDDING_BATCH_SIZE !== undefined ? { batchSize: c.EMBEDDING_BATCH_SIZE } : {}),
      // A CPU model server answers a batch in seconds, not milliseconds, and slower on a busy machine.
      timeoutMs: c.EMBEDDING_TIMEOUT_MS ?? (c.OPENAI_BASE_URL ? 300_000 : c.LLM_TIMEOUT_MS),
    },
    llm,
    serveWorkers: c.SERVE_WORKERS ?? queue === 'embedded',
  };
}

/**
 * The chat model: `LLM_PROVIDER=offline` wins; a `CHAT_MODEL` with a provider prefix is used as written; a bare
 * model name is OpenAI's when OpenAI is configured (OPENAI_API_KEY or OPENAI_BASE_URL) and offline otherwise.
 */
function resolveChatModel(c: RawConfig, openaiAvailable: boolean): { provider: string; model: string } {
  const offline = { provider: 'offline', model: 'offline-extractive-v1' };
  if (c.LLM_PROVIDER === 'offline' || c.CHAT_MODEL === 'offline') return offline;
  const i = c.CHAT_MODEL.indexOf(':');
  if (i > 0) return { provider: c.CHAT_MODEL.slice(0, i), model: c.CHAT_MODEL.slice(i + 1) };
  return c.LLM_PROVIDER === 'openai' || openaiAvailable ? { provider: 'openai', model: c.CHAT_MODEL } : offline;
}

function oauthSettings(c: RawConfig, isSandbox: boolean): OAuthSettings | undefined {
  if (c.HUBSPOT_AUTH !== 'oauth') return undefined;
  // loadConfig has already refused a missing client id, secret or key (crossFieldIssues).
  const words = (s: string) => s.split(/[\s,]+/).filter(Boolean);
  const base = c.HUBSPOT_BASE_URL.replace(/\/+$/, '');
  const publicBase = (c.WEBHOOK_PUBLIC_URL ?? `http://${c.HOST.includes(':') ? `[${c.HOST}]` : c.HOST}:${c.PORT}`).replace(/\/+$/, '');
  return {
    clientId: c.HUBSPOT_CLIENT_ID ?? '',
    clientSecret: c.HUBSPOT_CLIENT_SECRET ?? '',
    encryptionKey: parseEncryptionKey(c.TOKEN_ENCRYPTION_KEY ?? ''),
    scopes: words(c.HUBSPOT_OAUTH_SCOPES),
    optionalScopes: words(c.HUBSPOT_OAUTH_OPTIONAL_SCOPES),
    redirectUri: c.HUBSPOT_OAUTH_REDIRECT_URL ?? `${publicBase}/oauth/callback`,
    authorizeUrl: c.HUBSPOT_OAUTH_AUTHORIZE_URL ?? (isSandbox ? `${base}/oauth/authorize` : 'https://app.hubspot.com/oauth/authorize'),
    portalId: c.HUBSPOT_PORTAL_ID,
  };
}

/** A printable view of the configuration with secrets masked. */
export function redactedConfig(c: Config): Record<string, unknown> {
  const secret = (v: string | undefined) => (v ? `${'*'.repeat(6)}${v.length > 12 ? v.slice(-2) : ''}` : undefined);
  const maskUrl = (u: string | undefined) => (u ? redactUrl(u) : undefined);
  return {
    PORT: c.PORT,
    DATA_DIR: c.dataDir,
    HUBSPOT_BASE_URL: c.hubspot.baseUrl,
    HUBSPOT_ACCESS_TOKEN: secret(c.HUBSPOT_ACCESS_TOKEN),
    HUBSPOT_CLIENT_SECRET: secret(c.HUBSPOT_CLIENT_SECRET),
    HUBSPOT_AUTH: c.HUBSPOT_AUTH,
    ...(c.oauth ? { oauth: { clientId: c.oauth.clientId, scopes: c.oauth.scopes, redirectUri: c.oauth.redirectUri, portalId: c.oauth.portalId, TOKEN_ENCRYPTION_KEY: '******' } } : {}),
    OPENAI_API_KEY: secret(c.OPENAI_API_KEY),
    OPENAI_BASE_URL: c.OPENAI_BASE_URL,
    AZURE_OPENAI_API_KEY: secret(c.AZURE_OPENAI_API_KEY),
    AZURE_OPENAI_ENDPOINT: c.AZURE_OPENAI_ENDPOINT,
    QDRANT_URL: c.QDRANT_URL,
    QDRANT_API_KEY: secret(c.QDRANT_API_KEY),
    REDIS_URL: maskUrl(c.REDIS_URL),
    DATABASE_URL: maskUrl(c.DATABASE_URL),
    TRUST_PROXY: c.TRUST_PROXY,
    SHUTDOWN_GRACE_MS: c.SHUTDOWN_GRACE_MS,
    WORKER_PORT: c.WORKER_PORT,
    tracing: maskUrl(c.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? c.OTEL_EXPORTER_OTLP_ENDPOINT) ?? 'off',
    API_TOKENS: c.API_TOKENS.map((t) => `${t.name}:${t.role}${t.portals ? `@${t.portals.join('+')}` : ''}`),
    backends: c.backends,
    embeddings: c.embeddings,
    llm: c.llm,
    DRY_RUN: c.DRY_RUN,
    KILL_SWITCH: c.KILL_SWITCH,
  };
}

/** A URL with its password masked, for logs and messages. */
export function redactUrl(u: string): string {
  try {
    const x = new URL(u);
    if (x.password) x.password = '******';
    return x.toString();
  } catch {
    return '(invalid URL)';
  }
}
