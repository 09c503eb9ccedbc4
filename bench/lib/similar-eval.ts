import { similarAccounts } from '../../src/retrieval/similar-accounts.ts';
import type { VectorStore } from '../../src/retrieval/vector-store.ts';

/**
 * precision@10 of "same ground-truth segment" for similar accounts: for every company with a profile, the share
 * of its 10 nearest accounts (itself excluded) whose ground-truth segment equals its own, averaged over companies.
 * Account ids are company ids. Neighbours outside the ground truth (e.g. contact accounts) count as misses.
 */
export interface SegmentGroundTruth {
  companies: ReadonlyArray<{ id: string; segment: string }>;
}

export async function evaluateSimilarAccounts(
  store: VectorStore,
  portalId: string,
  groundTruth: SegmentGroundTruth,
  k = 10,
): Promise<{ precisionAt10: number; accounts: number }> {
  const segmentOf = new Map(groundTruth.companies.map((c) => [c.id, c.segment]));
  const bySegment = new Map<string, number>();
  for (const c of groundTruth.companies) bySegment.set(c.segment, (bySegment.get(c.segment) ?? 0) + 1);
  let sum = 0;
  let accounts = 0;
  for (const company of groundTruth.companies) {
    if (!(await store.getProfile(portalId, company.id))) continue;
    const neighbours = await similarAccounts(store, portalId, company.id, { limit: k });
    // A segment smaller than k + 1 cannot fill the list: measure against what is attainable.
    const attainable = Math.min(k, (bySegment.get(company.segment) ?? 1) - 1);
    if (attainable <= 0) continue;
    const hits = neighbours.slice(0, attainable).filter((n) => segmentOf.get(n.accountId) === company.segment).length;
    sum += hits / attainable;
    accounts += 1;
  }
  return { precisionAt10: accounts === 0 ? 0 : sum / accounts, accounts };
}
