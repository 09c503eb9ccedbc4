import type { AccountHistory } from '../../src/core/objects.ts';
import type { Embedder } from '../../src/text/embedder.ts';
import { auc } from '../../src/agents/scorer/evaluation.ts';
import { buildAccountProfile, buildProfileText, documentFrequencies, historyTexts } from '../../src/retrieval/account-profile.ts';
import { similarAccounts } from '../../src/retrieval/similar-accounts.ts';
import type { VectorStore } from '../../src/retrieval/vector-store.ts';
import type { GroundTruth } from '../../src/sandbox/types.ts';
import { mean, meanInterval, type Interval } from './eval-stats.ts';
import { cosine, meanVector, themedSentences } from './similar-themes.ts';

/**
 * Similar accounts judged by a variable no CRM field holds: the account's hidden need cluster, which only shapes
 * how its history is worded. precision@10 = share of an account's 10 nearest companies in the same cluster.
 *   - firmographics shown: the profiles the product built at indexing (industry, size, history);
 *   - firmographics hidden: profiles rebuilt with industry, head count, revenue, location and description
 *     blanked, from the history alone (another portal id in the same store, the same similar-accounts code);
 *   - randomP10: what random neighbours give (cluster shares);
 *   - outcomeAuc: does the neighbours' outcome (any deal won, among neighbours with closed deals) rank the
 *     account's own outcome? Beside it, the same from firmographic look-alikes (same industry and size band).
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
  outcomeAucFirmographicLookalikes: number;
  outcomeAccounts: number;
  /** The candidate profile of similar-themes.ts (history only; not yet what the indexer stores). */
  themedHistoryP10: number;
  themedHistoryP10Ci: Interval;
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
  embedder: Embedder;
  portalId: string;
  truth: GroundTruth;
  readHistory: (accountId: string) => Promise<AccountHistory | undefined>;
  /**
   * Rebuild the firmographics-shown profiles too (with `embedder`) instead of reading the ones the indexer stored:
   * lets profiles be measured with another embedder than the chunks (a CPU model server embeds two texts per
   * account in seconds, every chunk of a portal in hours).
   */
  rebuildShown?: boolean;
}): Promise<SimilarScores> {
  const { store, portalId, truth } = input;
  const companies = truth.companies;
  const ids = new Set(companies.map((c) => c.id));
  const cluster = new Map(companies.map((c) => [c.id, c.needCluster]));
  const segment = new Map(companies.map((c) => [c.id, c.segment]));

  // Rebuild every company's profile from its history alone, under a separate portal id.
  const hiddenPortal = `${portalId}-nofirmo`;
  const historyOnly = new Map<string, string[]>();
  const shownPortal = input.rebuildShown ? `${portalId}-firmo` : portalId;
  for (const c of companies) {
    const h = await input.readHistory(c.id);
    if (!h) continue;
    const keys = await store.listChunkKeys(portalId, c.id);
    const chunks = await store.getChunks(portalId, keys.map((k) => k.id));
    historyOnly.set(c.id, historyTexts(withoutFirmographics(h), chunks));
    const variants = [{ ...withoutFirmographics(h), portalId: hiddenPortal }, ...(input.rebuildShown ? [{ ...h, portalId: shownPortal }] : [])];
    // Built as the indexer builds profiles (no portal-wide term frequencies), so only the firmographics differ.
    for (const history of variants) {
      const p = await buildAccountProfile({ history, chunks, embedder: input.embedder, text: buildProfileText(history, undefined, chunks) });
      if (p) await store.upsertProfiles([p]);
    }
  }

  // The candidate: mean embedding of each account's themed sentences, nearest 10 by exact cosine.
  const docs = documentFrequencies(historyOnly.values());
  const themed = new Map<string, number[]>();
  for (const [id, texts] of historyOnly) {
    const s = themedSentences(texts, docs);
    if (s.length) themed.set(id, meanVector((await input.embedder.embed(s)).vectors));
  }
  const themedP10 = [...themed].map(([id, v]) => {
    const nn = [...themed].filter(([o]) => o !== id).map(([o, w]) => ({ o, s: cosine(v, w) })).sort((a, b) => b.s - a.s).slice(0, 10);
    return nn.filter((n) => cluster.get(n.o) === cluster.get(id)).length / Math.max(1, nn.length);
  });

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
  const outcomeLabels: boolean[] = [];
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
    outcomeAucFirmographicLookalikes: auc(lookalikeScores, outcomeLabels),
    outcomeAccounts: outcomeLabels.length,
    themedHistoryP10: mean(themedP10),
    themedHistoryP10Ci: meanInterval(themedP10),
  };
}
