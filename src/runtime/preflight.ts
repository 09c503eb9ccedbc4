import { redactUrl, type Config } from '../config/config.ts';
import { AppError, errorMessage } from '../errors.ts';
import { withDeadline } from '../core/deadline.ts';

/**
 * Start-up checks of the backends a command needs, each with its own short deadline and its own throwaway client,
 * so an unreachable Redis, PostgreSQL, Qdrant or HubSpot ends the command with one line and exit code 4 within
 * seconds, instead of a client library retrying (and logging) forever. Embedded backends need no check.
 */

export type Dependency = 'redis' | 'postgres' | 'qdrant' | 'hubspot';

/** A dependency that refused us or cannot be reached (exit code 4). */
export class DependencyUnavailableError extends AppError {
  readonly failures: Array<{ dependency: Dependency; message: string }>;
  constructor(failures: Array<{ dependency: Dependency; message: string }>) {
    super('DEPENDENCY_UNAVAILABLE', failures.map((f) => f.message).join('; '));
    this.failures = failures;
  }
}

export const PREFLIGHT_TIMEOUT_MS = 2_000;

/** Checks every needed, configured dependency in parallel; throws one DependencyUnavailableError naming all failures. */
export async function preflight(config: Config, needs: readonly Dependency[], timeoutMs = PREFLIGHT_TIMEOUT_MS): Promise<void> {
  const probes: Array<{ dependency: Dependency; run: () => Promise<void> }> = [];
  if (needs.includes('redis') && config.REDIS_URL) probes.push({ dependency: 'redis', run: () => probeRedis(config.REDIS_URL!, timeoutMs) });
  if (needs.includes('postgres') && config.DATABASE_URL) probes.push({ dependency: 'postgres', run: () => probePostgres(config.DATABASE_URL!, timeoutMs) });
  if (needs.includes('qdrant') && config.QDRANT_URL) probes.push({ dependency: 'qdrant', run: () => probeQdrant(config.QDRANT_URL!, config.QDRANT_API_KEY, timeoutMs) });
  if (needs.includes('hubspot')) probes.push({ dependency: 'hubspot', run: () => probeHubSpot(config.hubspot.baseUrl, config.oauth ? undefined : config.hubspot.accessToken, timeoutMs) });
  const results = await Promise.all(
    probes.map(async (p) => {
      try {
        await withDeadline(p.run(), timeoutMs + 250, `no answer within ${((timeoutMs + 250) / 1000).toFixed(1)} s`);
        return undefined;
      } catch (err) {
        return { dependency: p.dependency, message: describe(p.dependency, config, errorMessage(err)) };
      }
    }),
  );
  const failures = results.filter((r): r is { dependency: Dependency; message: string } => r !== undefined);
  if (failures.length > 0) throw new DependencyUnavailableError(failures);
}

function describe(d: Dependency, config: Config, why: string): string {
  switch (d) {
    case 'redis':
      return `Redis at ${redactUrl(config.REDIS_URL ?? '')} is unreachable: ${why}`;
    case 'postgres':
      return `PostgreSQL at ${redactUrl(config.DATABASE_URL ?? '')} is unreachable: ${why}`;
    case 'qdrant':
      return `Qdrant at ${redactUrl(config.QDRANT_URL ?? '')} is unavailable: ${why}`;
    case 'hubspot':
      return `HubSpot at ${config.hubspot.baseUrl} is unavailable: ${why}`;
  }
}

async function probeRedis(url: string, timeoutMs: number): Promise<void> {
  const { Redis } = await import('ioredis');
  const client = new Redis(url, {
    lazyConnect: true,
    connectTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    enableReadyCheck: false,
    retryStrategy: () => null,
  });
  let cause: Error | undefined;
  client.on('error', (err: Error) => (cause ??= err)); // ioredis rejects with "Connection is closed"; the event says why
  // A server that accepts and never answers: give up and drop the socket, so nothing keeps the process alive.
  const timer = setTimeout(() => {
    cause ??= new Error(`no answer within ${(timeoutMs / 1000).toFixed(1)} s`);
    client.disconnect();
  }, timeoutMs);
  try {
    await client.connect();
    await client.ping();
  } catch (err) {
    throw cause ?? err;
  } finally {
    clearTimeout(timer);
    client.disconnect();
  }
}

async function probePostgres(url: string, timeoutMs: number): Promise<void> {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: timeoutMs, query_timeout: timeoutMs });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('SELECT 1');
  } finally {
    // Not awaited: ending a connection to a server that never answered would wait for it too.
    client.end().catch(() => undefined);
  }
}

async function probeQdrant(url: string, apiKey: string | undefined, timeoutMs: number): Promise<void> {
  const res = await fetch(`${url.replace(/\/+$/, '')}/collections`, {
    headers: apiKey ? { 'api-key': apiKey } : {},
    signal: AbortSignal.timeout(timeoutMs),
  }).catch((err: unknown) => {
    throw new Error(networkReason(err));
  });
  await res.arrayBuffer().catch(() => undefined);
  if (res.status === 401 || res.status === 403) throw new Error(`it refused the API key (${res.status}); check QDRANT_API_KEY`);
  if (!res.ok) throw new Error(`it answered ${res.status}`);
}

/**
 * Reachable means HubSpot answered at all: a 5xx or 429 is a passing moment the gateway retries, and must not
 * keep a worker from starting. A refused token (401/403) is a configuration problem and fails here. OAuth mode
 * has no token of its own (each portal's comes from its installation, checked by `doctor`): reachability only.
 */
async function probeHubSpot(baseUrl: string, token: string | undefined, timeoutMs: number): Promise<void> {
  const res = await fetch(`${baseUrl}/account-info/v3/details`, {
    headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
    signal: AbortSignal.timeout(timeoutMs),
  }).catch((err: unknown) => {
    throw new Error(networkReason(err));
  });
  await res.arrayBuffer().catch(() => undefined);
  if (token === undefined) return;
  if (res.status === 401) throw new Error('it rejected the access token (401); set HUBSPOT_ACCESS_TOKEN to a valid private app token');
  if (res.status === 403) throw new Error('it refused the access token (403): a scope is missing; run `hubspot-ai doctor`');
}

function networkReason(err: unknown): string {
  if (err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError')) return 'no answer in time';
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? errorMessage(err);
}

