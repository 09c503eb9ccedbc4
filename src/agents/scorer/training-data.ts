import { contactAccountId, type AccountHistory, type HubSpotObject } from '../../core/objects.ts';
import type { HubSpotGateway } from '../../hubspot/gateway.ts';
import { isClosedStage, isWon, observeDeal } from './features.ts';
import type { TrainingExample } from './train.ts';

/**
 * Reads the portal's closed deals and their accounts' histories through the gateway (batch APIs only) and
 * turns them into training examples. Closed and won stages come from the deal pipelines' stage metadata
 * (`isClosed`, `probability`), since stage ids are per-portal.
 */

export interface LabelledExample extends TrainingExample {
  dealId: string;
  accountId: string;
}

const DEAL_PROPERTIES = ['dealname', 'dealstage', 'pipeline', 'closedate', 'amount', 'hs_is_closed', 'hs_is_closed_won', 'createdate'];
const HISTORY_BATCH = 50;

export async function closedStageSets(gateway: HubSpotGateway): Promise<{ closed: Set<string>; won: Set<string> } | undefined> {
  const pipelines = await gateway.listPipelines('deals');
  const closed = new Set<string>();
  const won = new Set<string>();
  for (const p of pipelines) {
    for (const s of p.stages) {
      const prob = s.metadata?.probability;
      const isClosed = s.metadata?.isClosed === 'true' || prob === '1.0' || prob === '0.0' || prob === '1' || prob === '0';
      if (isClosed) closed.add(s.id);
      if (isClosed && (prob === '1.0' || prob === '1')) won.add(s.id);
    }
  }
  return closed.size > 0 ? { closed, won } : undefined;
}

export async function allDeals(gateway: HubSpotGateway): Promise<HubSpotObject[]> {
  const deals: HubSpotObject[] = [];
  let after: string | undefined;
  do {
    const page = await gateway.listObjects('deals', { properties: DEAL_PROPERTIES, limit: 100, ...(after ? { after } : {}) });
    deals.push(...page.results);
    after = page.after;
  } while (after);
  return deals;
}

export async function collectTrainingExamples(
  gateway: HubSpotGateway,
  opts: { onProgress?: (done: number, total: number) => void; now?: number } = {},
): Promise<LabelledExample[]> {
  const stages = await closedStageSets(gateway);
  const closedDeals = (await allDeals(gateway)).filter((d) => isClosedStage(d, stages?.closed));
  if (closedDeals.length === 0) return [];
  const ids = closedDeals.map((d) => d.id);
  const [dealCompanies, dealContacts] = await Promise.all([
    gateway.batchAssociations('deals', 'companies', ids),
    gateway.batchAssociations('deals', 'contacts', ids),
  ]);
  const contactIds = [...new Set([...dealContacts.values()].flat())];
  const contacts = new Map((await gateway.batchRead('contacts', contactIds, { properties: ['jobtitle', 'firstname', 'lastname'] })).map((c) => [c.id, c]));

  // A deal rolls up to its company; a deal with only contacts belongs to the first contact's own account.
  const accountOfDeal = new Map<string, string>();
  for (const d of closedDeals) {
    const company = dealCompanies.get(d.id)?.[0];
    const contact = dealContacts.get(d.id)?.[0];
    if (company) accountOfDeal.set(d.id, company);
    else if (contact) accountOfDeal.set(d.id, contactAccountId(contact));
  }
  const accountIds = [...new Set(accountOfDeal.values())];
  const histories = new Map<string, AccountHistory>();
  for (let i = 0; i < accountIds.length; i += HISTORY_BATCH) {
    for (const h of await gateway.accountHistories(accountIds.slice(i, i + HISTORY_BATCH))) histories.set(h.accountId, h);
    opts.onProgress?.(Math.min(accountIds.length, i + HISTORY_BATCH), accountIds.length);
  }

  const examples: LabelledExample[] = [];
  for (const deal of closedDeals) {
    const accountId = accountOfDeal.get(deal.id);
    const history = accountId ? histories.get(accountId) : undefined;
    if (!accountId || !history) continue;
    const onDeal = (dealContacts.get(deal.id) ?? []).map((id) => contacts.get(id)).filter((c): c is HubSpotObject => Boolean(c));
    examples.push({
      dealId: deal.id,
      accountId,
      groupId: accountId,
      won: isWon(deal, stages?.won),
      observation: observeDeal(history, deal, { dealContacts: onDeal, ...(opts.now === undefined ? {} : { now: opts.now }) }),
    });
  }
  return examples;
}
