import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runDoctor } from '../../src/cli/doctor.ts';
import { startTenantStack, type TenantStack } from '../tenancy/support.ts';

const A = 6701;
const B = 6702;

describe('doctor in OAuth mode checks each portal', () => {
  let s: TenantStack;
  beforeAll(async () => {
    s = await startTenantStack({ portals: [{ portalId: A, companies: 2 }, { portalId: B, companies: 2, seed: 12 }] });
    await s.install(A);
    await s.install(B);
  }, 60_000);
  afterAll(async () => s?.close());

  it("reports every installed portal's token, scopes and rate-limit headroom, and an uninstalled one as skipped", async () => {
    await s.sb.uninstall(B);
    await (await s.container.oauth())!.tokens.uninstall(String(B), 'app uninstalled in HubSpot');
    const checks = await runDoctor(s.config, s.container);
    const byName = new Map(checks.map((c) => [c.name, c]));
    expect(byName.get(`portal ${A} token`)).toMatchObject({ ok: true });
    expect(byName.get(`portal ${A} scopes`)).toMatchObject({ ok: true, detail: 'every object type the product reads is readable' });
    expect(byName.get(`portal ${A} rate limit`)?.ok).toBe(true);
    expect(byName.get(`portal ${B}`)).toMatchObject({ ok: true, skipped: true });
    expect(byName.get(`portal ${B}`)?.detail).toMatch(/uninstalled \(app uninstalled in HubSpot\)/);
    expect(checks.some((c) => c.name === 'hubspot token')).toBe(false);
  });
});
