import { createHash } from 'node:crypto';
import type { VectorStore } from './vector-store.ts';

/**
 * The version of an account's indexed content: a hash of its chunk ids and content hashes. The indexer computes
 * it from what it just wrote, the context builder from what the store holds; equal versions mean the same index.
 */
export function chunkSetVersion(keys: ReadonlyArray<{ id: string; contentHash: string }>): string {
  const h = createHash('sha256');
  for (const k of [...keys].sort((a, b) => a.id.localeCompare(b.id))) h.update(`${k.id}:${k.contentHash}\n`);
  return h.digest('hex').slice(0, 32);
}

export async function contentVersion(store: Pick<VectorStore, 'listChunkKeys'>, portalId: string, accountId: string): Promise<string> {
  return chunkSetVersion(await store.listChunkKeys(portalId, accountId));
}
