import {
  contactAccountId,
  ENGAGEMENT_TYPES,
  RECORD_TYPES,
  type AccountHistory,
  type Engagement,
  type EngagementType,
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
 * Each path gives the index a full re-read would give (test/events/ingest-calls.test.ts checks it). An account
 * without a current snapshot (never indexed, or indexed by something that left none) is read whole, together
 * with any other account a patch cannot serve, in the one history read of the event (Indexer.refreshAccounts):
 * nothing but HubSpot can say what such an account holds. The other accounts are patched.
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
  const snaps = await indexer.currentSnapshots(p.portalId, holders);

  let patch: (h: AccountHistory) => AccountHistory | null;
  if (isEngagement(p.objectType)) {
    patch = (h) => withoutEngagement(h, p.objectType as Engagement['type'], p.objectId);
  } else if (p.objectType === 'deals' || p.objectType === 'tickets') {
    patch = (h) => withoutRecords(h, { [p.objectType]: [p.objectId] });
  } else {
    // A contact: company-less deals and tickets it brought leave unless another contact of the account has them.
    const keep = await reachable(deps, [...snaps.values()], p.objectId);
    patch = (h) => keep.without(h, p.objectId);
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
  const drop = (h: AccountHistory, type: 'deals' | 'tickets'): string[] | null => {
    const { companies, contacts } = out.get(type)!;
    // A record these reads did not cover (the snapshot changed since): unknown, the account is read whole.
    if (h[type].some((o) => !companies.has(o.id))) return null;
    const mine = new Set(h.contacts.map((c) => c.id).filter((c) => c !== without));
    const company = h.company?.id;
    return h[type]
      .filter((o) => {
        const cos = companies.get(o.id) ?? [];
        if (cos.length > 0) return !(company && cos.includes(company));
        return !(contacts.get(o.id) ?? []).some((c) => mine.has(c));
      })
      .map((o) => o.id);
  };
  return {
    /** The account without contact `ct` and what only it brought; null when these reads cannot tell. */
    without(h: AccountHistory, ct: string): AccountHistory | null {
      const [deals, tickets] = [drop(h, 'deals'), drop(h, 'tickets')];
      return deals && tickets ? withoutRecords(h, { contacts: [ct], deals, tickets }) : null;
    },
  };
}

/**
 * A new record, read once with all its associations. It joins the accounts it rolls up to (a company, or a
 * company-less contact, starts its own) with what it brings: the engagements it already has, read as they are now
 * (which also refreshes them in the other accounts that hold them: their associations now name this record), and
 * for a contact its company-less deals and tickets with everything those bring, from the snapshots that hold
 * them. A company that arrives with contacts, deals or tickets is an account never seen before whose content is
 * spread over other records' associations: its first read is this event's one history read (the whole path).
 */
export async function ingestNewRecord(deps: TargetedDeps, p: IngestRecordPayload): Promise<TargetedOutcome | null> {
  const { indexer, gateway } = deps;
  const type = p.objectType as RecordType;
  const read = await gateway.readWithAssociations(type, p.objectId, { properties: [...HISTORY_PROPERTIES[type]], associations: [...RECORD_TYPES, ...ENGAGEMENT_TYPES] });
  if (!read) return null;
  const assoc = read.associations;
  const record = read.object;
  const ids = (t: ObjectType) => assoc[t] ?? [];
  if (type === 'companies' && (['contacts', 'deals', 'tickets'] as const).some((t) => ids(t).length > 0)) return null;

  let accounts: string[];
  let travelling: Array<{ type: Shape; id: string }> = [];
  if (type === 'companies') accounts = [p.objectId];
  else if (type === 'contacts') {
    accounts = contactAccounts(p.objectId, ids('companies'));
    travelling = await companyless(deps, assoc);
  } else accounts = await dealAccounts(deps, ids('companies'), ids('contacts'));
  accounts = unique(accounts).sort();

  const carried = await carriedBy(deps, p.portalId, travelling);
  const engagements = await readEngagements(deps, (t) => unique([...ids(t), ...(carried.unread.get(t) ?? [])]));
  // The engagements as read now replace the snapshots' copies (withAdded keeps the last of each).
  const add = { ...carried.bundle.records, engagements: [...carried.bundle.engagements, ...engagements] };
  if (type !== 'companies') add[type] = [...(add[type] ?? []), record];
  const own = ownAccount(type, p.objectId);
  const known = new Map<string, AccountHistory>();
  if (own && accounts.includes(own)) {
    const base = emptyHistory(p.portalId, own);
    known.set(own, withAdded(type === 'companies' ? { ...base, company: record } : base, add));
  }
  const elsewhere = (await indexer.findAccountsHoldingSources(p.portalId, engagements.map((e) => `${e.type}:${e.object.id}`))).filter((a) => !accounts.includes(a));
  const refresh = await indexer.refreshAccounts(
    p.portalId,
    [...accounts, ...elsewhere],
    // An account of its own (this record's) has no snapshot to patch: `known` is its whole history.
    (h) => (h.accountId === own ? null : accounts.includes(h.accountId) ? withAdded(h, add) : withAdded(h, { engagements })),
    known,
  );
  return { current: accounts, refresh, removedSources: 0, accountsRemoved: 0, chunksDeleted: 0 };
}

/** Engagements by id, as they are now (one request per id up to four per type; HubSpotGateway.engagements). */
async function readEngagements(deps: TargetedDeps, ids: (t: EngagementType) => string[]): Promise<Engagement[]> {
  const read = await Promise.all(ENGAGEMENT_TYPES.map((t) => (ids(t).length > 0 ? deps.gateway.engagements(t, ids(t)) : Promise.resolve([]))));
  return read.flat();
}

/**
 * What deals and tickets joining an account bring: each with its engagements, from a snapshot that holds it. One
 * no snapshot holds (it rolled up to no account until now, or its accounts have none) is read with the ids of its
 * engagements (`unread`, for the caller to read with its own).
 */
async function carriedBy(deps: TargetedDeps, portalId: string, records: Array<{ type: Shape; id: string }>): Promise<{ bundle: Bundle; unread: Map<EngagementType, string[]> }> {
  const bundle: Bundle = { records: {}, engagements: [] };
  const unread = new Map<EngagementType, string[]>();
  if (records.length === 0) return { bundle, unread };
  const holders = await deps.indexer.findAccountsHoldingSources(portalId, records.map((r) => `${r.type}:${r.id}`));
  const snaps = [...(await deps.indexer.currentSnapshots(portalId, holders)).values()];
  for (const r of records) {
    const held = bundleFrom(snaps, [r]);
    if (held) {
      (bundle.records[r.type] ??= []).push(...(held.records[r.type] ?? []));
      bundle.engagements.push(...held.engagements);
      continue;
    }
    const read = await deps.gateway.readWithAssociations(r.type, r.id, { properties: [...HISTORY_PROPERTIES[r.type]], associations: [...ENGAGEMENT_TYPES] });
    if (!read) continue; // deleted meanwhile: its deletion event removes it
    (bundle.records[r.type] ??= []).push(read.object);
    for (const t of ENGAGEMENT_TYPES) unread.set(t, [...(unread.get(t) ?? []), ...(read.associations[t] ?? [])]);
  }
  return { bundle, unread };
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
 * Other pairs of records move nothing (shapeUnchanged).
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
  // An engagement's associations: the caller ingests the engagement as it is now (an edit).
  if ([...types].some(isEngagement)) return null;
  return shapeUnchanged(deps, p);
}

/**
 * An association that moves nothing between accounts: a deal with a ticket, or two records of one kind (parent and
 * child companies). Accounts hold deals and tickets through companies and contacts only, and no history holds a
 * record's links to another of its kind, so no history changes: the accounts holding the object are reconciled
 * from their snapshots (no request). One without a snapshot is read only when the event asks for a generation,
 * which needs an indexed history; otherwise its index is as right as before the event.
 */
async function shapeUnchanged(deps: TargetedDeps, p: IngestRecordPayload): Promise<TargetedOutcome> {
  const holders = await deps.indexer.findAccountsHoldingSources(p.portalId, [`${p.objectType}:${p.objectId}`]);
  const snaps = await deps.indexer.currentSnapshots(p.portalId, holders);
  const targets = (p.generate?.length ?? 0) > 0 ? holders : holders.filter((a) => snaps.has(a));
  const refresh = await deps.indexer.refreshAccounts(p.portalId, targets, (h) => h);
  return { current: holders, refresh, removedSources: 0, accountsRemoved: 0, chunksDeleted: 0 };
}

/**
 * A contact's companies changed: it (with its company-less deals and tickets) leaves and joins accounts. What it
 * brings comes from the snapshots of the accounts that held it; when none holds it, the accounts it joins are read
 * whole.
 */
async function moveContact(deps: TargetedDeps, portalId: string, ct: string): Promise<TargetedOutcome | null> {
  const { indexer, gateway } = deps;
  const read = await gateway.readWithAssociations('contacts', ct, { properties: [...HISTORY_PROPERTIES.contacts], associations: ['companies', 'deals', 'tickets'] });
  if (!read) return null;
  const travelling = await companyless(deps, read.associations);
  const now = contactAccounts(ct, read.associations.companies ?? []);
  const before = await indexer.findAccountsHoldingSources(portalId, [`contacts:${ct}`]);
  const snaps = await indexer.currentSnapshots(portalId, unique([...before, ...now]));
  const share = bundleFrom(before.filter((a) => snaps.has(a)).map((a) => snaps.get(a)!), [{ type: 'contacts', id: ct }, ...travelling]);
  if (share) share.records.contacts = [read.object];
  const left = before.filter((a) => !now.includes(a));
  const solo = contactAccountId(ct);
  const removed = await removeAccounts(indexer, portalId, left.filter((a) => a === solo));
  const leftCompanies = left.filter((a) => a !== solo);
  const leftSnaps = leftCompanies.filter((a) => snaps.has(a)).map((a) => snaps.get(a)!);
  const keep = leftSnaps.length > 0 ? await reachable(deps, leftSnaps, ct) : undefined;
  const known = new Map<string, AccountHistory>();
  if (share && now.includes(solo) && !snaps.has(solo)) known.set(solo, withAdded(emptyHistory(portalId, solo), { ...share.records, engagements: share.engagements }));
  const refresh = await indexer.refreshAccounts(
    portalId,
    unique([...now, ...leftCompanies]),
    (h) => (now.includes(h.accountId) ? (share ? withAdded(h, { ...share.records, engagements: share.engagements }) : null) : (keep?.without(h, ct) ?? null)),
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
  const joined = now.filter((a) => !before.includes(a));
  let share: Bundle = { records: {}, engagements: [] };
  if (joined.length > 0) {
    // What it brings: from a snapshot that holds it, or (held by none) its engagements read as they are now.
    const carried = await carriedBy(deps, portalId, [{ type, id }]);
    share = { records: {}, engagements: [...carried.bundle.engagements, ...(await readEngagements(deps, (t) => unique(carried.unread.get(t) ?? [])))] };
  }
  share.records[type] = [read.object];
  const refresh = await indexer.refreshAccounts(portalId, unique([...now, ...before]), (h) =>
    now.includes(h.accountId) ? withAdded(h, { ...share.records, engagements: share.engagements }) : withoutRecords(h, { [type]: [id] }),
  );
  return { current: now, refresh, removedSources: 0, accountsRemoved: 0, chunksDeleted: 0 };
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
    // The kept company takes what the merged ones held; a merged one without a snapshot (never indexed, or its
    // snapshot gone) leaves that unknown, and the kept company is read whole.
    const snaps = await indexer.currentSnapshots(p.portalId, unique([p.objectId, ...merged]));
    const from = merged.map((m) => snaps.get(m)).filter((h): h is AccountHistory => h !== undefined);
    const complete = from.length === merged.length;
    const add = {
      contacts: from.flatMap((h) => h.contacts),
      deals: from.flatMap((h) => h.deals),
      tickets: from.flatMap((h) => h.tickets),
      engagements: rekeyed(from.flatMap((h) => h.engagements), 'companies', gone, p.objectId),
    };
    const removed = await removeAccounts(indexer, p.portalId, merged);
    const refresh = await indexer.refreshAccounts(p.portalId, [p.objectId], (h) =>
      complete ? withAdded({ ...h, company: read.object, engagements: rekeyed(h.engagements, 'companies', gone, p.objectId) }, add) : null,
    );
    return { current: [p.objectId], refresh, removedSources: merged.length, ...removed };
  }

  const shape: Shape = type;
  const now = shape === 'contacts' ? contactAccounts(p.objectId, read.associations.companies ?? []) : await dealAccounts(deps, read.associations.companies ?? [], read.associations.contacts ?? []);
  const travelling = shape === 'contacts' ? await companyless(deps, read.associations) : [];
  const snaps = await indexer.currentSnapshots(p.portalId, unique([...before, ...now]));
  const held = [...snaps.values()];
  // What the kept and merged records bring, known only when every account that held one has its snapshot; else
  // the accounts they roll up to now are read whole.
  const share = before.every((a) => snaps.has(a))
    ? bundleFrom(held, [...[p.objectId, ...merged].filter((id) => held.some((h) => h[shape].some((o) => o.id === id))).map((id) => ({ type: shape, id })), ...travelling])
    : null;
  if (share) share.records[shape] = [read.object];
  const engagements = share ? rekeyed(share.engagements, type, gone, p.objectId) : [];
  const stale = unique([...before.filter((a) => !now.includes(a)), ...(shape === 'contacts' ? merged.map(contactAccountId) : [])]);
  const removed = await removeAccounts(indexer, p.portalId, stale.filter((a) => a.startsWith('contact:')));
  const known = new Map<string, AccountHistory>();
  // The kept contact's own account (it has no company), new: built from what it brings. Other accounts without a
  // snapshot hold more than this merge knows: they are read whole.
  const solo = shape === 'contacts' ? contactAccountId(p.objectId) : undefined;
  if (share && solo && now.includes(solo) && !snaps.has(solo)) known.set(solo, withAdded(emptyHistory(p.portalId, solo), { ...share.records, engagements }));
  const refresh = await indexer.refreshAccounts(
    p.portalId,
    unique([...now, ...stale.filter((a) => !a.startsWith('contact:'))]),
    (h) => {
      const without = withoutRecords({ ...h, engagements: rekeyed(h.engagements, type, gone, p.objectId) }, { [shape]: merged });
      if (!now.includes(h.accountId)) return without;
      return share ? withAdded(without, { ...share.records, engagements }) : null;
    },
    known,
  );
  return { current: now, refresh, removedSources: merged.length, ...removed };
}
