import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Ceilings, not expectations: the suite must pass on a loaded machine (npm run test:load), where start-up
    // hooks that take seconds when idle can take minutes.
    testTimeout: 120_000,
    hookTimeout: 180_000,
    // Two cores: files run in two forks; suites that share Redis/PostgreSQL use unique prefixes/schemas.
    pool: 'forks',
    maxWorkers: 2,
    reporters: ['default'],
    setupFiles: ['test/support/setup.ts'],
  },
});
