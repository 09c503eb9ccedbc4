import { createHash } from 'node:crypto';
import { v5 as uuidv5 } from 'uuid';

/** Fixed namespace of chunk ids: changing it would orphan every stored point. */
export const CHUNK_ID_NAMESPACE = '3f7c1f9e-5a4b-5d2e-9c61-6b8a0d2e4f10';

const NAMESPACE_BYTES = Buffer.from(CHUNK_ID_NAMESPACE.replaceAll('-', ''), 'hex');
/** In `u` mode a surrogate pair is one code point: only a lone half matches. */
const LONE_SURROGATE = /\p{Cs}/u;
const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/**
 * A chunk's id: deterministic from portal, account, source and chunk index, so re-ingesting the same content
 * lands on the same point, and a citation (a chunk id in a proposal's evidence) stays valid across re-indexing.
 *
 * RFC 4122 version 5 (SHA-1 of the namespace and the name), as `uuid`'s `v5` computes it (tested equal), without
 * its per-call namespace parsing and character-by-character UTF-8 encoding: a backfill computes one per chunk
 * (tens of thousands) on its main thread. A name that is not well-formed UTF-16 goes to `uuid`, which refuses it.
 */
export function chunkId(portalId: string, accountId: string, sourceId: string, chunkIndex: number): string {
  const name = `${portalId}:${accountId}:${sourceId}:${chunkIndex}`;
  if (LONE_SURROGATE.test(name)) return uuidv5(name, CHUNK_ID_NAMESPACE);
  const b = createHash('sha1').update(NAMESPACE_BYTES).update(name, 'utf8').digest();
  b[6] = (b[6]! & 0x0f) | 0x50;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const h = (i: number) => HEX[b[i]!]!;
  return `${h(0)}${h(1)}${h(2)}${h(3)}-${h(4)}${h(5)}-${h(6)}${h(7)}-${h(8)}${h(9)}-${h(10)}${h(11)}${h(12)}${h(13)}${h(14)}${h(15)}`;
}
