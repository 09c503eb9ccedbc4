import { Client } from '@hubspot/api-client';
import { ENGAGEMENT_TYPES, parseAccountId, type ObjectType } from '../../src/core/objects.ts';

/**
 * An independent reading of an account's history for the tests: one record at a time, through the SDK's
 * per-object association endpoint, with nothing shared with the gateway's batch code. Point it at its own
 * sandbox (same seed, no rate limit) so that its many requests do not disturb the gateway's counters.
 */
export class HistoryOracle {
  private readonly client: Client;

  constructor(baseUrl: string, token: string) {
    this.client = new Client({ accessToken: token, basePath: baseUrl });
  }

  async associated(from: ObjectType, id: string, to: ObjectType): Promise<string[]> {
    const out: string[] = [];
    let after: string | undefined;
    do {
      const res = await this.client.crm.associations.v4.basicApi.getPage(from, id, to, after, 500);
      out.push(...res.results.map((r) => String(r.toObjectId)));
      after = res.paging?.next?.after;
    } while (after);
    return out;
  }

  /** Ids per kind (`contacts`, `deals`, `tickets`, `notes`, ...) under the roll-up rule (src/hubspot/account-resolver.ts). */
  async history(accountId: string): Promise<Record<string, string[]>> {
    const { type, id } = parseAccountId(accountId);
    const contacts = type === 'companies' ? await this.associated('companies', id, 'contacts') : [id];
    const deals = new Set(type === 'companies' ? await this.associated('companies', id, 'deals') : []);
    const tickets = new Set(type === 'companies' ? await this.associated('companies', id, 'tickets') : []);
    for (const c of contacts) {
      for (const d of await this.associated('contacts', c, 'deals')) if ((await this.associated('deals', d, 'companies')).length === 0) deals.add(d);
      for (const t of await this.associated('contacts', c, 'tickets')) if ((await this.associated('tickets', t, 'companies')).length === 0) tickets.add(t);
    }
    const out: Record<string, string[]> = { contacts: [...contacts].sort(), deals: [...deals].sort(), tickets: [...tickets].sort() };
    const sources: Array<[ObjectType, string]> = [
      ...(type === 'companies' ? [['companies', id] as [ObjectType, string]] : []),
      ...contacts.map((c) => ['contacts', c] as [ObjectType, string]),
      ...[...deals].map((d) => ['deals', d] as [ObjectType, string]),
      ...[...tickets].map((t) => ['tickets', t] as [ObjectType, string]),
    ];
    for (const e of ENGAGEMENT_TYPES) {
      const ids = new Set<string>();
      for (const [from, sid] of sources) for (const x of await this.associated(from, sid, e)) ids.add(x);
      out[e] = [...ids].sort();
    }
    return out;
  }
}
