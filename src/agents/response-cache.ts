import { createHash } from 'node:crypto';
import type { KeyValueCache } from '../cache/kv.ts';
import type { ChatMessage } from './provider.ts';

/**
 * LLM response cache. The key covers the model, the prompt (version and rendered messages), the output schema
 * and the account's content version, so any change to what the model would see is a miss, and re-running a
 * job on an unchanged account costs nothing. Only validated outputs are stored.
 */

export interface CachedResponse {
  raw: string;
  output: unknown;
}

const PREFIX = 'llm:v1:';
const TTL_SECONDS = 30 * 24 * 3600;

export function responseCacheKey(parts: {
  model: string;
  promptVersion: string;
  schemaName: string;
  messages: ChatMessage[];
  cacheKey?: string;
  temperature?: number;
  portalId?: string;
}): string {
  const h = createHash('sha256');
  h.update(JSON.stringify([parts.model, parts.promptVersion, parts.schemaName, parts.cacheKey ?? '', parts.temperature ?? null]));
  for (const m of parts.messages) h.update(`\u0000${m.role}\u0000${m.content}`);
  return (parts.portalId === undefined ? PREFIX : portalResponsePrefix(parts.portalId)) + h.digest('hex');
}

/** Where one portal's cached model responses live in the cache (a purge deletes them by prefix). */
export function portalResponsePrefix(portalId: string): string {
  return `${PREFIX}p${portalId}:`;
}

export async function readCachedResponse(cache: KeyValueCache | undefined, key: string): Promise<CachedResponse | null> {
  if (!cache) return null;
  const buf = await cache.get(key);
  if (!buf) return null;
  try {
    return JSON.parse(buf.toString('utf8')) as CachedResponse;
  } catch {
    // A corrupt entry is a miss, not an error: the call is simply made again and overwrites it.
    return null;
  }
}

export async function writeCachedResponse(cache: KeyValueCache | undefined, key: string, value: CachedResponse): Promise<void> {
  if (!cache) return;
  await cache.set(key, Buffer.from(JSON.stringify(value), 'utf8'), TTL_SECONDS);
}
