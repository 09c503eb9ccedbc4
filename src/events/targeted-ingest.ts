import {
  contactAccountId,
  ENGAGEMENT_TYPES,
  RECORD_TYPES,
  type AccountHistory,
  type Engagement,
  type HubSpotObject,
  type ObjectType,
  type RecordType,
} from '../core/objects.ts';
import { unique } from '../hubspot/batching.ts';
import { HISTORY_PROPERTIES } from '../hubspot/properties.ts';
import { withAdded, withoutEngagement, withoutRecords } from '../ingest/history-patch.ts';
import type { Indexer } from '../ingest/indexer.ts';
import type { IngestRecordPayload } from '../queue/jobs.ts';
import type { HubSpotGateway } from '../hubspot/gateway.ts';

/**
 * Ingest of the events that change the shape of accounts (deletions, new records, association changes between
 * records, merges) without reading any account whole: the changed object (or pair) is read, and the accounts'
 * indexed snapshots supply everything else they already hold (records, engagements with their associations).
 * Each path gives the index a full re-read would give (test/events/ingest-calls.test.ts checks it); a path that
 * lacks something (an account without a current snapshot, content no snapshot holds) returns null and the
 * caller reads the accounts whole.
 */

/** What these paths use of the ingest handlers' dependencies. */
export interface TargetedDeps {
  indexer: Indexer;
  gateway: HubSpotGateway;
}

type Refresh = Awaited<ReturnType<Indexer['refreshAccounts']>>;
export interface TargetedOutcome {
  current: string[];
  refresh: Refresh;
  removedSources: number;
  accountsRemoved: number;
  chunksDeleted: number;
}

type Shape = 'contacts' | 'deals' | 'tickets';
const isEngagement = (t: ObjectType) => (ENGAGEMENT_TYPES as readonly string[]).includes(t);
const ownAccount = (type: ObjectType, id: string) => (type === 'companies' ? id : type === 'contacts' ? contactAccountId(id) : undefined);

async function removeAccounts(indexer: Indexer, portalId: string, ids: Iterable<string>): Promise<{ accountsRemoved: number; chunksDeleted: number }> {
  let accountsRemoved = 0;
  let chunksDeleted = 0;
  for (const a of ids) {
    const n = await indexer.removeAccount(portalId, a);
    chunksDeleted += n;
    if (n > 0) accountsRemoved += 1;
  }
  return { accountsRemoved, chunksDeleted };
}

/** Current snapshots of the given accounts, or null when one of them has none (the caller reads whole). */
async function allSnapshots(indexer: Indexer, portalId: string, ids: string[]): Promise<Map<string, AccountHistory> | null> {
  const snaps = await indexer.currentSnapshots(portalId, ids);
  return ids.every((a) => snaps.has(a)) ? snaps : null;
}

/**
 * A deleted engagement, contact, deal or ticket: the store says which accounts hold it, each drops it from its
 * snapshot with what only it brought (for a contact, the company-less deals and tickets no other contact of the
 * account reaches: two association reads per type). A deleted company's own account is simply removed, which the
 * whole path already does without reading.
 */
export async function ingestDeletion(deps: TargetedDeps, p: IngestRecordPayload): Promise<TargetedOutcome | null> {
  const { indexer } = deps;
  if (p.objectType === 'companies') return null;
  const source = `${p.objectType}:${p.objectId}`;
  const own = ownAccount(p.objectType, p.objectId);
  const holders = (await indexer.findAccountsHoldingSources(p.portalId, [source])).filter((a) => a !== own);
  const snaps = await allSnapshots(indexer, p.portalId, holders);
  if (!snaps) return null;

  let patch: (h: AccountHistory) => AccountHistory | null;
  if (isEngagement(p.objectType)) {
    patch = (h) => withoutEngagement(h, p.objectType as Engagement['type'], p.objectId);
  } else if (p.objectType === 'deals' || p.objectType === 'tickets') {
    patch = (h) => withoutRecords(h, { [p.objectType]: [p.objectId] });
  } else {
    // A contact: company-less deals and tickets it brought leave unless another contact of the account has them.
    const keep = await reachable(deps, [...snaps.values()], p.objectId);
    patch = (h) => withoutRecords(h, { contacts: [p.objectId], deals: keep.drop(h, 'deals'), tickets: keep.drop(h, 'tickets') });
  }
  const removed = own ? await removeAccounts(indexer, p.portalId, [own]) : { accountsRemoved: 0, chunksDeleted: 0 };
  const refresh = await indexer.refreshAccounts(p.portalId, holders, patch);
  await indexer.removeSources(p.portalId, [source]);
  return { current: [], refresh, removedSources: 1, ...removed };
}

/**
 * Which of the accounts' deals and tickets are still theirs without contact `without`: those of the company
 * itself, and company-less ones another of the account's contacts has (HubSpot's associations, read in batches).
 */
async function reachable(deps: TargetedDeps, histories: AccountHistory[], without: string) {
  const out = new Map<'deals' | 'tickets', { companies: Map<string, string[]>; contacts: Map<string, string[]> }>();
  for (const type of ['deals', 'tickets'] as const) {
    const ids = unique(histories.flatMap((h) => h[type].map((o) => o.id)));
    const companies = await deps.gateway.batchAssociations(type, 'companies', ids);
    const companyless = ids.filter((id) => (companies.get(id) ?? []).length === 0);
    const contacts = companyless.length > 0 ? await deps.gateway.batchAssociations(type, 'contacts', companyless) : new Map<string, string[]>();
    out.set(type, { companies, contacts });
  }
  return {
    drop(h: AccountHistory, type: 'deals' | 'tickets'): string[] {
      const { companies, contacts } = out.get(type)!;
      const mine = new Set(h.contacts.map((c) => c.id).filter((c) => c !== without));
      const company = h.company?.id;
      return h[type]
        .filter((o) => {
          const cos = companies.get(o.id) ?? [];
          if (cos.length > 0) return !(company && cos.includes(company));
          return !(contacts.get(o.id) ?? []).some((c) => mine.has(c));
        })
        .map((o) => o.id);
    },
  };
}

/**
 * A new contact, deal or ticket (or company): read once with all its associations. When it arrives with no
 * engagements and no records of its own yet (HubSpot sends later associations as events of their own), it joins
 * the snapshots of the accounts it rolls up to, or starts its own account; otherwise the whole path runs.
 */
export async function ingestNewRecord(deps: TargetedDeps, p: IngestRecordPayload): Promise<TargetedOutcome | null> {
  const { indexer, gateway } = deps;
  const type = p.objectType as RecordType;
  const read = await gateway.readWithAssociations(type, p.objectId, { properties: [...HISTORY_PROPERTIES[type]], associations: [...RECORD_TYPES, ...ENGAGEMENT_TYPES] });
  if (!read) return null;
  const assoc = read.associations;
  if (ENGAGEMENT_TYPES.some((t) => (assoc[t] ?? []).length > 0)) return null;
  const record = read.object;
  const none = (...types: RecordType[]) => types.every((t) => (assoc[t] ?? []).length === 0);
  let accounts: string[];
  const known = new Map<string, AccountHistory>();
  if (type === 'companies') {
    if (!none('contacts', 'deals', 'tickets')) return null;
    accounts = [p.objectId];
    known.set(p.objectId, { ...emptyHistory(p.portalId, p.objectId), company: record });
  } else if (type === 'contacts') {
    if (!none('deals', 'tickets')) return null;
    accounts = contactAccounts(p.objectId, assoc.companies ?? []);
    const solo = contactAccountId(p.objectId);
    if (accounts.includes(solo)) known.set(solo, { ...emptyHistory(p.portalId, solo), contacts: [record] });
  } else {
    accounts = await dealAccounts(deps, assoc.companies ?? [], assoc.contacts ?? []);
  }
  accounts = unique(accounts).sort();
  const existing = accounts.filter((a) => !known.has(a));
  if (!(await allSnapshots(indexer, p.portalId, existing))) return null;
  const key = type === 'companies' ? undefined : type;
  const refresh = await indexer.refreshAccounts(p.portalId, accounts, (h) => (key ? withAdded(h, { [key]: [record] }) : null), known);
  return { current: accounts, refresh, removedSources: 0, accountsRemoved: 0, chunksDeleted: 0 };
}

/** What objects bring into an account: themselves, and the engagements (with associations) hanging off them. */
interface Bundle {
  records: Partial<Record<Shape, HubSpotObject[]>>;
  engagements: Engagement[];
}

/**
 * Everything the given records bring to an account, from the snapshots of accounts that hold them now (a
 * snapshot holds every engagement of each of its records); null when some record is in no current snapshot.
 */
function bundleFrom(snaps: Iterable<AccountHistory>, records: Array<{ type: Shape; id: string }>): Bundle | null {
  const out: Bundle = { records: {}, engagements: [] };
  const list = [...snaps];
  const seen = new Set<string>();
  for (const { type, id } of records) {
    const h = list.find((s) => s[type].some((o) => o.id === id));
    if (!h) return null;
    (out.records[type] ??= []).push(h[type].find((o) => o.id === id)!);
    for (const e of h.engagements) {
      const key = `${e.type}:${e.object.id}`;
      if ((e.associations[type] ?? []).includes(id) && !seen.has(key)) {
        seen.add(key);
        out.engagements.push(e);
      }
    }
  }
  return out;
}

/** Engagements whose associations name `from` (of `type`) now name `to`: HubSpot moved them in a merge. */
function rekeyed(engagements: Engagement[], type: RecordType, from: ReadonlySet<string>, to: string): Engagement[] {
  return engagements.map((e) => {
    const ids = e.associations[type] ?? [];
    if (!ids.some((id) => from.has(id))) return e;
    const next = unique(ids.map((id) => (from.has(id) ? to : id))).sort((x, y) => x.localeCompare(y, 'en', { numeric: true }));
    return { ...e, associations: { ...e.associations, [type]: next } };
  });
}

const emptyHistory = (portalId: string, accountId: string): AccountHistory => ({ portalId, accountId, contacts: [], deals: [], tickets: [], engagements: [] });

/** The accounts a contact with these companies rolls up to. */
const contactAccounts = (id: string, companies: string[]) => (companies.length > 0 ? [...companies].sort() : [contactAccountId(id)]);

/** The accounts a deal or ticket with these associations rolls up to (one read when it has no company). */
async function dealAccounts(deps: TargetedDeps, companies: string[], contacts: string[]): Promise<string[]> {
  if (companies.length > 0) return [...companies].sort();
  const cos = contacts.length > 0 ? await deps.gateway.batchAssociations('contacts', 'companies', contacts) : new Map<string, string[]>();
  return unique(contacts.flatMap((c) => contactAccounts(c, cos.get(c) ?? []))).sort();
}

/**
 * An association added or removed between two records. Only pairs of the roll-up rule move content: company–
 * contact (the contact moves, with its company-less deals and tickets), company–deal/ticket and contact–deal/ticket
 * (the deal or ticket moves). The moving object is read as it is now with its associations; the accounts it
 * joins take it (and what it brings) from the snapshots of the accounts that held it, the accounts it left drop it.
 */
export async function ingestAssociationChange(deps: TargetedDeps, p: IngestRecordPayload): Promise<TargetedOutcome | null> {
  const other = p.related?.[0];
  if (!other || (p.related?.length ?? 0) !== 1) return null;
  const types = new Set([p.objectType, other.objectType]);
  const idOf = (t: ObjectType) => (p.objectType === t ? p.objectId : other.objectId);
  if (types.has('companies') && types.has('contacts')) return moveContact(deps, p.portalId, idOf('contacts'));
  for (const t of ['deals', 'tickets'] as const) {
    if (types.has(t) && types.size === 2 && (types.has('companies') || types.has('contacts'))) return moveDealOrTicket(deps, p.portalId, t, idOf(t));
  }
  return null;
}

/** A contact's companies changed: it (with its company-less deals and tickets) leaves and joins accounts. */
async function moveContact(deps: TargetedDeps, portalId: string, ct: string): Promise<TargetedOutcome | null> {
  const { indexer, gateway } = deps;
  const read = await gateway.readWithAssociations('contacts', ct, { properties: [...HISTORY_PROPERTIES.contacts], associations: ['companies', 'deals', 'tickets'] });
  if (!read) return null;
  const travelling = await companyless(deps, read.associations);
  const now = contactAccounts(ct, read.associations.companies ?? []);
  const before = await indexer.findAccountsHoldingSources(portalId, [`contacts:${ct}`]);
  const snaps = await allSnapshots(indexer, portalId, unique([...before, ...now.filter((a) => !a.startsWith('contact:'))]));
  if (!snaps) return null;
  const share = bundleFrom(before.map((a) => snaps.get(a)!), [{ type: 'contacts', id: ct }, ...travelling]);
  if (!share) return null;
  share.records.contacts = [read.object];
  const left = before.filter((a) => !now.includes(a));
  const solo = contactAccountId(ct);
  const removed = await removeAccounts(indexer, portalId, left.filter((a) => a === solo));
  const leftCompanies = left.filter((a) => a !== solo);
  const keep = leftCompanies.length > 0 ? await reachable(deps, leftCompanies.map((a) => snaps.get(a)!), ct) : undefined;
  const known = new Map<string, AccountHistory>();
  if (now.includes(solo) && !snaps.has(solo)) known.set(solo, withAdded(emptyHistory(portalId, solo), { ...share.records, engagements: share.engagements }));
  const refresh = await indexer.refreshAccounts(
    portalId,
    unique([...now, ...leftCompanies]),
    (h) =>
      now.includes(h.accountId)
        ? withAdded(h, { ...share.records, engagements: share.engagements })
        : withoutRecords(h, { contacts: [ct], deals: keep!.drop(h, 'deals'), tickets: keep!.drop(h, 'tickets') }),
    known,
  );
  return { current: now, refresh, removedSources: 0, ...removed };
}

/** The deals and tickets among these associations that have no company (they travel with their contact). */
async function companyless(deps: TargetedDeps, assoc: Partial<Record<ObjectType, string[]>>): Promise<Array<{ type: Shape; id: string }>> {
  const out: Array<{ type: Shape; id: string }> = [];
  for (const type of ['deals', 'tickets'] as const) {
    const ids = assoc[type] ?? [];
    if (ids.length === 0) continue;
    const cos = await deps.gateway.batchAssociations(type, 'companies', ids);
    for (const id of ids) if ((cos.get(id) ?? []).length === 0) out.push({ type, id });
  }
  return out;
}

/** A deal's (or ticket's) companies or contacts changed: it leaves the accounts it no longer rolls up to and joins the new ones. */
async function moveDealOrTicket(deps: TargetedDeps, portalId: string, type: 'deals' | 'tickets', id: string): Promise<TargetedOutcome | null> {
  const { indexer, gateway } = deps;
  const read = await gateway.readWithAssociations(type, id, { properties: [...HISTORY_PROPERTIES[type]], associations: ['companies', 'contacts'] });
  if (!read) return null;
  const now = await dealAccounts(deps, read.associations.companies ?? [], read.associations.contacts ?? []);
  const before = await indexer.findAccountsHoldingSources(portalId, [`${type}:${id}`]);
  const snaps = await allSnapshots(indexer, portalId, unique([...before, ...now]));
  if (!snaps) return null;
  const joined = now.filter((a) => !before.includes(a));
  const share = joined.length > 0 ? bundleFrom(before.map((a) => snaps.get(a)!), [{ type, id }]) ?? (await freshShare(deps, type, read.object)) : { records: {}, engagements: [] };
  if (!share) return null;
  share.records[type] = [read.object];
  const refresh = await indexer.refreshAccounts(portalId, unique([...now, ...before]), (h) =>
    now.includes(h.accountId) ? withAdded(h, { ...share.records, engagements: share.engagements }) : withoutRecords(h, { [type]: [id] }),
  );
  return { current: now, refresh, removedSources: 0, accountsRemoved: 0, chunksDeleted: 0 };
}

/** A deal or ticket no account held yet brings only itself when it has no engagements; else unknown (null). */
async function freshShare(deps: TargetedDeps, type: 'deals' | 'tickets', record: HubSpotObject): Promise<Bundle | null> {
  const read = await deps.gateway.readWithAssociations(type, record.id, { associations: [...ENGAGEMENT_TYPES] });
  if (!read || ENGAGEMENT_TYPES.some((t) => (read.associations[t] ?? []).length > 0)) return null;
  return { records: { [type]: [record] }, engagements: [] };
}

/**
 * A merge: HubSpot moved the merged records' associations to the one kept and archived them. The kept record is
 * read; every account that held either takes the kept record (fresh) with everything the merged ones brought,
 * their engagements now associated with the kept one; accounts of merged companies or company-less contacts that
 * no longer exist are removed.
 */
export async function ingestMerge(deps: TargetedDeps, p: IngestRecordPayload): Promise<TargetedOutcome | null> {
  const { indexer, gateway } = deps;
  const type = p.objectType as RecordType;
  if (!RECORD_TYPES.includes(type)) return null;
  const merged = p.mergedObjectIds ?? [];
  const gone = new Set(merged);
  const read = await gateway.readWithAssociations(type, p.objectId, { properties: [...HISTORY_PROPERTIES[type]], associations: ['companies', 'contacts', 'deals', 'tickets'] });
  if (!read) return null;
  const sources = [p.objectId, ...merged].map((id) => `${type}:${id}`);
  const before = await indexer.findAccountsHoldingSources(p.portalId, sources);

  if (type === 'companies') {
    const snaps = await allSnapshots(indexer, p.portalId, unique([p.objectId, ...before]));
    if (!snaps || !snaps.has(p.objectId)) return null;
    const from = merged.map((m) => snaps.get(m)).filter((h): h is AccountHistory => h !== undefined);
    const add = {
      contacts: from.flatMap((h) => h.contacts),
      deals: from.flatMap((h) => h.deals),
      tickets: from.flatMap((h) => h.tickets),
      engagements: rekeyed(from.flatMap((h) => h.engagements), 'companies', gone, p.objectId),
    };
    const removed = await removeAccounts(indexer, p.portalId, merged);
    const refresh = await indexer.refreshAccounts(p.portalId, [p.objectId], (h) =>
      withAdded({ ...h, company: read.object, engagements: rekeyed(h.engagements, 'companies', gone, p.objectId) }, add),
    );
    return { current: [p.objectId], refresh, removedSources: merged.length, ...removed };
  }

  const shape: Shape = type;
  const now = shape === 'contacts' ? contactAccounts(p.objectId, read.associations.companies ?? []) : await dealAccounts(deps, read.associations.companies ?? [], read.associations.contacts ?? []);
  const travelling = shape === 'contacts' ? await companyless(deps, read.associations) : [];
  const snaps = await allSnapshots(indexer, p.portalId, unique([...before, ...now.filter((a) => !a.startsWith('contact:') || before.includes(a))]));
  if (!snaps) return null;
  const held = [...snaps.values()];
  const share = bundleFrom(held, [...[p.objectId, ...merged].filter((id) => held.some((h) => h[shape].some((o) => o.id === id))).map((id) => ({ type: shape, id })), ...travelling]);
  if (!share) return null;
  share.records[shape] = [read.object];
  const engagements = rekeyed(share.engagements, type, gone, p.objectId);
  const stale = unique([...before.filter((a) => !now.includes(a)), ...(shape === 'contacts' ? merged.map(contactAccountId) : [])]);
  const removed = await removeAccounts(indexer, p.portalId, stale.filter((a) => a.startsWith('contact:')));
  const known = new Map<string, AccountHistory>();
  for (const a of now) if (!snaps.has(a)) known.set(a, withAdded(emptyHistory(p.portalId, a), { ...share.records, engagements }));
  const refresh = await indexer.refreshAccounts(
    p.portalId,
    unique([...now, ...stale.filter((a) => !a.startsWith('contact:'))]),
    (h) => {
      const without = withoutRecords({ ...h, engagements: rekeyed(h.engagements, type, gone, p.objectId) }, { [shape]: merged });
      return now.includes(h.accountId) ? withAdded(without, { ...share.records, engagements }) : without;
    },
    known,
  );
  return { current: now, refresh, removedSources: merged.length, ...removed };
}
