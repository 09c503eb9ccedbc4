import { parentPort } from 'node:worker_threads';
import type { AccountHistory } from '../core/objects.ts';
import type { ChunkDraft } from './chunker.ts';
import { DraftMemo, draftsOfHistory } from './draft-memo.ts';

/**
 * Entry of a chunk worker thread (see chunk-pool.ts): turns account histories into chunk drafts with exactly
 * the code the indexer runs in-thread, so where the work ran never changes a chunk.
 */
export interface ChunkRequest {
  id: number;
  history: AccountHistory;
}

export type ChunkReply = { id: number; drafts: ChunkDraft[] } | { id: number; error: { message: string; stack?: string } };

const port = parentPort;
if (port) {
  // Each worker keeps its own memo: with several workers a re-sent document may miss it, which only costs time.
  const memo = new DraftMemo();
  port.on('message', (request: ChunkRequest) => {
    let reply: ChunkReply;
    try {
      reply = { id: request.id, drafts: draftsOfHistory(request.history, memo) };
    } catch (err) {
      const e = err instanceof Error ? err : new Error(String(err));
      reply = { id: request.id, error: { message: e.message, ...(e.stack !== undefined ? { stack: e.stack } : {}) } };
    }
    port.postMessage(reply);
  });
}
