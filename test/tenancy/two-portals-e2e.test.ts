import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CachedEmbedder, embeddingCacheKey } from '../../src/ingest/cached-embedder.ts';
import type { WorkerHandle } from '../../src/queue/queue.ts';
import { portalCachePrefixes, portalFootprint } from '../../src/runtime/portal-purge.ts';
import { startWorkers } from '../../src/runtime/workers.ts';
import { signV3 } from '../../src/sandbox/index.ts';
import { APP_UNINSTALL_EVENT_TYPE_ID } from '../../src/sandbox/portals.ts';
import { tempDir } from '../support/tmp.ts';
import { PUBLIC_URL, startTenantStack, type TenantStack } from './support.ts';

/**
 * Issue 19, acceptance 1, end to end against the sandbox: two portals install the app through OAuth; a call is
 * logged in each and its webhook delivered; each portal's webhook is ingested into its own index, its call
 * summary proposed and waiting for review in its own queue (the API shows each portal's reviewers only theirs);
 * then one portal uninstalls the app and, with PURGE_ON_UNINSTALL, nothing of it is left in any store: SQL
 * tables, vectors, cache keys (its embeddings and webhook marks included) and the queue. The other is untouched.
 */

const A = 8801;
const B = 8802;
const TOKENS = { [A]: 'e2e-reviewer-a', [B]: 'e2e-reviewer-b' } as Record<number, string>;

describe('two portals through OAuth: webhook ▸ ingest ▸ proposal ▸ review each, then one uninstalled and purged', () => {
  let s: TenantStack;
  let workers: WorkerHandle;
  const tmp = tempDir('hsai-two-portals-');
  const company: Record<number, string> = {};
  let eventId = 100;

  const deliver = async (events: unknown[]) => {
    const body = JSON.stringify(events);
    const ts = Date.now();
    const res = await s.app.inject({
      method: 'POST',
      url: '/webhooks/hubspot',
      headers: { 'content-type': 'application/json', 'x-hubspot-signature-v3': signV3(s.sb.clientSecret, 'POST', `${PUBLIC_URL}/webhooks/hubspot`, body, ts), 'x-hubspot-request-timestamp': String(ts) },
      payload: body,
    });
    expect(res.statusCode, res.body).toBe(200);
    return res.json<{ accepted: number; ignored: number }>();
  };
  const until = async <T>(what: string, probe: () => Promise<T | undefined>, ms = 120_000): Promise<T> => {
    const deadline = Date.now() + ms;
    for (;;) {
      const v = await probe();
      if (v !== undefined) return v;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };

  beforeAll(async () => {
    // Every AI note waits for a person, so each portal's call summary lands in its review queue.
    const policy = path.join(tmp.dir, 'policy.yaml');
    fs.writeFileSync(policy, 'version: 1\nnotes: { mode: review, confidenceThreshold: 0.5 }\n');
    s = await startTenantStack({
      portals: [{ portalId: A, companies: 4 }, { portalId: B, companies: 4, seed: 12 }],
      env: { POLICY_FILE: policy, PURGE_ON_UNINSTALL: 'true', WEBHOOK_COALESCE_MS: '50', API_TOKENS: `${TOKENS[A]}:reviewer:ana@${A},${TOKENS[B]}:reviewer:bob@${B}` },
    });
    for (const p of [A, B]) {
      await s.install(p);
      await (await s.container.portal(String(p))).writeback.setup();
    }
    workers = await startWorkers(s.container);
  }, 180_000);
  afterAll(async () => {
    await workers?.close(5_000);
    await s?.close();
    tmp.cleanup();
  });

  it('each portal\'s webhook becomes its own index, proposal and review', async () => {
    for (const p of [A, B]) {
      company[p] = s.sb.portal(p).groundTruth().companies[0]!.id;
      const res = await fetch(`${s.sb.url}/_sandbox/portals/${p}/simulate/call`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ companyId: company[p] }) });
      expect(res.status, await res.clone().text()).toBe(201);
      const call = ((await res.json()) as { ids: { calls: string[] } }).ids.calls[0]!;
      const answer = await deliver([{ eventId: eventId++, subscriptionId: 1, portalId: p, appId: Number(s.sb.appId), occurredAt: Date.now(), subscriptionType: 'object.creation', objectTypeId: '0-48', objectId: Number(call), attemptNumber: 0, changeSource: 'CRM_UI' }]);
      expect(answer.accepted).toBe(1);
    }
    for (const p of [A, B]) {
      const wb = (await s.container.portal(String(p))).writeback;
      const reviews = await until(`a review in portal ${p}`, async () => {
        const r = await wb.listReviews({ status: 'pending' });
        return r.length > 0 ? r : undefined;
      });
      expect(reviews.every((r) => r.proposal.portalId === String(p) && r.proposal.accountId === company[p]), JSON.stringify(reviews.map((r) => r.proposal.accountId))).toBe(true);
      expect((await (await s.container.store()).listAccounts(String(p)))).toContain(company[p]);
      // Each portal's reviewer sees its own reviews, and another portal's ids are not found.
      const mine = (await s.app.inject({ method: 'GET', url: '/v1/reviews', headers: { authorization: `Bearer ${TOKENS[p]}` } })).json<{ reviews: Array<{ id: string }> }>();
      expect(mine.reviews.map((r) => r.id).sort()).toEqual(reviews.map((r) => r.id).sort());
      const other = p === A ? B : A;
      for (const r of reviews) {
        expect((await s.app.inject({ method: 'GET', url: `/v1/reviews/${r.id}`, headers: { authorization: `Bearer ${TOKENS[other]}` } })).statusCode).toBe(404);
      }
    }
  }, 240_000);

  it('an uninstalled portal is purged from every store; the other keeps everything', async () => {
    const c = s.container;
    const cache = await c.cache();
    const beforeA = await portalFootprint(c, String(A));
    const beforeB = await portalFootprint(c, String(B));
    expect(beforeB.vectors.chunks).toBeGreaterThan(0);
    expect(beforeB.sql.writeback_reviews).toBeGreaterThan(0);
    // A model's vectors of B's chunks are cached through B's view of the embedding cache, under B's prefix (this
    // stack's offline embedder is never cached: hashing is cheaper than the cache), as B's cached view writes them.
    const store = await c.store();
    const embedder = await c.embedder();
    const [chunk] = await store.getChunks(String(B), (await store.listChunkKeys(String(B), company[B]!)).map((k) => k.id).slice(0, 1));
    await new CachedEmbedder(embedder, cache).forPortal(String(B)).embed([chunk!.text]);
    const key = embeddingCacheKey(embedder.model, embedder.dimensions, chunk!.text, embedder.cacheTag('document'), String(B));
    expect(key.startsWith(portalCachePrefixes(String(B))[2]!)).toBe(true);
    expect(await cache.get(key)).not.toBeNull();
    await deliver([{ eventId: eventId++, subscriptionId: 1, portalId: B, appId: Number(s.sb.appId), occurredAt: Date.now(), subscriptionType: 'APP_LIFECYCLE_EVENT', eventTypeId: APP_UNINSTALL_EVENT_TYPE_ID, attemptNumber: 0 }]);
    await until('the purge of B', async () => {
      const f = await portalFootprint(c, String(B));
      return f.vectors.chunks === 0 && Object.values(f.sql).every((n) => n === 0) ? f : undefined;
    });
    const after = await portalFootprint(c, String(B));
    expect(after.vectors).toEqual({ accounts: 0, chunks: 0 });
    // Nothing of B under any of its cache prefixes (webhook marks, own writes, embeddings, model responses) ...
    for (const prefix of portalCachePrefixes(String(B))) expect(await cache.deletePrefix(prefix), prefix).toBe(0);
    expect(await cache.get(key)).toBeNull();
    // ... nor in the queue, and B is not served any more.
    expect(await (await c.queue()).removePortalJobs(String(B))).toBe(0);
    await expect(c.portal(String(B))).rejects.toMatchObject({ code: 'PORTAL_NOT_SERVED' });
    expect((await s.app.inject({ method: 'GET', url: '/v1/reviews', headers: { authorization: `Bearer ${TOKENS[B]}` } })).statusCode).toBe(404);
    // A is as it was, embeddings included.
    expect(await portalFootprint(c, String(A))).toEqual(beforeA);
  }, 180_000);
});
