/** Splitting work into HubSpot-sized batches and running them with bounded concurrency. */

/** HubSpot's per-call input limits (batch read/update 100, associations v4 batch read 1,000). */
export const BATCH_READ_SIZE = 100;
export const BATCH_READ_WITH_HISTORY_SIZE = 50;
export const ASSOCIATION_BATCH_SIZE = 1000;
export const BATCH_WRITE_SIZE = 100;

/**
 * Requests one gateway call keeps in flight. The rate limiter bounds the rate; this bounds how much of the
 * shared budget a single call can grab at once, so a big history read does not starve webhook-driven reads.
 */
export const CALL_CONCURRENCY = 4;

export function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

export function unique<T>(items: Iterable<T>): T[] {
  return [...new Set(items)];
}

/** Maps with at most `limit` calls in flight; results keep the input order; the first failure rejects. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  let failed = false;
  const worker = async () => {
    while (!failed && next < items.length) {
      const i = next++;
      try {
        results[i] = await fn(items[i]!);
      } catch (err) {
        failed = true;
        throw err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
