import type { Embedder } from '../text/embedder.ts';
import { filterKey } from './firmographics.ts';
import { RRF_K, reciprocalRankFusion } from './rank-fusion.ts';
import type { AccountFilter, AccountProfilePayload, ChunkHit, VectorStore } from './vector-store.ts';

export interface AccountSearchOptions {
  filters?: Omit<AccountFilter, 'excludeAccountIds'>;
  limit?: number;
  /** Snippets per account. Default 3. */
  snippets?: number;
}

export interface AccountMatch {
  accountId: string;
  name: string | null;
  score: number;
  snippets: Array<{ chunkId: string; sourceId: string; text: string }>;
}

const SNIPPET_CHARS = 280;

/**
 * "Accounts whose history matches a description" ("mid-size fintech evaluating SSO, worried about price").
 *
 * Three ranked lists of accounts, fused by reciprocal rank: accounts by their best dense chunk, by their best
 * BM25 chunk (both over the whole portal), and by profile vector (which carries the firmographic part of the
 * description). Each account comes back with its best-matching chunks as snippets, cited by chunk id.
 */
export async function searchAccounts(
  store: VectorStore,
  embedder: Embedder,
  portalId: string,
  query: string,
  opts: AccountSearchOptions = {},
): Promise<AccountMatch[]> {
  const limit = opts.limit ?? 10;
  if (limit <= 0 || query.trim() === '') return [];
  const filters = opts.filters ?? {};
  const pool = Math.max(limit * 20, 200);
  const { vectors } = await embedder.embed([query], 'query');
  const vector = vectors[0]!;
  const [dense, keyword, profiles] = await Promise.all([
    store.searchDenseAll(portalId, vector, pool),
    store.searchKeywordAll(portalId, query, pool),
    store.nearestAccounts(portalId, vector, limit * 5, filters),
  ]);
  const chunks = reciprocalRankFusion([dense, keyword]);
  const lists = [accountOrder(dense), accountOrder(keyword), profiles.map((h) => h.profile.accountId)];
  const score = new Map<string, number>();
  for (const list of lists) list.forEach((id, i) => score.set(id, (score.get(id) ?? 0) + 1 / (RRF_K + i + 1)));
  const ranked = [...score].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));

  const known = new Map(profiles.map((h) => [h.profile.accountId, h.profile]));
  const filtering = Boolean(filters.industry || filters.sizeBand || filters.lifecycle || filters.excludeCustomers);
  const best = lists.length / (RRF_K + 1);
  const out: AccountMatch[] = [];
  for (const [accountId, s] of ranked) {
    if (out.length >= limit) break;
    const profile = known.get(accountId) ?? (await store.getProfile(portalId, accountId));
    if (filtering && (!profile || !matches(profile, filters))) continue;
    out.push({
      accountId,
      name: profile?.name ?? null,
      score: Math.round((s / best) * 10_000) / 10_000,
      snippets: snippetsOf(chunks, accountId, opts.snippets ?? 3),
    });
  }
  return out;
}

function accountOrder(hits: ChunkHit[]): string[] {
  return [...new Set(hits.map((h) => h.chunk.accountId))];
}

function matches(p: AccountProfilePayload, f: AccountFilter): boolean {
  if (f.industry && filterKey(p.industry) !== filterKey(f.industry)) return false;
  if (f.sizeBand && filterKey(p.sizeBand) !== filterKey(f.sizeBand)) return false;
  if (f.lifecycle && filterKey(p.lifecycle) !== filterKey(f.lifecycle)) return false;
  if (f.excludeCustomers && p.isCustomer) return false;
  return true;
}

function snippetsOf(chunks: ChunkHit[], accountId: string, n: number): AccountMatch['snippets'] {
  return chunks
    .filter((h) => h.chunk.accountId === accountId)
    .slice(0, n)
    .map((h) => ({ chunkId: h.chunk.id, sourceId: h.chunk.sourceId, text: snippet(h.chunk.text) }));
}

function snippet(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length <= SNIPPET_CHARS ? flat : `${flat.slice(0, SNIPPET_CHARS - 1)}…`;
}
