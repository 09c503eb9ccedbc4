import type { AccountHistory, Engagement, HubSpotObject, RecordType } from '../core/objects.ts';
import { byTypeThenId } from '../hubspot/account-histories.ts';

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
