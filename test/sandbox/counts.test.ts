import type { Client } from '@hubspot/api-client';
import { describe, expect, it } from 'vitest';
import { sandboxWithClient } from './helpers.ts';

async function countAll(client: Client, type: 'companies' | 'contacts' | 'deals' | 'tickets'): Promise<number> {
  const api = client.crm[type].basicApi;
  const ids = new Set<string>();
  let after: string | undefined;
  do {
    const page = await api.getPage(100, after);
    for (const r of page.results) ids.add(r.id);
    after = page.paging?.next?.after;
  } while (after);
  return ids.size;
}

describe('acceptance: paging a --seed 7 --companies 300 portal with the real client', () => {
  it('gets exactly the ground-truth counts of companies, contacts, deals and tickets', async () => {
    const { sb, client } = await sandboxWithClient({ seed: 7, companies: 300, rateLimit: 0 });
    try {
      const truth = (await (await fetch(`${sb.url}/_sandbox/ground-truth`)).json()) as { counts: Record<string, number> };
      expect(truth.counts.companies).toBe(300);
      for (const type of ['companies', 'contacts', 'deals', 'tickets'] as const) expect(await countAll(client, type)).toBe(truth.counts[type]);
    } finally {
      await sb.close();
    }
  });
});
