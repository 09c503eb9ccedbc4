import type { SqliteDb } from '../../src/db/sqlite.ts';
import { filterKey } from '../../src/retrieval/firmographics.ts';
import { toBlob } from '../../src/retrieval/vector-math.ts';
import type { AccountFilter } from '../../src/retrieval/vector-store.ts';

/**
 * The baseline of `npm run bench:similar`: exact nearest accounts by float32 cosine over every profile of the
 * portal in the same SQLite file (sqlite-vec's vec_distance_cosine, i.e. C, not JS), with the same filters.
 */
export function bruteForceNearest(db: SqliteDb, portalId: string, vector: Float32Array, k: number, filter: AccountFilter = {}): string[] {
  const where = ['portal_id = ?'];
  const params: unknown[] = [toBlob(vector), portalId];
  if (filter.industry) {
    where.push('lower(trim(industry)) = ?');
    params.push(filterKey(filter.industry));
  }
  if (filter.excludeCustomers) where.push('is_customer = 0');
  for (const id of filter.excludeAccountIds ?? []) {
    where.push('account_id != ?');
    params.push(id);
  }
  const rows = db
    .prepare(
      `SELECT account_id, vec_distance_cosine(vector, ?) AS d FROM retrieval_accounts WHERE ${where.join(' AND ')}
       ORDER BY d, account_id LIMIT ?`,
    )
    .all(...params, k) as Array<{ account_id: string }>;
  return rows.map((r) => r.account_id);
}
