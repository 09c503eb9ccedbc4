import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callSummaryAgent } from '../../src/agents/call-summary.ts';
import { OfflineProvider } from '../../src/agents/offline-provider.ts';
import { runAgent } from '../../src/agents/runner.ts';
import { ingestRecord, type IngestHandlerDeps } from '../../src/events/ingest-jobs.ts';
import { HistorySnapshots } from '../../src/ingest/history-snapshots.ts';
import { Indexer } from '../../src/ingest/indexer.ts';
import type { IngestRecordPayload } from '../../src/queue/jobs.ts';
import { startSandbox } from '../../src/sandbox/index.ts';
import { tempDir } from '../support/tmp.ts';
import { indexSnapshot, openIngestStack, type IngestStack } from '../fixtures/backfill-stack.ts';

/**
 * Issue 17, goal: at most 10 HubSpot requests per webhook-triggered ingest of one account. Counted by the
 * sandbox (every API route it answered), against the same ingest without an indexed snapshot (the whole
 * history read, ~50 requests), and checked for correctness: the index after the cheap path is exactly what a
 * full re-read produces.
 */
type Sandbox = Awaited<ReturnType<typeof startSandbox>>;
let sandbox: Sandbox;
let stack: IngestStack;
let deps: IngestHandlerDeps;
let snapshots: HistorySnapshots;
let portalId: string;
let companyId: string;
let cleanup: () => void;

async function simulate(what: string, body: Record<string, unknown>): Promise<{ ids: Record<string, string[] | undefined> }> {
  const res = await fetch(`${sandbox.url}/_sandbox/simulate/${what}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (!res.ok) throw new Error(`simulate ${what} → ${res.status} ${await res.text()}`);
  return (await res.json()) as { ids: Record<string, string[] | undefined> };
}

/** HubSpot API requests (every sandbox route but its harness) made while `fn` runs. */
async function requestsDuring(fn: () => Promise<unknown>): Promise<number> {
  const before = sandbox.metrics().byRoute;
  await fn();
  let n = 0;
  for (const [route, count] of Object.entries(sandbox.metrics().byRoute)) if (!route.includes('/_sandbox')) n += count - (before[route] ?? 0);
  return n;
}

const record = (p: Omit<IngestRecordPayload, 'portalId' | 'occurredAt'>): IngestRecordPayload => ({ portalId, occurredAt: Date.now(), ...p });

/** The index after a full re-read of every account must equal the index the cheap path left. */
async function expectSameAsFullRead(): Promise<void> {
  const after = await indexSnapshot(stack.store, portalId);
  await new Indexer({ store: stack.store, embedder: stack.embedder, gateway: stack.gateway }).reindexAccounts(portalId, await stack.store.listAccounts(portalId));
  expect(await indexSnapshot(stack.store, portalId)).toEqual(after);
}

beforeAll(async () => {
  sandbox = await startSandbox({ port: 0, seed: 11, companies: 6, whales: 0, rateLimit: 5000, faultRate: 0, latencyMs: 0 });
  const tmp = tempDir('hsai-ingest-calls-');
  cleanup = tmp.cleanup;
  stack = await openIngestStack({ baseUrl: sandbox.url, accessToken: sandbox.token, dataDir: tmp.dir, rateLimitPer10s: 5000, pool: false });
  portalId = await stack.gateway.portalId();
  snapshots = new HistorySnapshots(stack.cache!);
  const indexer = new Indexer({ store: stack.store, embedder: stack.embedder, gateway: stack.gateway, snapshots });
  deps = { indexer, gateway: stack.gateway };
  const truth = sandbox.groundTruth();
  await indexer.reindexAccounts(portalId, [...truth.companies.map((c) => c.id), ...truth.contactsWithoutCompany.map((id) => `contact:${id}`)]);
  companyId = truth.companies[0]!.id;
}, 120_000);

afterAll(async () => {
  await stack?.close();
  await sandbox?.close();
  cleanup?.();
});

describe('HubSpot requests of one webhook-triggered ingest', () => {
  let cold = 0;

  it('without an indexed snapshot, a new note reads its account whole (the baseline)', async () => {
    const { ids } = await simulate('note', { companyId, text: 'Procurement asked about the ospreyline rollout.' });
    const r = { patched: -1 };
    cold = await requestsDuring(async () => Object.assign(r, await ingestRecord(deps, record({ objectType: 'notes', objectId: ids.notes![0]!, reason: 'creation' }))));
    expect(r.patched).toBe(0);
    expect(cold).toBeGreaterThan(30);
  });

  it('with the snapshot that ingest left, the next note costs at most 10 requests and indexes the same', async () => {
    const { ids } = await simulate('note', { companyId, text: 'Legal wants the heronmark clause removed before signature.' });
    const noteId = ids.notes![0]!;
    const r = { patched: -1, current: [] as string[] };
    const warm = await requestsDuring(async () => Object.assign(r, await ingestRecord(deps, record({ objectType: 'notes', objectId: noteId, reason: 'creation' }))));
    console.log(`HubSpot requests per webhook ingest of one account: ${warm} with its indexed snapshot, ${cold} reading it whole (ratio ${(warm / cold).toFixed(2)})`);
    expect(r.patched).toBe(1);
    expect(r.current).toEqual([companyId]);
    expect(warm).toBeLessThanOrEqual(10);
    expect((await stack.store.listChunkKeys(portalId, companyId)).some((k) => k.sourceId === `notes:${noteId}`)).toBe(true);
    await expectSameAsFullRead();
  });

  it('the call summary its ingest starts reads the call from the indexed snapshot: one request (the target’s ai_* values)', async () => {
    const { ids } = await simulate('call', { companyId });
    const callId = ids.calls![0]!;
    await ingestRecord(deps, record({ objectType: 'calls', objectId: callId, reason: 'creation' }));
    const snap = await snapshots.get(portalId, companyId);
    expect(snap?.history.engagements.some((e) => e.type === 'calls' && e.object.id === callId)).toBe(true);
    const agentDeps = {
      gateway: stack.gateway,
      store: stack.store,
      embedder: stack.embedder,
      provider: new OfflineProvider(),
      readHistory: async (a: string) => (a === companyId ? snap!.history : undefined),
    };
    const trigger = { portalId, runId: 'calls-read-once', objectType: 'calls' as const, objectId: callId, accountId: companyId };
    // Without the snapshot (an API run) the call, its associations and the account are read from HubSpot; this
    // run also loads the owners and pipelines, which every run shares for ten minutes.
    const { readHistory: _snapshot, ...cold } = agentDeps;
    const without = await requestsDuring(() => runAgent(callSummaryAgent, cold, { ...trigger, runId: 'calls-read-cold' }));
    const result = { proposals: [] as unknown[] };
    const n = await requestsDuring(async () => Object.assign(result, await runAgent(callSummaryAgent, agentDeps, trigger)));
    console.log(`HubSpot requests of a call summary run: ${n} with the indexed snapshot, ${without} without`);
    expect(result.proposals.length).toBeGreaterThan(0);
    expect(n).toBe(1);
    expect(without).toBeGreaterThan(n);
  });

  it('a deal stage change costs at most 10 requests and indexes the same', async () => {
    const { ids } = await simulate('deal-stage', {});
    const dealId = ids.deals![0]!;
    // The first change to this account reads it whole and leaves its snapshot; the next one patches that.
    await ingestRecord(deps, record({ objectType: 'deals', objectId: dealId, reason: 'propertyChange' }));
    await simulate('deal-stage', { dealId, stage: 'contractsent' });
    const r = { patched: -1 };
    const n = await requestsDuring(async () =>
      Object.assign(r, await ingestRecord(deps, record({ objectType: 'deals', objectId: dealId, reason: 'propertyChange' }))),
    );
    expect(r.patched).toBeGreaterThan(0);
    expect(n).toBeLessThanOrEqual(10);
    await expectSameAsFullRead();
  });

  it('an edited note that moved to another company leaves the old one and joins the new one', async () => {
    const { ids } = await simulate('note', { companyId, text: 'Budget owner is the finance director, kingfisherway.' });
    const noteId = ids.notes![0]!;
    await ingestRecord(deps, record({ objectType: 'notes', objectId: noteId, reason: 'creation' }));
    const other = sandbox.groundTruth().companies[1]!.id;
    // Moved by a person (HubSpot sends no association event for engagements), then edited.
    const api = (method: string, path: string, body?: unknown) =>
      fetch(`${sandbox.url}${path}`, { method, headers: { authorization: `Bearer ${sandbox.token}`, 'content-type': 'application/json' }, ...(body ? { body: JSON.stringify(body) } : {}) });
    expect((await api('POST', '/crm/v4/associations/notes/companies/batch/archive', { inputs: [{ from: { id: noteId }, to: [{ id: companyId }] }] })).ok).toBe(true);
    expect((await api('PUT', `/crm/v4/objects/notes/${noteId}/associations/default/companies/${other}`)).ok).toBe(true);
    expect((await api('PATCH', `/crm/v3/objects/notes/${noteId}`, { properties: { hs_note_body: 'Budget owner is the CFO, kingfisherway.' } })).ok).toBe(true);
    const r = await ingestRecord(deps, record({ objectType: 'notes', objectId: noteId, reason: 'propertyChange' }));
    expect(r.current).toEqual([other]);
    const holders = async (a: string) => (await stack.store.listChunkKeys(portalId, a)).some((k) => k.sourceId === `notes:${noteId}`);
    expect(await holders(companyId)).toBe(false);
    expect(await holders(other)).toBe(true);
    await expectSameAsFullRead();
  });
});
