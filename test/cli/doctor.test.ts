import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type SandboxHandle } from '../../src/sandbox/index.ts';
import { runCli } from '../support/cli.ts';
import { tempDir } from '../support/tmp.ts';

const cli = runCli;

let sb: SandboxHandle;
let tmp: { dir: string; cleanup: () => void };

beforeAll(async () => {
  sb = await startSandbox({ port: 0, companies: 5, rateLimit: 0 });
  tmp = tempDir('hsai-doctor-');
});
afterAll(async () => {
  await sb?.close();
  tmp?.cleanup();
});

describe('hubspot-ai doctor', () => {
  it('reports a wrong token, a missing webhook secret and a down Redis, and exits non-zero', async () => {
    const r = await cli(['doctor'], {
      DATA_DIR: tmp.dir,
      HUBSPOT_BASE_URL: sb.url,
      HUBSPOT_ACCESS_TOKEN: 'wrong-token',
      REDIS_URL: 'redis://127.0.0.1:1',
    });
    expect(r.code).toBe(6);
    expect(r.stdout).toMatch(/✖ hubspot token: .*401|✖ hubspot token: .*(token|auth)/i);
    expect(r.stdout).toMatch(/HUBSPOT_ACCESS_TOKEN/);
    expect(r.stdout).toMatch(/✖ webhook secret: HUBSPOT_CLIENT_SECRET is not set/);
    expect(r.stdout).toMatch(/✖ redis: /);
    expect(r.stdout).toMatch(/3 problems found/);
  }, 180_000);

  it('exits 0 when everything needed is there (after setup)', async () => {
    const env = { DATA_DIR: tmp.dir, HUBSPOT_BASE_URL: sb.url, HUBSPOT_ACCESS_TOKEN: sb.token, HUBSPOT_CLIENT_SECRET: 'secret-123' };
    const before = await cli(['doctor', '--json'], env);
    expect(before.code).toBe(6);
    const checks = JSON.parse(before.stdout).checks as Array<{ name: string; ok: boolean; fix?: string }>;
    expect(checks.find((c) => c.name === 'ai_* properties')).toMatchObject({ ok: false, fix: 'run `hubspot-ai setup`' });

    const setup = await cli(['setup'], env);
    expect(setup.code).toBe(0);
    const after = await cli(['doctor'], env);
    expect(after.stdout).toMatch(/All checks passed/);
    expect(after.code).toBe(0);
  }, 120_000);
});
