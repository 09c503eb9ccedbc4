import { createHash } from 'node:crypto';
import type { AccountHistory } from '../core/objects.ts';
import { chunkDocument, type ChunkDraft } from '../text/chunker.ts';
import { documentsFromHistory, type SourceDocument } from '../text/documents.ts';

/** An account's chunk drafts in document order: what the indexer reconciles, in-thread or in a chunk worker. */
export function draftsOfHistory(history: AccountHistory, memo: DraftMemo): ChunkDraft[] {
  return documentsFromHistory(history).flatMap((doc) => memo.chunk(doc));
}

/**
 * Chunking (tokenizer-bound) dominates the CPU cost of re-indexing an unchanged account, and every webhook on an
 * account re-reads its whole history: remember the chunks of recently seen documents, keyed by the document's
 * full content, within a bounded amount of text.
 */
export class DraftMemo {
  private readonly entries = new Map<string, { drafts: ChunkDraft[]; chars: number }>();
  private chars = 0;

  constructor(private readonly maxChars = 32_000_000) {}

  chunk(doc: SourceDocument): ChunkDraft[] {
    const key = createHash('sha256').update(JSON.stringify(doc)).digest('base64url');
    const hit = this.entries.get(key);
    if (hit) {
      // Refresh recency: Map iteration order is insertion order, so the first entry is the least recent.
      this.entries.delete(key);
      this.entries.set(key, hit);
      return hit.drafts;
    }
    const drafts = chunkDocument(doc);
    const chars = drafts.reduce((n, d) => n + d.text.length, 0);
    this.entries.set(key, { drafts, chars });
    this.chars += chars;
    for (const [k, v] of this.entries) {
      if (this.chars <= this.maxChars) break;
      this.entries.delete(k);
      this.chars -= v.chars;
    }
    return drafts;
  }
}
