import { SOURCE_TYPES, type SourceType } from '../core/objects.ts';
import type { VectorStore } from '../retrieval/vector-store.ts';

/** What `hubspot-ai index stats` prints. */
export interface IndexStats {
  accounts: number;
  chunks: number;
  chunksBySourceType: Record<SourceType, number>;
  /**
   * Distinct HubSpot sources (a note, an e-mail, a ticket...) with at least one chunk, by type. A source shared
   * by two accounts is stored once per account but counted once here, so this compares directly with the
   * number of non-empty objects in the portal.
   */
  sourcesBySourceType: Record<SourceType, number>;
}


function zeroes(): Record<SourceType, number> {
  return Object.fromEntries(SOURCE_TYPES.map((t) => [t, 0])) as Record<SourceType, number>;
}

/** `<objectType>:<id>` → source type; chunk keys carry the source id but not its type. */
const TYPE_OF_OBJECT: Record<string, SourceType> = {
  notes: 'note',
  emails: 'email',
  calls: 'call',
  meetings: 'meeting',
  tasks: 'task',
  tickets: 'ticket',
};

export async function indexStats(store: VectorStore, portalId: string): Promise<IndexStats> {
  const base = await store.stats(portalId);
  const chunksBySourceType = zeroes();
  for (const [type, n] of Object.entries(base.chunksBySourceType) as Array<[SourceType, number]>) chunksBySourceType[type] = n;

  // Walks the chunk keys account by account: one cheap indexed query each on the embedded store, and this is
  // an operator's command, not a hot path.
  const sources = new Set<string>();
  for (const accountId of await store.listAccounts(portalId)) {
    for (const key of await store.listChunkKeys(portalId, accountId)) sources.add(key.sourceId);
  }
  const sourcesBySourceType = zeroes();
  for (const sourceId of sources) {
    const objectType = sourceId.slice(0, sourceId.indexOf(':'));
    sourcesBySourceType[TYPE_OF_OBJECT[objectType] ?? 'record'] += 1;
  }
  return { accounts: base.accounts, chunks: base.chunks, chunksBySourceType, sourcesBySourceType };
}
