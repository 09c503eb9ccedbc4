import type { KeyValueCache } from './kv.ts';

/**
 * Cached embeddings and model responses are keyed by portal (`emb:p<portal>:…`, `llm:v1:p<portal>:…`), so a purge
 * removes a portal's entries by prefix and no portal is served another's. Entries written before the portal key
 * existed (`emb:<model>:…`, `llm:v1:<sha256>`) belong to no portal: a purge cannot find them, and a caller without
 * a portal could be served them. This sweep deletes them. The patterns match the keys whose text after the
 * namespace does not start with `p` and a digit (a model name, or a hex digest), so never a portal's key; an old
 * embedding of a model named `p<digit>…` would be left (no known embedding model is named so).
 */
export const UNSCOPED_CACHE_PATTERNS = ['emb:[^p]*', 'emb:p[^0-9]*', 'llm:v1:[^p]*', 'llm:v1:p[^0-9]*'] as const;

/** Marks a cache swept (Redis: the sweep SCANs the whole keyspace, so it runs once per cache, not per start). */
export const UNSCOPED_SWEEP_MARKER = 'maintenance:unscoped-cache-swept:v1';

export interface SweepResult {
  /** Keys deleted (0 when the sweep was skipped). */
  deleted: number;
  /** False when the marker said this cache was swept already. */
  swept: boolean;
}

/**
 * Deletes the unscoped `emb:` and `llm:v1:` entries. The embedded cache is swept on every start (indexed range
 * deletes: free when there is nothing to delete); on Redis the sweep runs until it has completed once, then a
 * marker key skips it (`force` sweeps anyway).
 */
export async function sweepUnscopedCacheKeys(cache: KeyValueCache, opts: { force?: boolean } = {}): Promise<SweepResult> {
  const once = cache.kind === 'redis' && !opts.force;
  if (once && (await cache.get(UNSCOPED_SWEEP_MARKER))) return { deleted: 0, swept: false };
  const deleted = await cache.deleteMatching(UNSCOPED_CACHE_PATTERNS);
  if (cache.kind === 'redis') await cache.set(UNSCOPED_SWEEP_MARKER, Buffer.from(new Date().toISOString()));
  return { deleted, swept: true };
}
