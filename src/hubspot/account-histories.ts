import {
  ENGAGEMENT_TYPES,
  parseAccountId,
  RECORD_TYPES,
  type AccountHistory,
  type AssociationSet,
  type Engagement,
  type EngagementType,
  type HubSpotObject,
  type RecordType,
} from '../core/objects.ts';
import { isProductOutput } from '../core/product-output.ts';
import { CALL_CONCURRENCY, mapLimit, unique } from './batching.ts';
import type { HubSpotGateway } from './gateway.ts';
import { HISTORY_PROPERTIES } from './properties.ts';

/**
 * Full histories of many accounts at once, with batch calls only: a backfill passes 50–100 accounts so that
 * each association or batch read serves all of them. The roll-up rule is the one in account-resolver.ts:
 * an account holds its company (or its company-less contact), the company's contacts, deals and tickets,
 * company-less deals and tickets of those contacts, and every engagement associated with any of these.
 *
 * Calls for N accounts, independent of N up to the batch sizes: 3 company associations, 2 contact
 * associations, ≤2 to find company-less deals/tickets, 4 record batch reads, 20 association reads to find
 * engagements, then per engagement type 4 association reads (the full AssociationSet) and the batch reads.
 */
export type HistoryReader = Pick<HubSpotGateway, 'portalId' | 'batchAssociations' | 'batchRead' | 'engagementAssociations'>;

type Assoc = Map<string, string[]>;

interface AccountPlan {
  accountId: string;
  primary: { type: 'companies' | 'contacts'; id: string };
  contacts: string[];
  deals: string[];
  tickets: string[];
}

export async function readAccountHistories(gw: HistoryReader, accountIds: string[], opts: { appId?: string } = {}): Promise<AccountHistory[]> {
  const ids = unique(accountIds);
  if (ids.length === 0) return [];
  const parsed = ids.map((accountId) => ({ accountId, ...parseAccountId(accountId) }));
  const companyIds = parsed.filter((a) => a.type === 'companies').map((a) => a.id);
  const soloContactIds = parsed.filter((a) => a.type === 'contacts').map((a) => a.id);
  const portal = await gw.portalId();

  // 1. The companies' own contacts, deals and tickets.
  const [coContacts, coDeals, coTickets] = await Promise.all([
    gw.batchAssociations('companies', 'contacts', companyIds),
    gw.batchAssociations('companies', 'deals', companyIds),
    gw.batchAssociations('companies', 'tickets', companyIds),
  ]);

  // 2. Deals and tickets reached through contacts; they belong here only when they have no company.
  const allContacts = unique([...soloContactIds, ...[...coContacts.values()].flat()]);
  const [ctDeals, ctTickets] = await Promise.all([
    gw.batchAssociations('contacts', 'deals', allContacts),
    gw.batchAssociations('contacts', 'tickets', allContacts),
  ]);
  const [companylessDeals, companylessTickets] = await Promise.all([
    companyless(gw, 'deals', ctDeals, coDeals),
    companyless(gw, 'tickets', ctTickets, coTickets),
  ]);

  const plans: AccountPlan[] = parsed.map((a) => {
    const contacts = a.type === 'companies' ? (coContacts.get(a.id) ?? []) : [a.id];
    const viaContacts = (assoc: Assoc, keep: Set<string>) => contacts.flatMap((c) => assoc.get(c) ?? []).filter((d) => keep.has(d));
    return {
      accountId: a.accountId,
      primary: { type: a.type, id: a.id },
      contacts,
      deals: unique([...(a.type === 'companies' ? (coDeals.get(a.id) ?? []) : []), ...viaContacts(ctDeals, companylessDeals)]),
      tickets: unique([...(a.type === 'companies' ? (coTickets.get(a.id) ?? []) : []), ...viaContacts(ctTickets, companylessTickets)]),
    };
  });

  // 3. The records themselves, and which engagements hang off each of them.
  const recordIds: Record<RecordType, string[]> = {
    companies: companyIds,
    contacts: unique(plans.flatMap((p) => p.contacts)),
    deals: unique(plans.flatMap((p) => p.deals)),
    tickets: unique(plans.flatMap((p) => p.tickets)),
  };
  const records = await readRecords(gw, recordIds);
  const pairs = RECORD_TYPES.flatMap((from) => ENGAGEMENT_TYPES.map((to) => ({ from, to })));
  const engagementLinks = await mapLimit(pairs, CALL_CONCURRENCY, async ({ from, to }) => ({
    from,
    to,
    assoc: await gw.batchAssociations(from, to, recordIds[from]),
  }));

  // 4. Each engagement once, with all its associations (it may also belong to accounts outside this call).
  const engagements = await readEngagements(gw, engagementLinks, opts.appId);

  return plans.map((plan) => {
    const history: AccountHistory = { portalId: portal, accountId: plan.accountId, contacts: [], deals: [], tickets: [], engagements: [] };
    const primary = records[plan.primary.type].get(plan.primary.id);
    // The account's own record is gone: return it empty, which the ingest treats as a deletion.
    if (!primary) return history;
    if (plan.primary.type === 'companies') history.company = primary;
    history.contacts = present(records.contacts, plan.contacts);
    history.deals = present(records.deals, plan.deals);
    history.tickets = present(records.tickets, plan.tickets);
    const sources: Record<RecordType, string[]> = {
      companies: plan.primary.type === 'companies' ? [plan.primary.id] : [],
      contacts: history.contacts.map((c) => c.id),
      deals: history.deals.map((d) => d.id),
      tickets: history.tickets.map((t) => t.id),
    };
    const seen = new Set<string>();
    for (const { from, to, assoc } of engagementLinks) {
      for (const source of sources[from]) {
        for (const id of assoc.get(source) ?? []) {
          const key = `${to}:${id}`;
          const engagement = engagements.get(key);
          if (engagement && !seen.has(key)) {
            seen.add(key);
            history.engagements.push(engagement);
          }
        }
      }
    }
    history.engagements.sort(byTypeThenId);
    return history;
  });
}

/** Of the deals (or tickets) reached through contacts, those with no company at all. */
async function companyless(gw: HistoryReader, type: 'deals' | 'tickets', viaContacts: Assoc, direct: Assoc): Promise<Set<string>> {
  const known = new Set([...direct.values()].flat());
  const candidates = unique([...viaContacts.values()].flat()).filter((id) => !known.has(id));
  if (candidates.length === 0) return new Set();
  const companies = await gw.batchAssociations(type, 'companies', candidates);
  return new Set(candidates.filter((id) => (companies.get(id) ?? []).length === 0));
}

async function readRecords(gw: HistoryReader, ids: Record<RecordType, string[]>): Promise<Record<RecordType, Map<string, HubSpotObject>>> {
  const read = await mapLimit(RECORD_TYPES, CALL_CONCURRENCY, async (type) => {
    const objects = await gw.batchRead(type, ids[type], { properties: [...HISTORY_PROPERTIES[type]] });
    return [type, new Map(objects.map((o) => [o.id, o]))] as const;
  });
  return Object.fromEntries(read) as Record<RecordType, Map<string, HubSpotObject>>;
}

async function readEngagements(
  gw: HistoryReader,
  links: Array<{ to: EngagementType; assoc: Assoc }>,
  appId: string | undefined,
): Promise<Map<string, Engagement>> {
  const out = new Map<string, Engagement>();
  await mapLimit(ENGAGEMENT_TYPES, CALL_CONCURRENCY, async (type) => {
    const ids = unique(links.filter((l) => l.to === type).flatMap((l) => [...l.assoc.values()].flat()));
    for (const e of await readEngagementsById(gw, type, ids, appId)) out.set(`${type}:${e.object.id}`, e);
  });
  return out;
}

/**
 * Engagements by id, each with its properties (as a history holds them) and all its associations: one batch
 * read and four association reads per call, whatever the number of ids. Ids that no longer exist are absent.
 */
export async function readEngagementsById(gw: HistoryReader, type: EngagementType, ids: string[], appId: string | undefined): Promise<Engagement[]> {
  if (ids.length === 0) return [];
  const [objects, associations] = await Promise.all([
    gw.batchRead(type, ids, { properties: [...HISTORY_PROPERTIES[type]] }),
    gw.engagementAssociations(type, ids),
  ]);
  return objects.map((object) => {
    const set: AssociationSet = associations.get(object.id) ?? { companies: [], contacts: [], deals: [], tickets: [] };
    return { type, object, associations: set, productOutput: isProductOutput(type, object, appId) };
  });
}

function present(records: Map<string, HubSpotObject>, ids: string[]): HubSpotObject[] {
  return ids.map((id) => records.get(id)).filter((o): o is HubSpotObject => o !== undefined);
}

/**
 * Ids in HubSpot's numeric order, as `a.localeCompare(b, 'en', { numeric: true })` orders them (which ECMA-402
 * defines as a new Collator with these arguments per call): one Collator built once, about 20x cheaper per
 * comparison. A backfill sorts every account's engagements on the main thread with it (tens of thousands).
 */
export const compareIdsNumeric = new Intl.Collator('en', { numeric: true }).compare;

/** The order a history's engagements are in. */
export function byTypeThenId(a: Engagement, b: Engagement): number {
  if (a.type !== b.type) return ENGAGEMENT_TYPES.indexOf(a.type) - ENGAGEMENT_TYPES.indexOf(b.type);
  return compareIdsNumeric(a.object.id, b.object.id);
}
