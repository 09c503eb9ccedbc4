import { RECORD_TYPES, type AccountHistory, type Engagement, type HubSpotObject, type RecordType } from '../core/objects.ts';
import { byTypeThenId, compareIdsNumeric } from '../hubspot/account-histories.ts';

/**
 * One changed source applied to an account's indexed snapshot, giving the history a full read would return now
 * (hubspot/account-histories.ts builds it with the same rule). A patch that cannot know that answer returns null
 * and the account is read whole.
 */

/** The engagement as it is now: in this account's history when it rolls up to it, absent otherwise. */
export function withEngagement(history: AccountHistory, engagement: Engagement, belongs: boolean): AccountHistory {
  const rest = history.engagements.filter((e) => !(e.type === engagement.type && e.object.id === engagement.object.id));
  return { ...history, engagements: belongs ? [...rest, engagement].sort(byTypeThenId) : rest };
}

/** An engagement that no longer exists (or no longer belongs here), gone from the history. */
export function withoutEngagement(history: AccountHistory, type: Engagement['type'], id: string): AccountHistory {
  return { ...history, engagements: history.engagements.filter((e) => !(e.type === type && e.object.id === id)) };
}

/**
 * A record's new properties. Only a record the snapshot already holds can be patched: a property change moves no
 * association, so the history's shape stays; a record it does not hold means the snapshot is behind (null).
 */
export function withRecord(history: AccountHistory, type: RecordType, record: HubSpotObject): AccountHistory | null {
  const swap = (list: HubSpotObject[]) => (list.some((o) => o.id === record.id) ? list.map((o) => (o.id === record.id ? record : o)) : null);
  switch (type) {
    case 'companies':
      return history.company?.id === record.id ? { ...history, company: record } : null;
    case 'contacts': {
      const contacts = swap(history.contacts);
      return contacts ? { ...history, contacts } : null;
    }
    case 'deals': {
      const deals = swap(history.deals);
      return deals ? { ...history, deals } : null;
    }
    case 'tickets': {
      const tickets = swap(history.tickets);
      return tickets ? { ...history, tickets } : null;
    }
  }
}

const byNumericId = (a: HubSpotObject, b: HubSpotObject) => compareIdsNumeric(a.id, b.id);

/** The account's own records, as `type:id` (the sources its engagements roll up through). */
export function ownRecords(history: AccountHistory): Set<string> {
  return new Set([
    ...(history.company ? [`companies:${history.company.id}`] : []),
    ...history.contacts.map((c) => `contacts:${c.id}`),
    ...history.deals.map((d) => `deals:${d.id}`),
    ...history.tickets.map((t) => `tickets:${t.id}`),
  ]);
}

/** The roll-up rule for engagements: those associated with one of the account's own records stay. */
export function rolledUp(history: AccountHistory): AccountHistory {
  const own = ownRecords(history);
  const belongs = (e: Engagement) => RECORD_TYPES.some((t) => (e.associations[t] ?? []).some((id) => own.has(`${t}:${id}`)));
  return { ...history, engagements: history.engagements.filter(belongs) };
}

/**
 * A record (contact, deal or ticket) gone from the account, and the engagements that only it brought. Deals and
 * tickets reached through a removed contact are the caller's to drop (`keep`), as only HubSpot knows them.
 */
export function withoutRecords(history: AccountHistory, drop: { contacts?: Iterable<string>; deals?: Iterable<string>; tickets?: Iterable<string> }): AccountHistory {
  const gone = (type: 'contacts' | 'deals' | 'tickets') => new Set(drop[type] ?? []);
  const [contacts, deals, tickets] = [gone('contacts'), gone('deals'), gone('tickets')];
  return rolledUp({
    ...history,
    contacts: history.contacts.filter((c) => !contacts.has(c.id)),
    deals: history.deals.filter((d) => !deals.has(d.id)),
    tickets: history.tickets.filter((t) => !tickets.has(t.id)),
  });
}

/** Records and engagements added to (or replaced in) the account; engagements that do not roll up to it stay out. */
export function withAdded(
  history: AccountHistory,
  add: { contacts?: HubSpotObject[]; deals?: HubSpotObject[]; tickets?: HubSpotObject[]; engagements?: Engagement[] },
): AccountHistory {
  const merge = (list: HubSpotObject[], more: HubSpotObject[] = []) => {
    const byId = new Map(list.map((o) => [o.id, o]));
    for (const o of more) byId.set(o.id, o);
    return [...byId.values()].sort(byNumericId);
  };
  const engagements = new Map(history.engagements.map((e) => [`${e.type}:${e.object.id}`, e]));
  for (const e of add.engagements ?? []) engagements.set(`${e.type}:${e.object.id}`, e);
  return rolledUp({
    ...history,
    contacts: merge(history.contacts, add.contacts),
    deals: merge(history.deals, add.deals),
    tickets: merge(history.tickets, add.tickets),
    engagements: [...engagements.values()].sort(byTypeThenId),
  });
}
