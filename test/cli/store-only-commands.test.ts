import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Kysely } from 'kysely';
import { describeFailure } from '../../src/cli.ts';
import { EXIT } from '../../src/cli/exit-codes.ts';
import { createSql } from '../../src/db/sql.ts';
import { HubSpotTransientError } from '../../src/hubspot/errors.ts';
import { freePort } from '../../src/runtime/free-port.ts';
import { startSandbox, type SandboxHandle } from '../../src/sandbox/index.ts';
import { AuditStore } from '../../src/writeback/audit-store.ts';
import { migrateWriteback, type WritebackDb } from '../../src/writeback/sql-schema.ts';
import { runCli } from '../support/cli.ts';
import { tempDir } from '../support/tmp.ts';

/**
 * The commands that only read our own store (audit, index stats, jobs, portals list/purge) work while HubSpot is
 * unreachable, at the speed of the store; the portal they read comes from --portal, HUBSPOT_PORTAL_ID or the store.
 * The commands that need HubSpot end within seconds with exit code 4 and one line naming its URL.
 */

let sb: SandboxHandle;
const tmp = tempDir('hsai-store-only-');
let closed: string; // a loopback port nothing listens on
let reachable: Record<string, string>;
let unreachable: Record<string, string>;

/** Appends one audit entry of `portal` to the store under `dataDir`, as the write-back does. */
async function audit(dataDir: string, portal: string, objectId: string): Promise<void> {
  const handle = await createSql({ dataDir });
  try {
    await migrateWriteback(handle);
    const store = new AuditStore(handle.db as Kysely<WritebackDb>, { redactPrompts: false, now: Date.now, portal: async () => portal });
    await store.append({ event: 'decided', agent: 'lead_score', objectType: 'companies', objectId, field: 'ai_lead_score', decision: 'review', actor: 'test' });
  } finally {
    await handle.close();
  }
}

const timed = async <T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> => {
  const t0 = performance.now();
  const value = await fn();
  return { ms: performance.now() - t0, value };
};

beforeAll(async () => {
  sb = await startSandbox({ port: 0, companies: 4, rateLimit: 0 });
  closed = `http://127.0.0.1:${await freePort()}`;
  const dataDir = path.join(tmp.dir, 'one');
  reachable = { DATA_DIR: dataDir, HUBSPOT_BASE_URL: sb.url, HUBSPOT_ACCESS_TOKEN: sb.token };
  unreachable = { ...reachable, HUBSPOT_BASE_URL: closed };
  const backfill = await runCli(['backfill', '--nice', '0', '--json'], reachable);
  expect(backfill.code, backfill.stderr).toBe(0);
  await audit(dataDir, sb.portalId, '101');
  await audit(dataDir, sb.portalId, '102');
}, 180_000);

afterAll(async () => {
  await sb?.close();
  tmp.cleanup();
});

describe('store-only commands', () => {
  it('answer from the store while HubSpot is unreachable, as they do while it answers, in about a start-up\'s time', async () => {
    const startup = (await timed(() => runCli(['config'], unreachable))).ms;
    for (const args of [['audit', '--json'], ['index', 'stats', '--json'], ['jobs', 'stats', '--json'], ['portals', 'list', '--json']]) {
      const up = await runCli(args, reachable);
      expect(up.code, `${args.join(' ')}: ${up.stderr}`).toBe(0);
      const { ms, value: down } = await timed(() => runCli(args, unreachable));
      expect(down.code, `${args.join(' ')}: ${down.stderr}`).toBe(0);
      // The store's answer does not depend on HubSpot (portals list only cannot mark the token's portal as served).
      if (args[0] !== 'portals') expect(JSON.parse(down.stdout), args.join(' ')).toEqual(JSON.parse(up.stdout));
      // Before: the portal id was asked of HubSpot first, through six retries: exit 1 after ~25 s.
      expect(ms - startup, `${args.join(' ')} took ${Math.round(ms)} ms (start-up ${Math.round(startup)} ms)`).toBeLessThan(5_000);
    }
    const entries = JSON.parse((await runCli(['audit', '--json'], unreachable)).stdout) as Array<{ objectId: string; portalId: string }>;
    expect(entries.map((e) => e.objectId).sort()).toEqual(['101', '102']);
    expect(new Set(entries.map((e) => e.portalId))).toEqual(new Set([sb.portalId]));
    expect(JSON.parse((await runCli(['index', 'stats', '--json'], unreachable)).stdout).accounts).toBe(sb.groundTruth().accounts);

    const list = await runCli(['portals', 'list', '--json'], unreachable);
    expect(JSON.parse(list.stdout)).toEqual([expect.objectContaining({ portal: sb.portalId, audit: 2 })]);
    expect(list.stderr.trim().split('\n')).toEqual([`hubspot-ai: HubSpot at ${closed} is unavailable: ECONNREFUSED`]);
    expect(JSON.parse(list.stdout)[0].status).toBe('not served (data only)');
    const listed = await runCli(['portals', 'list', '--json'], reachable);
    expect(JSON.parse(listed.stdout)).toEqual([expect.objectContaining({ portal: sb.portalId, status: 'served (private app)' })]);
  }, 120_000);

  it('with data of several portals, need --portal (a usage error names them) and read only that portal', async () => {
    const dataDir = path.join(tmp.dir, 'two');
    await audit(dataDir, '2001', '7');
    await audit(dataDir, '30', '8');
    await audit(dataDir, '30', '9');
    const env = { DATA_DIR: dataDir, HUBSPOT_BASE_URL: closed };
    const refused = await runCli(['audit'], env);
    expect(refused.code).toBe(EXIT.USAGE);
    expect(refused.stderr.trim().split('\n')).toEqual(['hubspot-ai: the store holds data of 2 portals (30, 2001): choose one with --portal <id>']);
    expect((await runCli(['index', 'stats'], env)).code).toBe(EXIT.USAGE);
    const chosen = await runCli(['audit', '--portal', '30', '--json'], env);
    expect(chosen.code, chosen.stderr).toBe(0);
    expect((JSON.parse(chosen.stdout) as Array<{ objectId: string }>).map((e) => e.objectId).sort()).toEqual(['8', '9']);
    // An OAuth deployment's HUBSPOT_PORTAL_ID chooses too.
    const oauth = { ...env, HUBSPOT_AUTH: 'oauth', HUBSPOT_CLIENT_ID: 'c', HUBSPOT_CLIENT_SECRET: 's', TOKEN_ENCRYPTION_KEY: 'a'.repeat(64), HUBSPOT_PORTAL_ID: '2001' };
    const configured = await runCli(['audit', '--json'], oauth);
    expect(configured.code, configured.stderr).toBe(0);
    expect((JSON.parse(configured.stdout) as Array<{ objectId: string }>).map((e) => e.objectId)).toEqual(['7']);
    const bad = await runCli(['audit', '--portal', '30x'], env);
    expect(bad.code).toBe(EXIT.USAGE);
    expect(bad.stderr.trim()).toBe('hubspot-ai: --portal takes a HubSpot portal id (digits), not "30x"');
    // A store with no data: nothing to show, no HubSpot needed.
    const empty = await runCli(['audit', '--json'], { DATA_DIR: path.join(tmp.dir, 'empty'), HUBSPOT_BASE_URL: closed });
    expect(empty.code, empty.stderr).toBe(0);
    expect(JSON.parse(empty.stdout)).toEqual([]);
  }, 120_000);

  it('the help of each says it reads the store only and how the portal is chosen, in 80 columns', async () => {
    for (const args of [['audit', '--help'], ['index', 'stats', '--help']]) {
      const help = await runCli(args, {});
      expect(help.code).toBe(0);
      expect(help.stdout).toMatch(/reads the store only, never HubSpot/);
      expect(help.stdout.replace(/\s+/g, ' ')).toMatch(/--portal <id> HubSpot portal id; default: HUBSPOT_PORTAL_ID, else the one portal the store holds data of \(with several, required\)/);
      expect(help.stdout.split('\n').filter((l) => l.length > 80)).toEqual([]);
    }
  });
});

describe('commands that need HubSpot', () => {
  it('end within seconds with exit code 4 and one line naming its URL', async () => {
    const startup = (await timed(() => runCli(['config'], unreachable))).ms;
    for (const args of [['undo', '--since', '2026-01-01'], ['shadow-report'], ['portals', 'add', '123'], ['generate', 'lead_score', '101', '--dry-run'], ['setup']]) {
      const { ms, value: r } = await timed(() => runCli(args, unreachable));
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(EXIT.DEPENDENCY);
      expect(r.stderr.trim().split('\n'), args.join(' ')).toEqual([`hubspot-ai: HubSpot at ${closed} is unavailable: ECONNREFUSED`]);
      expect(ms - startup, `${args.join(' ')} took ${Math.round(ms)} ms`).toBeLessThan(5_000);
    }
  }, 120_000);

  it('a HubSpot that keeps failing after the start-up check (every retry spent) is exit code 4, not 1', () => {
    const err = new HubSpotTransientError(`Network error talking to HubSpot (objects.list): request to ${closed}/crm/v3/objects/companies failed, reason: connect ECONNREFUSED`, { notSent: true });
    expect(describeFailure(err)).toEqual({ code: EXIT.DEPENDENCY, message: err.message });
  });
});
