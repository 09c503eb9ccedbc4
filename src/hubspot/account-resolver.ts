import { contactAccountId, type ObjectType } from '../core/objects.ts';
import { unique } from './batching.ts';
import type { HubSpotGateway } from './gateway.ts';

/**
 * The roll-up rule, in one place (ARCHITECTURE.md, data model): a record or engagement belongs to every account
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
      accounts = new Set(set?.companies ?? []);
      if (set) {
        const parts = await Promise.all([
          accountsOfContacts(gw, set.contacts),
          accountsOfDealsOrTickets(gw, 'deals', set.deals),
          accountsOfDealsOrTickets(gw, 'tickets', set.tickets),
        ]);
        for (const part of parts) for (const a of part) accounts.add(a);
      }
      break;
    }
    default: {
      const never: never = type;
      throw new Error(`unknown object type ${String(never)}`);
    }
  }
  return [...accounts].sort();
}
