import { BaseRetriever, type BaseRetrieverInput } from '@langchain/core/retrievers';
import { Document } from '@langchain/core/documents';
import type { Embedder } from '../text/embedder.ts';
import { hybridSearch, type RetrievalMode } from './hybrid-search.ts';
import type { ChunkFilter, VectorStore } from './vector-store.ts';

export interface AccountHistoryRetrieverInput extends BaseRetrieverInput {
  store: VectorStore;
  embedder: Embedder;
  portalId: string;
  accountId: string;
  k?: number;
  mode?: RetrievalMode;
  filter?: ChunkFilter;
}

/**
 * A LangChain retriever over one account's history, for teams that want our index inside their own chains:
 * the same hybrid retrieval the agents use (dense + BM25, RRF, recency, MMR). Each Document carries its chunk
 * id as `metadata.id` so answers can cite it.
 */
export class AccountHistoryRetriever extends BaseRetriever {
  static override lc_name(): string {
    return 'AccountHistoryRetriever';
  }

  lc_namespace = ['hubspot_ai', 'retrievers'];

  private readonly opts: AccountHistoryRetrieverInput;

  constructor(opts: AccountHistoryRetrieverInput) {
    super(opts);
    this.opts = opts;
  }

  override async _getRelevantDocuments(query: string): Promise<Document[]> {
    const { store, embedder, portalId, accountId, k = 8, mode = 'hybrid', filter } = this.opts;
    const hits = await hybridSearch({ store, embedder, portalId, accountId, query, k, mode, filter });
    return hits.map(
      (h) =>
        new Document({
          pageContent: h.chunk.text,
          id: h.chunk.id,
          metadata: {
            id: h.chunk.id,
            accountId: h.chunk.accountId,
            sourceType: h.chunk.sourceType,
            sourceId: h.chunk.sourceId,
            occurredAt: h.chunk.occurredAt,
            score: h.score,
          },
        }),
    );
  }
}
