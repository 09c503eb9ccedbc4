import { v5 as uuidv5 } from 'uuid';

/** Fixed namespace of chunk ids: changing it would orphan every stored point. */
export const CHUNK_ID_NAMESPACE = '3f7c1f9e-5a4b-5d2e-9c61-6b8a0d2e4f10';

/**
 * A chunk's id: deterministic from portal, account, source and chunk index, so re-ingesting the same content
 * lands on the same point, and a citation (a chunk id in a proposal's evidence) stays valid across re-indexing.
 */
export function chunkId(portalId: string, accountId: string, sourceId: string, chunkIndex: number): string {
  return uuidv5(`${portalId}:${accountId}:${sourceId}:${chunkIndex}`, CHUNK_ID_NAMESPACE);
}
