import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ObjectType } from '../../src/core/objects.ts';
import type { Embedder } from '../../src/text/embedder.ts';
import { Indexer } from '../../src/ingest/indexer.ts';
import { chunkId } from '../../src/text/chunk-id.ts';
import { createIngestHandlers, ingestRecord } from '../../src/events/ingest-jobs.ts';
import type { IngestRecordPayload } from '../../src/queue/jobs.ts';
import type { JobContext } from '../../src/queue/queue.ts';
import { startSandbox } from '../../src/sandbox/index.ts';
import { tempDir } from '../support/tmp.ts';
import { indexSnapshot, openIngestStack, type IngestStack } from '../fixtures/backfill-stack.ts';

/**
 * Incremental correctness against the sandbox portal over HTTP: each change a HubSpot user can make to an
 * account's history (edit, archive, merge, moved association, deletion while a job waits) ends with the index
 * holding exactly the account's current history, and an unchanged account costs nothing.
 */

type Sandbox = Awaited<ReturnType<typeof startSandbox>>;

let sandbox: Sandbox;
let stack: IngestStack;
let portalId: string;
let cleanup: () => void;

async function hubspot(method: string, path: string, body?: unknown): Promise<unknown> {
  const res = await fetch(`${sandbox.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${sandbox.token}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`${method} ${path} → ${res.status} ${await res.text()}`);
  const text = await res.text();
  return text ? JSON.parse(text) : undefined;
}

function allAccounts(): string[] {
  const truth = sandbox.groundTruth();
  return [...truth.companies.map((c) => c.id), ...truth.contactsWithoutCompany.map((id) => `contact:${id}`)];
}

/** Accounts whose stored chunks include this source. */
async function holders(sourceId: string): Promise<string[]> {
  const out: string[] = [];
  for (const a of await stack.store.listAccounts(portalId)) {
    if ((await stack.store.listChunkKeys(portalId, a)).some((k) => k.sourceId === sourceId)) out.push(a);
  }
  return out.sort();
}

/** A source of this type held by exactly one company account, which HubSpot also says is its only account. */
async function soleSource(type: ObjectType, exclude: string[] = []): Promise<{ id: string; accountId: string }> {
  for (const accountId of await stack.store.listAccounts(portalId)) {
    if (accountId.startsWith('contact:') || exclude.includes(accountId)) continue;
    for (const k of await stack.store.listChunkKeys(portalId, accountId)) {
      if (!k.sourceId.startsWith(`${type}:`)) continue;
      const id = k.sourceId.slice(type.length + 1);
      const accounts = await stack.gateway.accountsOf(type, id);
      if (accounts.length === 1 && accounts[0] === accountId) return { id, accountId };
    }
  }
  throw new Error(`no ${type} held by a single company`);
}

const job = <P>(payload: P): JobContext<P> => ({
  id: 'test',
  type: 'ingest.record',
  payload,
  attempt: 1,
  maxAttempts: 1,
  signal: new AbortController().signal,
});

function record(p: Omit<IngestRecordPayload, 'portalId' | 'occurredAt'>): IngestRecordPayload {
  return { portalId, occurredAt: Date.now(), ...p };
}

beforeAll(async () => {
  sandbox = await startSandbox({ port: 0, seed: 7, companies: 12, rateLimit: 1000, faultRate: 0, latencyMs: 0 });
  const tmp = tempDir('hsai-indexer-');
  cleanup = tmp.cleanup;
  stack = await openIngestStack({ baseUrl: sandbox.url, accessToken: sandbox.token, dataDir: tmp.dir, rateLimitPer10s: 1000 });
  portalId = await stack.gateway.portalId();
  const first = await stack.indexer.reindexAccounts(portalId, allAccounts());
  expect(first.accounts).toBe(allAccounts().length);
  expect(first.chunksEmbedded).toBeGreaterThan(0);
}, 300_000); // the first index of 12 companies: seconds when idle, minutes on a loaded machine

afterAll(async () => {
  await stack?.close();
  await sandbox?.close();
  cleanup?.();
});

describe('Indexer: incremental correctness against the sandbox', () => {
  it('derives chunk ids deterministically from portal, account, source and chunk index', () => {
    expect(chunkId('1', '2', 'notes:3', 0)).toBe(chunkId('1', '2', 'notes:3', 0));
    expect(chunkId('1', '2', 'notes:3', 0)).not.toBe(chunkId('1', '2', 'notes:3', 1));
    expect(chunkId('1', '2', 'notes:3', 0)).not.toBe(chunkId('1', '9', 'notes:3', 0));
  });

  it('re-indexing unchanged accounts makes no embedding call and writes no point', async () => {
    const calls = { embed: 0, upsertChunks: 0, deleteChunks: 0, upsertProfiles: 0 };
    // Counting decorators over the real store and embedder (not mocks): they only observe the calls.
    const store = new Proxy(stack.store, {
      get(target, prop, receiver) {
        const v = Reflect.get(target, prop, receiver);
        if (typeof v !== 'function') return v;
        return (...args: unknown[]) => {
          if (prop in calls) calls[prop as keyof typeof calls] += 1;
          return (v as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    });
    const embedder: Embedder = {
      provider: stack.embedder.provider,
      model: stack.embedder.model,
      dimensions: stack.embedder.dimensions,
      embed: (texts, role) => {
        calls.embed += 1;
        return stack.embedder.embed(texts, role);
      },
      cacheTag: (role) => stack.embedder.cacheTag(role),
      ping: () => stack.embedder.ping(),
      close: async () => undefined,
    };
    const before = await indexSnapshot(stack.store, portalId);
    const indexer = new Indexer({ store, embedder, gateway: stack.gateway });
    const r = await indexer.reindexAccounts(portalId, allAccounts());
    expect(r).toMatchObject({ chunksEmbedded: 0, chunksDeleted: 0, embeddingTokens: 0, profilesUpdated: 0, accountsRemoved: 0 });
    expect(r.chunksUnchanged).toBe(r.chunks);
    expect(calls).toEqual({ embed: 0, upsertChunks: 0, deleteChunks: 0, upsertProfiles: 0 });
    expect(await indexSnapshot(stack.store, portalId)).toEqual(before);
  });

  it('an edited note replaces its chunks, and only its chunks', async () => {
    const { id, accountId } = await soleSource('notes');
    const before = await stack.store.listChunkKeys(portalId, accountId);
    await hubspot('PATCH', `/crm/v3/objects/notes/${id}`, {
      properties: { hs_note_body: 'Renewal moved to Q3: the zebracorn budget freeze blocks signature until July.' },
    });
    const r = await ingestRecord(stack, record({ objectType: 'notes', objectId: id, reason: 'propertyChange' }));
    expect(r.chunksEmbedded).toBeGreaterThan(0);

    const after = await stack.store.listChunkKeys(portalId, accountId);
    const noteChunks = after.filter((k) => k.sourceId === `notes:${id}`);
    expect(noteChunks.length).toBe(1);
    const [stored] = await stack.store.getChunks(portalId, noteChunks.map((k) => k.id));
    expect(stored?.text).toContain('zebracorn');
    // Every other chunk of the account is untouched.
    const others = (keys: typeof before) => keys.filter((k) => k.sourceId !== `notes:${id}`).map((k) => `${k.id}:${k.contentHash}`).sort();
    expect(others(after)).toEqual(others(before));
  });

  it('an archived note loses its chunks', async () => {
    const { id, accountId } = await soleSource('notes');
    expect(await holders(`notes:${id}`)).toEqual([accountId]);
    await hubspot('DELETE', `/crm/v3/objects/notes/${id}`);
    const r = await ingestRecord(stack, record({ objectType: 'notes', objectId: id, reason: 'deletion' }));
    expect(r.chunksDeleted + r.removedSources).toBeGreaterThan(0);
    expect(await holders(`notes:${id}`)).toEqual([]);
    expect((await stack.store.listAccounts(portalId))).toContain(accountId);
  });

  it('a merged company moves its history to the survivor', async () => {
    const companies = sandbox.groundTruth().companies.map((c) => c.id);
    const [primary, merged] = [companies[3]!, companies[4]!];
    const mergedSources = [...new Set((await stack.store.listChunkKeys(portalId, merged)).map((k) => k.sourceId))].filter(
      (s) => !s.startsWith('companies:'),
    );
    expect(mergedSources.length).toBeGreaterThan(0);
    await hubspot('POST', '/crm/v3/objects/companies/merge', { primaryObjectId: primary, objectIdToMerge: merged });
    await ingestRecord(stack, record({ objectType: 'companies', objectId: primary, reason: 'merge', mergedObjectIds: [merged] }));

    expect(await stack.store.listAccounts(portalId)).not.toContain(merged);
    expect(await stack.store.listChunkKeys(portalId, merged)).toEqual([]);
    const survivor = new Set((await stack.store.listChunkKeys(portalId, primary)).map((k) => k.sourceId));
    for (const s of mergedSources) expect(survivor.has(s), s).toBe(true);
    expect(survivor.has(`companies:${merged}`)).toBe(false);
  });

  it('a changed association moves chunks between accounts', async () => {
    const { id, accountId: from } = await soleSource('notes');
    const to = sandbox.groundTruth().companies.map((c) => c.id).find((c) => c !== from && !c.startsWith('contact:'))!;
    // Detach the note from everything of the old account (its company, contacts, deals), then attach it elsewhere.
    const links = (await stack.gateway.engagementAssociations('notes', [id])).get(id)!;
    for (const [toType, ids] of Object.entries(links)) {
      if (ids.length === 0) continue;
      await hubspot('POST', `/crm/v4/associations/notes/${toType}/batch/archive`, { inputs: [{ from: { id }, to: ids.map((x: string) => ({ id: x })) }] });
    }
    await hubspot('PUT', `/crm/v4/objects/notes/${id}/associations/default/companies/${to}`);
    // Engagement association changes carry no "other side": the index tells where the chunks were.
    await ingestRecord(stack, record({ objectType: 'notes', objectId: id, reason: 'associationChange' }));
    expect(await holders(`notes:${id}`)).toEqual([to]);
  });

  it('a contact that joins a company stops being an account of its own', async () => {
    const loner = sandbox.groundTruth().contactsWithoutCompany[0]!;
    const company = sandbox.groundTruth().companies[6]!.id;
    const lonerSources = [...new Set((await stack.store.listChunkKeys(portalId, `contact:${loner}`)).map((k) => k.sourceId))];
    expect(lonerSources.length).toBeGreaterThan(0);
    await hubspot('PUT', `/crm/v4/objects/contacts/${loner}/associations/default/companies/${company}`);
    await ingestRecord(
      stack,
      record({ objectType: 'contacts', objectId: loner, reason: 'associationChange', related: [{ objectType: 'companies', objectId: company }] }),
    );
    expect(await stack.store.listAccounts(portalId)).not.toContain(`contact:${loner}`);
    const companySources = new Set((await stack.store.listChunkKeys(portalId, company)).map((k) => k.sourceId));
    expect(companySources.has(`contacts:${loner}`)).toBe(true);
  });

  it('a record deleted before its job runs ends cleanly with its chunks removed', async () => {
    const { id } = await soleSource('deals');
    await hubspot('DELETE', `/crm/v3/objects/deals/${id}`);
    const handlers = createIngestHandlers({ indexer: stack.indexer, gateway: stack.gateway });
    // The job was queued for an edit; by the time it runs the deal is gone (404 from HubSpot).
    await handlers['ingest.record'](job(record({ objectType: 'deals', objectId: id, reason: 'propertyChange' })));
    expect(await holders(`deals:${id}`)).toEqual([]);
  });

  it('a deleted company is removed from the index by its ingest.account job', async () => {
    const company = sandbox.groundTruth().companies[8]!.id;
    expect(await stack.store.listChunkKeys(portalId, company)).not.toEqual([]);
    await hubspot('DELETE', `/crm/v3/objects/companies/${company}`);
    const handlers = createIngestHandlers({ indexer: stack.indexer, gateway: stack.gateway });
    await handlers['ingest.account'](job({ portalId, accountId: company }));
    expect(await stack.store.listAccounts(portalId)).not.toContain(company);
    expect(await stack.store.getProfile(portalId, company)).toBeNull();
  });
});
