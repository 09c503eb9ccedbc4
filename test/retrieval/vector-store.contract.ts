import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SourceType } from '../../src/core/objects.ts';
import type { AccountProfile, ChunkRecord, VectorStore } from '../../src/retrieval/vector-store.ts';

/**
 * The one contract of the vector store port, run against every adapter. `make` returns a fresh, initialized
 * store with CONTRACT_DIMS; `reopen` (embedded store) reopens the same storage to check persistence.
 */
export const CONTRACT_DIMS = { chunkDimensions: 16, accountDimensions: 24 } as const;

export interface ContractOptions {
  reopen?: (store: VectorStore) => Promise<VectorStore>;
}

let seq = 0;
const uid = (p: string) => `${p}-${process.pid}-${Date.now().toString(36)}-${(seq++).toString(36)}`;

/** A unit vector mostly along `axis`, tilted towards `tilt` by `amount`. */
export function axisVector(dims: number, axis: number, tilt?: number, amount = 0.3): Float32Array {
  const v = new Float32Array(dims);
  v[axis % dims] = 1;
  if (tilt !== undefined) v[tilt % dims]! += amount;
  const n = Math.hypot(...v);
  return v.map((x) => x / n);
}

export function chunk(over: Partial<ChunkRecord> & Pick<ChunkRecord, 'portalId' | 'accountId' | 'id'>): ChunkRecord {
  return {
    sourceType: 'note',
    sourceId: `notes:${over.id}`,
    chunkIndex: 0,
    relatedIds: [],
    occurredAt: '2025-01-15T10:00:00.000Z',
    direction: null,
    speakers: [],
    text: 'nothing in particular',
    contentHash: `h-${over.id}`,
    embeddingModel: 'test-model',
    vector: axisVector(CONTRACT_DIMS.chunkDimensions, 0),
    ...over,
  };
}

export function profile(over: Partial<AccountProfile> & Pick<AccountProfile, 'portalId' | 'accountId'>): AccountProfile {
  return {
    name: `Account ${over.accountId}`,
    industry: 'software',
    sizeBand: 'smb',
    lifecycle: 'lead',
    isCustomer: false,
    topics: ['pricing'],
    updatedAt: '2025-02-01T00:00:00.000Z',
    contentHash: `p-${over.accountId}`,
    embeddingModel: 'test-model',
    vector: axisVector(CONTRACT_DIMS.accountDimensions, 0),
    ...over,
  };
}

export function vectorStoreContract(name: string, make: () => Promise<VectorStore>, opts: ContractOptions = {}): void {
  describe(`VectorStore contract: ${name}`, () => {
    let store: VectorStore;
    let portal: string;
    const D = CONTRACT_DIMS.chunkDimensions;
    const A = CONTRACT_DIMS.accountDimensions;

    beforeEach(async () => {
      store = await make();
      portal = uid('portal');
    });
    afterEach(async () => {
      await store.close();
    });

    it('is idempotent to init and answers ping', async () => {
      await store.init();
      await store.ping();
    });

    it('upserts chunks, replaces them by id and reads them back', async () => {
      await store.upsertChunks([
        chunk({ portalId: portal, accountId: 'a1', id: 'c1', text: 'first version', relatedIds: ['deals:9'], speakers: ['Ann'], direction: 'inbound' }),
        chunk({ portalId: portal, accountId: 'a1', id: 'c2', chunkIndex: 1 }),
      ]);
      await store.upsertChunks([chunk({ portalId: portal, accountId: 'a1', id: 'c1', text: 'second version', contentHash: 'h2' })]);
      const [c1] = await store.getChunks(portal, ['c1']);
      expect(c1).toMatchObject({ id: 'c1', accountId: 'a1', text: 'second version', contentHash: 'h2', sourceType: 'note' });
      const keys = await store.listChunkKeys(portal, 'a1');
      expect(keys.map((k) => k.id).sort()).toEqual(['c1', 'c2']);
      expect(keys.find((k) => k.id === 'c1')).toEqual({ id: 'c1', sourceId: 'notes:c1', contentHash: 'h2' });
      expect((await store.stats(portal)).chunks).toBe(2);
      const dense = await store.searchDense(portal, 'a1', axisVector(D, 0), 5);
      expect(dense).toHaveLength(2); // the replaced chunk has one vector, not two
      expect(await store.searchKeyword(portal, 'a1', 'first', 5)).toEqual([]);
      expect((await store.searchKeyword(portal, 'a1', 'second', 5)).map((h) => h.chunk.id)).toEqual(['c1']);
    });

    it('keeps every payload field', async () => {
      const c = chunk({
        portalId: portal, accountId: 'a1', id: 'full', sourceType: 'email', sourceId: 'emails:77', chunkIndex: 3,
        relatedIds: ['contacts:1', 'deals:2'], occurredAt: '2024-12-31T23:59:59.000Z', direction: 'outbound',
        speakers: ['Rep', 'Buyer'], text: 'Subject: renewal\nBody text', contentHash: 'abc', embeddingModel: 'm1',
      });
      await store.upsertChunks([c]);
      const { vector: _v, ...payload } = c;
      expect(await store.getChunks(portal, ['full', 'missing'])).toEqual([payload]);
    });

    it('deletes chunks by id, by source and by account', async () => {
      await store.upsertChunks([
        chunk({ portalId: portal, accountId: 'a1', id: 'c1', sourceId: 'notes:1' }),
        chunk({ portalId: portal, accountId: 'a1', id: 'c2', sourceId: 'notes:2', text: 'keep me' }),
        chunk({ portalId: portal, accountId: 'a2', id: 'c3', sourceId: 'notes:2' }),
        chunk({ portalId: portal, accountId: 'a2', id: 'c4', sourceId: 'notes:4' }),
      ]);
      await store.upsertProfiles([profile({ portalId: portal, accountId: 'a2' })]);
      expect(await store.accountsHoldingSources(portal, ['notes:2'])).toEqual(['a1', 'a2']);
      expect(await store.accountsHoldingSources(portal, ['notes:1', 'notes:4', 'notes:404'])).toEqual(['a1', 'a2']);
      expect(await store.accountsHoldingSources(portal, ['notes:4'])).toEqual(['a2']);
      expect(await store.accountsHoldingSources(uid('portal'), ['notes:2'])).toEqual([]);
      expect(await store.accountsHoldingSources(portal, [])).toEqual([]);
      await store.deleteChunks(portal, ['c1']);
      expect((await store.listChunkKeys(portal, 'a1')).map((k) => k.id)).toEqual(['c2']);
      await store.deleteSources(portal, ['notes:2']);
      expect(await store.accountsHoldingSources(portal, ['notes:2'])).toEqual([]);
      expect(await store.listChunkKeys(portal, 'a1')).toEqual([]);
      expect((await store.listChunkKeys(portal, 'a2')).map((k) => k.id)).toEqual(['c4']);
      expect(await store.searchKeyword(portal, 'a1', 'keep', 5)).toEqual([]);
      await store.deleteAccount(portal, 'a2');
      expect(await store.listChunkKeys(portal, 'a2')).toEqual([]);
      expect(await store.getProfile(portal, 'a2')).toBeNull();
      expect(await store.listAccounts(portal)).toEqual([]);
      await store.deleteChunks(portal, []);
      await store.deleteSources(portal, []);
    });

    it('isolates accounts and portals', async () => {
      const other = uid('portal');
      await store.upsertChunks([
        chunk({ portalId: portal, accountId: 'a1', id: 'c1', text: 'security review of SSO' }),
        chunk({ portalId: portal, accountId: 'a2', id: 'c2', text: 'security review of SSO' }),
        chunk({ portalId: other, accountId: 'a1', id: 'c1', text: 'security review of SSO in the other portal' }),
      ]);
      const dense = await store.searchDense(portal, 'a1', axisVector(D, 0), 10);
      expect(dense.map((h) => [h.chunk.portalId, h.chunk.accountId, h.chunk.id])).toEqual([[portal, 'a1', 'c1']]);
      const kw = await store.searchKeyword(portal, 'a1', 'security', 10);
      expect(kw.map((h) => [h.chunk.accountId, h.chunk.id])).toEqual([['a1', 'c1']]);
      expect((await store.searchKeywordAll(portal, 'security', 10)).map((h) => h.chunk.accountId).sort()).toEqual(['a1', 'a2']);
      expect((await store.searchDenseAll(portal, axisVector(D, 0), 10)).every((h) => h.chunk.portalId === portal)).toBe(true);
      expect((await store.getChunks(other, ['c1']))[0]?.text).toContain('other portal');
      expect(await store.listAccounts(portal)).toEqual(['a1', 'a2']);
      expect(await store.listAccounts(other)).toEqual(['a1']);
      await store.deleteChunks(other, ['c1']);
      expect(await store.getChunks(portal, ['c1'])).toHaveLength(1);
      expect((await store.stats(other)).chunks).toBe(0);
      // Account profiles: the same account id in two portals is two accounts; similar accounts stay in the portal.
      await store.upsertProfiles([
        profile({ portalId: portal, accountId: 'p1', name: 'Ours', vector: axisVector(A, 1) }),
        profile({ portalId: other, accountId: 'p1', name: 'Theirs', vector: axisVector(A, 1) }),
        profile({ portalId: other, accountId: 'p2', name: 'Theirs too', vector: axisVector(A, 1) }),
      ]);
      expect((await store.getProfile(portal, 'p1'))?.name).toBe('Ours');
      expect((await store.getProfile(other, 'p1'))?.name).toBe('Theirs');
      const near = await store.nearestAccounts(portal, axisVector(A, 1), 10);
      expect(near.every((h) => h.profile.portalId === portal)).toBe(true);
      expect(near.map((h) => h.profile.name)).toContain('Ours');
      expect(near.map((h) => h.profile.name)).not.toContain('Theirs too');
      await store.deleteAccount(other, 'p1');
      expect((await store.getProfile(portal, 'p1'))?.name).toBe('Ours');
    });

    it('ranks dense results by cosine similarity', async () => {
      await store.upsertChunks([
        chunk({ portalId: portal, accountId: 'a1', id: 'far', vector: axisVector(D, 5) }),
        chunk({ portalId: portal, accountId: 'a1', id: 'near', vector: axisVector(D, 1, 2, 0.1) }),
        chunk({ portalId: portal, accountId: 'a1', id: 'mid', vector: axisVector(D, 2, 1, 0.8) }),
      ]);
      const hits = await store.searchDense(portal, 'a1', axisVector(D, 1), 2);
      expect(hits.map((h) => h.chunk.id)).toEqual(['near', 'mid']);
      expect(hits[0]!.score).toBeCloseTo(1 / Math.hypot(1, 0.1), 4);
      expect(hits[0]!.score).toBeGreaterThan(hits[1]!.score);
    });

    it('filters by source type, source id and time in dense and keyword search', async () => {
      const types: SourceType[] = ['note', 'email', 'call', 'meeting'];
      await store.upsertChunks(
        types.map((t, i) =>
          chunk({
            portalId: portal, accountId: 'a1', id: `c-${t}`, sourceType: t, sourceId: `${t}s:${i}`,
            occurredAt: `2025-0${i + 1}-10T00:00:00.000Z`, text: `pricing discussion ${t}`, vector: axisVector(D, 0, i + 1, 0.1 * i),
          }),
        ),
      );
      const q = axisVector(D, 0);
      const byType = await store.searchDense(portal, 'a1', q, 10, { sourceTypes: ['email', 'call'] });
      expect(byType.map((h) => h.chunk.sourceType).sort()).toEqual(['call', 'email']);
      const byTime = await store.searchDense(portal, 'a1', q, 10, { since: '2025-02-01T00:00:00.000Z', until: '2025-03-31T00:00:00.000Z' });
      expect(byTime.map((h) => h.chunk.id).sort()).toEqual(['c-call', 'c-email']);
      const bySource = await store.searchDense(portal, 'a1', q, 1, { sourceIds: ['meetings:3'] });
      expect(bySource.map((h) => h.chunk.id)).toEqual(['c-meeting']);
      const kwType = await store.searchKeyword(portal, 'a1', 'pricing', 10, { sourceTypes: ['note'] });
      expect(kwType.map((h) => h.chunk.id)).toEqual(['c-note']);
      const kwTime = await store.searchKeyword(portal, 'a1', 'pricing', 10, { since: '2025-03-01T00:00:00.000Z' });
      expect(kwTime.map((h) => h.chunk.id).sort()).toEqual(['c-call', 'c-meeting']);
    });

    it('ranks keyword search by BM25 and ignores query syntax', async () => {
      await store.upsertChunks([
        chunk({ portalId: portal, accountId: 'a1', id: 'both', text: 'The SSO rollout is blocked by pricing concerns. SSO again.' }),
        chunk({ portalId: portal, accountId: 'a1', id: 'one', text: 'Pricing of the premium tier was discussed at length with finance and procurement.' }),
        chunk({ portalId: portal, accountId: 'a1', id: 'none', text: 'Weekly check-in, nothing new.' }),
        chunk({ portalId: portal, accountId: 'a1', id: 'accent', text: 'Réunion à Zürich about the café rollout' }),
      ]);
      const hits = await store.searchKeyword(portal, 'a1', 'SSO pricing', 10);
      expect(hits.map((h) => h.chunk.id)).toEqual(['both', 'one']);
      expect(hits[0]!.score).toBeGreaterThan(hits[1]!.score);
      expect(hits[1]!.score).toBeGreaterThan(0);
      expect(hits[0]!.score).toBeLessThanOrEqual(1);
      expect((await store.searchKeyword(portal, 'a1', 'zurich reunion', 5)).map((h) => h.chunk.id)).toEqual(['accent']);
      expect(await store.searchKeyword(portal, 'a1', 'NOT "AND" OR * ( ) : ^', 5)).toEqual([]);
      expect((await store.searchKeyword(portal, 'a1', 'sso" OR scope:*', 5)).map((h) => h.chunk.id)).toEqual(['both']);
      expect(await store.searchKeyword(portal, 'a1', 'the and of', 5)).toEqual([]);
    });

    it('stores account profiles, replaces them and finds the nearest with filters', async () => {
      const p = (accountId: string, axis: number, over: Partial<AccountProfile> = {}) =>
        profile({ portalId: portal, accountId, vector: axisVector(A, 0, axis, 0.2 * axis), ...over });
      await store.upsertProfiles([
        p('self', 0, { industry: 'Fintech', sizeBand: 'mid-market' }),
        p('n1', 1, { industry: 'Fintech', sizeBand: 'mid-market', lifecycle: 'customer', isCustomer: true }),
        p('n2', 2, { industry: 'Fintech', sizeBand: 'enterprise', lifecycle: 'opportunity' }),
        p('n3', 3, { industry: 'Healthcare', sizeBand: 'mid-market', lifecycle: 'lead' }),
        p('n4', 4, { industry: null, sizeBand: null, lifecycle: null }),
      ]);
      await store.upsertProfiles([p('n2', 2, { industry: 'Fintech', sizeBand: 'enterprise', lifecycle: 'opportunity', topics: ['sso', 'audit'] })]);
      const self = await store.getProfile(portal, 'self');
      expect(self?.vector).toHaveLength(A);
      expect(self).toMatchObject({ industry: 'Fintech', sizeBand: 'mid-market', isCustomer: false, topics: ['pricing'] });
      expect(await store.getProfile(portal, 'nobody')).toBeNull();
      expect((await store.getProfile(portal, 'n2'))?.topics).toEqual(['sso', 'audit']);

      const all = await store.nearestAccounts(portal, self!.vector, 10, { excludeAccountIds: ['self'] });
      expect(all.map((h) => h.profile.accountId)).toEqual(['n1', 'n2', 'n3', 'n4']);
      expect(all[0]!.score).toBeGreaterThan(all[1]!.score);
      expect(all[3]!.profile).toMatchObject({ industry: null, sizeBand: null, lifecycle: null });
      const ids = async (f: Parameters<VectorStore['nearestAccounts']>[3]) =>
        (await store.nearestAccounts(portal, self!.vector, 10, { excludeAccountIds: ['self'], ...f })).map((h) => h.profile.accountId);
      expect(await ids({ industry: 'fintech' })).toEqual(['n1', 'n2']);
      expect(await ids({ sizeBand: 'Mid-Market' })).toEqual(['n1', 'n3']);
      expect(await ids({ lifecycle: 'lead' })).toEqual(['n3']);
      expect(await ids({ excludeCustomers: true })).toEqual(['n2', 'n3', 'n4']);
      expect(await ids({ industry: 'fintech', excludeCustomers: true })).toEqual(['n2']);
      expect(await store.nearestAccounts(portal, self!.vector, 2)).toHaveLength(2);
      expect(await store.nearestAccounts(uid('portal'), self!.vector, 5)).toEqual([]);
    });

    it('reports stats per portal', async () => {
      await store.upsertChunks([
        chunk({ portalId: portal, accountId: 'a1', id: 'c1', sourceType: 'note' }),
        chunk({ portalId: portal, accountId: 'a1', id: 'c2', sourceType: 'email' }),
        chunk({ portalId: portal, accountId: 'a2', id: 'c3', sourceType: 'email' }),
      ]);
      await store.upsertProfiles([profile({ portalId: portal, accountId: 'a1' })]);
      expect(await store.stats(portal)).toEqual({ accounts: 1, chunks: 3, chunksBySourceType: { note: 1, email: 2 } });
      expect(await store.stats(uid('portal'))).toEqual({ accounts: 0, chunks: 0, chunksBySourceType: {} });
    });

    if (opts.reopen) {
      const reopen = opts.reopen;
      it('persists across reopen', async () => {
        await store.upsertChunks([chunk({ portalId: portal, accountId: 'a1', id: 'c1', text: 'persisted words' })]);
        await store.upsertProfiles([profile({ portalId: portal, accountId: 'a1' })]);
        store = await reopen(store);
        expect((await store.searchKeyword(portal, 'a1', 'persisted', 5)).map((h) => h.chunk.id)).toEqual(['c1']);
        expect((await store.searchDense(portal, 'a1', axisVector(D, 0), 5)).map((h) => h.chunk.id)).toEqual(['c1']);
        expect((await store.nearestAccounts(portal, axisVector(A, 0), 5)).map((h) => h.profile.accountId)).toEqual(['a1']);
      });
    }
  });
}
