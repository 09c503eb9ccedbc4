import { describe, expect, it } from 'vitest';
import type { PortalScope } from '../../src/runtime/portal-scopes.ts';
import { PortalScopes } from '../../src/runtime/portal-scopes.ts';

/** A stand-in scope: PortalScopes only builds, hands out and closes scopes; it never looks inside one. */
function harness(opts: { max?: number; idleMs?: number } = {}) {
  let clock = 1_000_000;
  const built: string[] = [];
  const closed: string[] = [];
  const scopes = new PortalScopes({
    build: async (id) => {
      built.push(id);
      if (id === '0') throw new Error('not served');
      return { portalId: id } as PortalScope;
    },
    close: async (s) => void closed.push(s.portalId),
    now: () => clock,
    ...opts,
  });
  return { scopes, built, closed, tick: (ms: number) => (clock += ms) };
}

/** Lets the closes started by an eviction (they run after the scope's promise) finish. */
const settled = () => new Promise((r) => setImmediate(r));

describe('portal scopes stay bounded', () => {
  it('builds a scope once and hands the same one out while it is used', async () => {
    const h = harness();
    const [a, b] = await Promise.all([h.scopes.get('1'), h.scopes.get('1')]);
    expect(a).toBe(b);
    expect(h.built).toEqual(['1']);
  });

  it('closes a scope idle for idleMs at the next use of any portal, and builds it again when it is needed', async () => {
    const h = harness({ idleMs: 60_000 });
    const first = await h.scopes.get('1');
    await h.scopes.get('2');
    h.tick(30_000);
    await h.scopes.get('2');
    h.tick(40_000); // portal 1 idle 70 s, portal 2 idle 40 s
    await h.scopes.get('3');
    await settled();
    expect(h.closed).toEqual(['1']);
    expect(h.scopes.built().sort()).toEqual(['2', '3']);
    const again = await h.scopes.get('1');
    expect(again).not.toBe(first);
    expect(h.built).toEqual(['1', '2', '3', '1']);
    expect(h.scopes.evictions).toBe(1);
  });

  it('keeps at most max scopes, closing the least recently used first', async () => {
    const h = harness({ max: 3 });
    for (const id of ['1', '2', '3']) await h.scopes.get(id);
    await h.scopes.get('1'); // 1 used again: 2 is now the least recently used
    await h.scopes.get('4');
    await h.scopes.get('5');
    await settled();
    expect(h.closed).toEqual(['2', '3']);
    expect(h.scopes.built().sort()).toEqual(['1', '4', '5']);
    // 100 portals touched once each: never more than max built.
    for (let i = 10; i < 110; i++) {
      await h.scopes.get(String(i));
      expect(h.scopes.built().length).toBeLessThanOrEqual(3);
    }
  });

  it('never evicts a scope a job is using; it goes once the job is done and it is idle', async () => {
    const h = harness({ max: 1, idleMs: 60_000 });
    let release!: () => void;
    const job = h.scopes.use('1', async (s) => {
      await new Promise<void>((r) => (release = r));
      return s.portalId;
    });
    await settled();
    h.tick(120_000);
    await h.scopes.get('2');
    await settled();
    expect(h.closed).toEqual([]);
    expect(h.scopes.built().sort()).toEqual(['1', '2']);
    release();
    expect(await job).toBe('1');
    h.tick(120_000);
    await h.scopes.get('3');
    await settled();
    expect(h.closed.sort()).toEqual(['1', '2']);
  });

  it('forgets a scope that failed to build, and closes everything on closeAll', async () => {
    const h = harness();
    await expect(h.scopes.get('0')).rejects.toThrow(/not served/);
    await settled();
    expect(h.scopes.built()).toEqual([]);
    await h.scopes.get('1');
    await h.scopes.get('2');
    await h.scopes.forget('1');
    expect(h.closed).toEqual(['1']);
    await h.scopes.closeAll();
    expect(h.closed).toEqual(['1', '2']);
    expect(h.scopes.built()).toEqual([]);
  });
});

describe('a purge has the portal to itself', () => {
  it('waits for the leases out (jobs, requests); new leases wait for it and then build the scope again', async () => {
    const h = harness();
    const events: string[] = [];
    const request = await h.scopes.lease('1');
    const job = h.scopes.use('1', async () => {
      await new Promise<void>((r) => setImmediate(r));
      events.push('job done');
    });
    await job;
    expect(h.scopes.holders('1')).toBe(1);
    const purge = h.scopes.exclusive('1', async () => {
      events.push('purge runs');
      return 'purged';
    });
    await settled();
    // A lease asked for while the purge waits: it waits behind the purge.
    const later = h.scopes.lease('1').then((l) => {
      events.push('later lease');
      return l;
    });
    // Another portal is not held up.
    await h.scopes.use('2', async () => void events.push('portal 2'));
    await settled();
    expect(events).toEqual(['job done', 'portal 2']);
    request.release();
    request.release(); // twice is harmless
    expect(await purge).toBe('purged');
    const l = await later;
    expect(events).toEqual(['job done', 'portal 2', 'purge runs', 'later lease']);
    // The purge dropped the scope it found; the lease after it built a new one.
    expect(h.closed).toEqual(['1']);
    expect(h.built.filter((id) => id === '1')).toHaveLength(2);
    l.release();
    expect(h.scopes.holders('1')).toBe(0);
  });

  it('fails with PORTAL_BUSY, running nothing, when the work does not end in time; the portal stays usable', async () => {
    const h = harness();
    const request = await h.scopes.lease('1');
    let ran = false;
    await expect(h.scopes.exclusive('1', async () => void (ran = true), { waitMs: 50 })).rejects.toMatchObject({ code: 'PORTAL_BUSY' });
    expect(ran).toBe(false);
    expect(h.closed).toEqual([]);
    const again = await h.scopes.lease('1');
    expect(h.scopes.holders('1')).toBe(2);
    again.release();
    request.release();
    expect(await h.scopes.exclusive('1', async () => 'ok')).toBe('ok');
  });

  it('a scope that failed to build releases its lease', async () => {
    const h = harness();
    await expect(h.scopes.lease('0')).rejects.toThrow(/not served/);
    expect(h.scopes.holders('0')).toBe(0);
    expect(await h.scopes.exclusive('0', async () => 'free')).toBe('free');
  });
});
