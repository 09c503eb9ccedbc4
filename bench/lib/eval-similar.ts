import type { AccountHistory } from '../../src/core/objects.ts';
import type { Embedder } from '../../src/text/embedder.ts';
import { auc } from '../../src/agents/scorer/evaluation.ts';
import { AccountProfiler } from '../../src/ingest/account-profiler.ts';
import type { TermStatsStore } from '../../src/ingest/term-stats.ts';
import { similarAccounts } from '../../src/retrieval/similar-accounts.ts';
import type { VectorStore } from '../../src/retrieval/vector-store.ts';
import type { GroundTruth } from '../../src/sandbox/types.ts';
import { bootstrap, mean, meanInterval, seededRandom, type Interval } from './eval-stats.ts';

/**
 * Similar accounts judged by a variable no CRM field holds: the account's hidden need cluster, which only shapes
 * how its history is worded. precision@10 = share of an account's 10 nearest companies in the same cluster, read
 * through the similar-accounts API's own function (`similarAccounts`) from the profiles the product serves.
 *   - firmographics shown: the profiles the indexer built during the backfill (incrementally, with the portal's
 *     term statistics as they grew, then refreshed for drift at the backfill's end): exactly what the API serves;
 *   - firmographics hidden: the same profiler run over the histories with industry, head count, revenue,
 *     location and description blanked (another portal id in the same stores). The profile never embeds those
 *     fields, so the two agree unless it starts to;
 *   - randomP10: what random neighbours give (cluster shares);
 *   - outcomeAuc: does the neighbours' outcome (any deal won, among neighbours with closed deals) rank the
 *     account's own outcome? Beside it, with 95% bootstrap intervals over the accounts: the same from random
 *     neighbours (chance), from firmographic look-alikes (same industry and size band), and from the account's
 *     whole hidden cluster (every other account of the cluster: the ceiling that perfect neighbours reach). The
 *     generator ties outcomes to the cluster only through one driver of each deal's win probability (the
 *     cluster's need fit, sandbox/lead-model.ts), beside segment fit, champions, meetings, competitors, budget
 *     and label noise; so even the ceiling is modest, and 100 companies give ~65 accounts with a closed deal,
 *     which leaves intervals ±0.14 wide.
 */

export interface SimilarScores {
  accounts: number;
  hiddenClusterP10: number;
  hiddenClusterP10Ci: Interval;
  hiddenClusterP10NoFirmographics: number;
  hiddenClusterP10NoFirmographicsCi: Interval;
  randomP10: number;
  /** The old label (same industry × size band), for comparison: what the profile used to copy. */
  segmentP10: number;
  outcomeAuc: number;
  outcomeAucCi: Interval;
  outcomeAucFirmographicLookalikes: number;
  outcomeAucFirmographicLookalikesCi: Interval;
  outcomeAucRandomNeighbours: number;
  outcomeAucRandomNeighboursCi: Interval;
  outcomeAucClusterCeiling: number;
  outcomeAucClusterCeilingCi: Interval;
  outcomeAccounts: number;
}

const FIRMOGRAPHIC_FIELDS = ['industry', 'numberofemployees', 'annualrevenue', 'country', 'city', 'state', 'description'];

export function withoutFirmographics(h: AccountHistory): AccountHistory {
  if (!h.company) return h;
  const properties = { ...h.company.properties };
  for (const f of FIRMOGRAPHIC_FIELDS) delete properties[f];
  return { ...h, company: { ...h.company, properties } };
}

async function neighbours(store: VectorStore, portalId: string, id: string, companies: ReadonlySet<string>): Promise<string[]> {
  const res = await similarAccounts(store, portalId, id, { limit: 16 });
  return res.map((r) => r.accountId).filter((a) => companies.has(a)).slice(0, 10);
}

export async function evaluateSimilar(input: {
  store: VectorStore;
  /** The term statistics the indexer keeps (the served profiles' own). */
  termStats: TermStatsStore;
  embedder: Embedder;
  portalId: string;
  truth: GroundTruth;
  readHistory: (accountId: string) => Promise<AccountHistory | undefined>;
  /**
   * Rebuild the firmographics-shown profiles too (with `embedder`, by the indexer's own profiler) instead of
   * reading the ones the indexer stored: lets profiles be measured with another embedder than the chunks (a CPU
   * model server embeds eight sentences per account in minutes, every chunk of a portal in hours).
   */
  rebuildShown?: boolean;
}): Promise<SimilarScores> {
  const { store, portalId, truth } = input;
  const companies = truth.companies;
  const ids = new Set(companies.map((c) => c.id));
  const cluster = new Map(companies.map((c) => [c.id, c.needCluster]));
  const segment = new Map(companies.map((c) => [c.id, c.segment]));

  // The product's profiler over the history alone (and, for another embedder, over the full records too), each
  // under a portal id of its own: its own term statistics, its own profiles, the stored chunks as its text.
  const hiddenPortal = `${portalId}-nofirmo`;
  const shownPortal = input.rebuildShown ? `${portalId}-firmo` : portalId;
  const profiler = new AccountProfiler({ store, stats: input.termStats, embedder: input.embedder });
  const updates = [];
  for (const c of companies) {
    const h = await input.readHistory(c.id);
    if (!h) continue;
    const keys = await store.listChunkKeys(portalId, c.id);
    const chunks = await store.getChunks(portalId, keys.map((k) => k.id));
    updates.push({ history: { ...withoutFirmographics(h), portalId: hiddenPortal }, chunks });
    if (input.rebuildShown) updates.push({ history: { ...h, portalId: shownPortal }, chunks });
  }
  await profiler.update(updates);

  const shown: number[] = [];
  const hidden: number[] = [];
  const seg: number[] = [];
  const rnd: number[] = [];
  const own = new Map<string, boolean>();
  for (const d of truth.deals) {
    if (!d.companyId || d.outcome === 'open') continue;
    own.set(d.companyId, (own.get(d.companyId) ?? false) || d.outcome === 'won');
  }
  const base = mean([...own.values()].map((w) => (w ? 1 : 0)));
  const outcomeScores: number[] = [];
  const lookalikeScores: number[] = [];
  const randomScores: number[] = [];
  const ceilingScores: number[] = [];
  const outcomeLabels: boolean[] = [];
  const rand = seededRandom(0x5eed);
  for (const c of companies) {
    if (!(await store.getProfile(shownPortal, c.id))) continue;
    const same = (list: string[], key: Map<string, string>) => (list.length ? list.filter((n) => key.get(n) === key.get(c.id)).length / list.length : 0);
    const nShown = await neighbours(store, shownPortal, c.id, ids);
    shown.push(same(nShown, cluster));
    seg.push(same(nShown, segment));
    const nHidden = (await store.getProfile(hiddenPortal, c.id)) ? await neighbours(store, hiddenPortal, c.id, ids) : [];
    hidden.push(same(nHidden, cluster));
    rnd.push((companies.filter((o) => o.needCluster === c.needCluster).length - 1) / Math.max(1, companies.length - 1));
    if (own.has(c.id)) {
      const withOutcome = (list: string[]) => list.filter((n) => own.has(n)).map((n) => (own.get(n) ? 1 : 0));
      const fromNeighbours = withOutcome(nHidden);
      outcomeScores.push(fromNeighbours.length ? mean(fromNeighbours) : base);
      const lookalikes = companies.filter((o) => o.id !== c.id && o.segment === c.segment && own.has(o.id)).map((o) => (own.get(o.id) ? 1 : 0));
      lookalikeScores.push(lookalikes.length ? mean(lookalikes) : base);
      const others = companies.filter((o) => o.id !== c.id);
      const randomTen = Array.from({ length: Math.min(10, others.length) }, () => others[Math.floor(rand() * others.length)]!.id);
      const fromRandom = withOutcome(randomTen);
      randomScores.push(fromRandom.length ? mean(fromRandom) : base);
      const sameCluster = withOutcome(others.filter((o) => o.needCluster === c.needCluster).map((o) => o.id));
      ceilingScores.push(sameCluster.length ? mean(sameCluster) : base);
      outcomeLabels.push(own.get(c.id)!);
    }
  }
  return {
    accounts: shown.length,
    hiddenClusterP10: mean(shown),
    hiddenClusterP10Ci: meanInterval(shown),
    hiddenClusterP10NoFirmographics: mean(hidden),
    hiddenClusterP10NoFirmographicsCi: meanInterval(hidden),
    randomP10: mean(rnd),
    segmentP10: mean(seg),
    outcomeAuc: auc(outcomeScores, outcomeLabels),
    outcomeAucCi: aucInterval(outcomeScores, outcomeLabels),
    outcomeAucFirmographicLookalikes: auc(lookalikeScores, outcomeLabels),
    outcomeAucFirmographicLookalikesCi: aucInterval(lookalikeScores, outcomeLabels),
    outcomeAucRandomNeighbours: auc(randomScores, outcomeLabels),
    outcomeAucRandomNeighboursCi: aucInterval(randomScores, outcomeLabels),
    outcomeAucClusterCeiling: auc(ceilingScores, outcomeLabels),
    outcomeAucClusterCeilingCi: aucInterval(ceilingScores, outcomeLabels),
    outcomeAccounts: outcomeLabels.length,
  };
}

/** 95% bootstrap interval of the AUC over the accounts. */
function aucInterval(scores: number[], labels: boolean[]): Interval {
  return bootstrap(scores.length, (idx) => auc(idx.map((i) => scores[i]!), idx.map((i) => labels[i]!)));
}
