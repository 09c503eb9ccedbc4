import { filterKey, humanize } from './firmographics.ts';
import { AccountNotFoundError } from './retrieval-errors.ts';
import type { AccountFilter, AccountProfilePayload, VectorStore } from './vector-store.ts';

export interface SimilarAccountsOptions {
  limit?: number;
  industry?: string;
  sizeBand?: string;
  lifecycle?: string;
  excludeCustomers?: boolean;
}

export interface SimilarAccount {
  accountId: string;
  name: string;
  /** Cosine similarity of the profile vectors, rounded to 4 decimals. */
  score: number;
  /** Why it is similar, most telling first, in words a rep can check against the CRM. */
  reasons: string[];
  industry: string | null;
  sizeBand: string | null;
  lifecycle: string | null;
  isCustomer: boolean;
  sharedTopics: string[];
}

/** The nearest accounts to `accountId` by profile vector. Throws AccountNotFoundError when it has no profile. */
export async function similarAccounts(
  store: VectorStore,
  portalId: string,
  accountId: string,
  opts: SimilarAccountsOptions = {},
): Promise<SimilarAccount[]> {
  const self = await store.getProfile(portalId, accountId);
  if (!self) throw new AccountNotFoundError(portalId, accountId);
  const filter: AccountFilter = {
    industry: opts.industry,
    sizeBand: opts.sizeBand,
    lifecycle: opts.lifecycle,
    excludeCustomers: opts.excludeCustomers,
    excludeAccountIds: [accountId],
  };
  const hits = await store.nearestAccounts(portalId, self.vector, opts.limit ?? 10, filter);
  return hits.map(({ profile, score }) => {
    const sharedTopics = sharedTerms(self.topics, profile.topics);
    return {
      accountId: profile.accountId,
      name: profile.name,
      score: Math.round(score * 10_000) / 10_000,
      reasons: similarityReasons(self, profile, sharedTopics),
      industry: profile.industry,
      sizeBand: profile.sizeBand,
      lifecycle: profile.lifecycle,
      isCustomer: profile.isCustomer,
      sharedTopics,
    };
  });
}

export function similarityReasons(a: AccountProfilePayload, b: AccountProfilePayload, sharedTopics: string[]): string[] {
  const reasons: string[] = [];
  const sameIndustry = same(a.industry, b.industry);
  const sameSize = same(a.sizeBand, b.sizeBand);
  if (sameIndustry && sameSize) reasons.push(`Same segment: ${humanize(b.industry!)}, ${b.sizeBand}`);
  else if (sameIndustry) reasons.push(`Same industry: ${humanize(b.industry!)} (size ${b.sizeBand ?? 'unknown'} vs ${a.sizeBand ?? 'unknown'})`);
  else if (sameSize) reasons.push(`Same size band: ${b.sizeBand} (industry ${label(b.industry)} vs ${label(a.industry)})`);
  if (same(a.lifecycle, b.lifecycle)) reasons.push(`Same lifecycle stage: ${b.lifecycle}`);
  if (sharedTopics.length > 0) reasons.push(`Shared topics in their history: ${sharedTopics.slice(0, 6).join(', ')}`);
  if (reasons.length === 0) reasons.push('Similar history overall (no single shared attribute)');
  return reasons;
}

/** Topics of `mine` that `theirs` also has, in the order of `mine` (most salient first). */
export function sharedTerms(mine: string[], theirs: string[]): string[] {
  const other = new Set(theirs);
  return mine.filter((t) => other.has(t));
}

function same(a: string | null, b: string | null): boolean {
  return a !== null && b !== null && filterKey(a) === filterKey(b);
}

function label(v: string | null): string {
  return v ? humanize(v) : 'unknown';
}
