import { contactAccountId, type AssociationSet, type ObjectType, type RecordType } from '../core/objects.ts';
import { unique } from './batching.ts';
import type { HubSpotGateway } from './gateway.ts';

/**
 * The roll-up rule, in one place (README, data model): a record or engagement belongs to every account
 * it is associated with.
 * - a company is its own account;
 * - a contact belongs to its companies, or, having none, is its own account `contact:<id>`;
 * - a deal or ticket belongs to its companies, or, having none, to its contacts' accounts;
 * - an engagement belongs to the union of the accounts of everything it is associated with.
 * account-histories.ts builds histories with the same rule, so that `accountsOf(x)` names exactly the
 * accounts whose history contains x.
 */
export type AssociationReader = Pick<HubSpotGateway, 'batchAssociations' | 'engagementAssociations'>;

export async function accountsOfContacts(gw: AssociationReader, contactIds: string[]): Promise<Set<string>> {
  const accounts = new Set<string>();
  if (contactIds.length === 0) return accounts;
  const companies = await gw.batchAssociations('contacts', 'companies', contactIds);
  for (const id of contactIds) {
    const of = companies.get(id) ?? [];
    if (of.length === 0) accounts.add(contactAccountId(id));
    for (const c of of) accounts.add(c);
  }
  return accounts;
}

export async function accountsOfDealsOrTickets(gw: AssociationReader, type: 'deals' | 'tickets', ids: string[]): Promise<Set<string>> {
  const accounts = new Set<string>();
  if (ids.length === 0) return accounts;
  const companies = await gw.batchAssociations(type, 'companies', ids);
  const companyless = ids.filter((id) => (companies.get(id) ?? []).length === 0);
  for (const of of companies.values()) for (const c of of) accounts.add(c);
  if (companyless.length > 0) {
    const contacts = await gw.batchAssociations(type, 'contacts', companyless);
    const contactIds = unique([...contacts.values()].flat());
    for (const a of await accountsOfContacts(gw, contactIds)) accounts.add(a);
  }
  return accounts;
}

/** Which accounts `type:id` rolls up to, sorted; empty for an orphan (or a record that no longer exists). */
export async function accountsOf(gw: AssociationReader, type: ObjectType, id: string): Promise<string[]> {
  let accounts: Set<string>;
  switch (type) {
    case 'companies':
      accounts = new Set([id]);
      break;
    case 'contacts':
      accounts = await accountsOfContacts(gw, [id]);
      break;
    case 'deals':
    case 'tickets':
      accounts = await accountsOfDealsOrTickets(gw, type, [id]);
      break;
    case 'notes':
    case 'emails':
    case 'calls':
    case 'meetings':
    case 'tasks': {
      const set = (await gw.engagementAssociations(type, [id])).get(id);
      return set ? accountsOfAssociations(gw, set) : [];
    }
    default: {
      const never: never = type;
      throw new Error(`unknown object type ${String(never)}`);
    }
  }
  return [...accounts].sort();
}

/** The accounts an engagement with these associations rolls up to, sorted (no read of the engagement itself). */
export async function accountsOfAssociations(gw: AssociationReader, set: AssociationSet): Promise<string[]> {
  const accounts = new Set(set.companies);
  const parts = await Promise.all([
    accountsOfContacts(gw, set.contacts),
    accountsOfDealsOrTickets(gw, 'deals', set.deals),
    accountsOfDealsOrTickets(gw, 'tickets', set.tickets),
  ]);
  for (const part of parts) for (const a of part) accounts.add(a);
  return [...accounts].sort();
}

/**
 * The accounts each record rolls up to (the rule above), for many records at once with batch reads only: what
 * the write-back checks a proposal's target against when it decides. Keys are `<objectType>/<id>`.
 */
export async function accountsOfRecords(
  gw: AssociationReader,
  records: Array<{ objectType: RecordType; objectId: string }>,
): Promise<Map<string, string[]>> {
  const ids = (type: RecordType) => unique(records.filter((r) => r.objectType === type).map((r) => r.objectId));
  const contactIds = ids('contacts');
  const out = new Map<string, Set<string>>();
  const add = (type: RecordType, id: string, accounts: Iterable<string>) => {
    const set = out.get(`${type}/${id}`) ?? new Set<string>();
    for (const a of accounts) set.add(a);
    out.set(`${type}/${id}`, set);
  };
  for (const id of ids('companies')) add('companies', id, [id]);

  // Deals and tickets with no company belong to their contacts' accounts: gather those contacts first, so one
  // contact→company read answers for them and for the contact targets together.
  const viaContacts = new Map<string, string[]>();
  const [dealCompanies, ticketCompanies] = await Promise.all([
    gw.batchAssociations('deals', 'companies', ids('deals')),
    gw.batchAssociations('tickets', 'companies', ids('tickets')),
  ]);
  for (const [type, companies] of [['deals', dealCompanies], ['tickets', ticketCompanies]] as const) {
    const companyless: string[] = [];
    for (const id of ids(type)) {
      const of = companies.get(id) ?? [];
      if (of.length > 0) add(type, id, of);
      else companyless.push(id);
    }
    if (companyless.length === 0) continue;
    const contacts = await gw.batchAssociations(type, 'contacts', companyless);
    for (const id of companyless) {
      viaContacts.set(`${type}/${id}`, contacts.get(id) ?? []);
      add(type, id, []);
    }
  }
  const allContacts = unique([...contactIds, ...[...viaContacts.values()].flat()]);
  const contactCompanies = await gw.batchAssociations('contacts', 'companies', allContacts);
  const accountOfContact = (id: string) => {
    const of = contactCompanies.get(id) ?? [];
    return of.length > 0 ? of : [contactAccountId(id)];
  };
  for (const id of contactIds) add('contacts', id, accountOfContact(id));
  for (const [key, contacts] of viaContacts) {
    const [type, id] = key.split('/') as ['deals' | 'tickets', string];
    add(type, id, contacts.flatMap(accountOfContact));
  }
  return new Map([...out].map(([k, v]) => [k, [...v].sort()]));
}
