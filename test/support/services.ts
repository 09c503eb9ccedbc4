import { describe } from 'vitest';

/**
 * Real Redis and PostgreSQL for suites that need them. Without REDIS_URL / DATABASE_URL a developer's
 * `npm test` skips those suites and says how to run them; under CI=true a missing service fails the run.
 */
const CI = process.env.CI === 'true' || process.env.CI === '1';

function needs(name: string, envVar: string, value: string | undefined) {
  if (value) return { run: true as const, url: value };
  if (CI) {
    throw new Error(`${envVar} is not set but CI=true: the ${name} suites must run in CI (bash .ci/run starts ${name}).`);
  }
  console.warn(`[skipped] ${name} suites: set ${envVar} (or run \`bash .ci/run\`, which starts ${name}) to run them.`);
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
