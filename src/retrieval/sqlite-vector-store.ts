import type { Statement } from 'better-sqlite3';
import { WritePacer } from '../db/write-pacer.ts';
import { ownConnection, sqlitePath, writeLockHeldElsewhere, writeTransaction, type SqliteConnections, type SqliteDb } from '../db/sqlite.ts';
import type { SourceType } from '../core/objects.ts';
import type {
  AccountFilter, AccountHit, AccountProfile, ChunkFilter, ChunkHit, ChunkKey, ChunkPayload, ChunkRecord, VectorStore,
  VectorStoreStats,
} from './vector-store.ts';
import { createSchema, dropSchema } from './sqlite-vector-schema.ts';
import { DEFAULT_ACCOUNT_INDEX_OPTIONS, SqliteAccountIndex, type AccountIndexOptions } from './sqlite-account-index.ts';
import { accountScopeToken, ftsMatchExpression, ftsQueryTerms, normalizeBm25, portalScopeToken, scopeText } from './fts-query.ts';
import { accountBm25Scores } from './account-bm25.ts';
import { toBlob } from './vector-math.ts';
import { SqlConditions } from './sql-conditions.ts';
import { prewarmFile, type PrewarmReport } from '../db/prewarm-file.ts';

export interface SqliteVectorStoreOptions {
  /** An open connection (shared, not closed by the store) or a DATA_DIR whose SQLite file the store opens. */
  db?: SqliteDb;
  dataDir?: string;
  /** With dataDir: the container's connection registry; without one the store opens a connection of its own. */
  sqlite?: SqliteConnections;
  chunkDimensions: number;
  accountDimensions: number;
  /** The embedder's model, recorded with the index: opening it with another model is refused. */
  embeddingModel?: string;
  accountIndex?: Partial<AccountIndexOptions>;
}

interface ChunkRow {
  seq: number;
  portal_id: string;
  id: string;
  account_id: string;
  source_type: string;
  source_id: string;
  chunk_index: number;
  related_ids: string;
  occurred_at: string;
  direction: string | null;
  speakers: string;
  text: string;
  content_hash: string;
  embedding_model: string;
}

/**
 * Above this many chunks in one account, FTS5's bm25() ranks its keyword matches: reading and scanning the
 * account's text costs about 20 ms CPU per 1,000 chunks of 300 words (measured on a loaded 2-core host), the order
 * of FTS5's file-wide statistics at a million chunks.
 */
const ACCOUNT_BM25_MAX_CHUNKS = 500;

/**
 * Prepared statements kept per store. Compiling a KNN over vec0 (its xBestIndex included) cost about as much as
 * running it; filters make a few shapes (an IN list per length), so the cache is bounded.
 */
const STATEMENT_CACHE_SIZE = 64;

const PAYLOAD_COLUMNS = `c.seq, c.portal_id, c.id, c.account_id, c.source_type, c.source_id, c.chunk_index, c.related_ids,
  c.occurred_at, c.direction, c.speakers, c.text, c.content_hash, c.embedding_model`;

/**
 * The embedded vector store: chunks, BM25 and account profiles in the shared SQLite file (layout in
 * sqlite-vector-schema.ts). better-sqlite3 is synchronous; each chunk's rows are written in one transaction, so a
 * crash never leaves a chunk in the payload table without its vector or its FTS row. While another process writes
 * the file too, large batches go in short, paced transactions (db/write-pacer.ts), so its writes are not held up.
 */
export class SqliteVectorStore implements VectorStore {
  readonly kind = 'sqlite' as const;
  private readonly db: SqliteDb;
  private readonly ownsDb: boolean;
  private readonly accounts: SqliteAccountIndex;
  private ready = false;
  private readonly statements = new Map<string, Statement>();
  private readonly pacer = new WritePacer();

  constructor(private readonly opts: SqliteVectorStoreOptions) {
    if (opts.db) {
      this.db = opts.db;
      this.ownsDb = false;
    } else if (opts.dataDir) {
      this.db = (opts.sqlite ?? ownConnection).open(sqlitePath(opts.dataDir));
      this.ownsDb = true;
    } else {
      throw new TypeError('SqliteVectorStore needs a db or a dataDir');
    }
    this.accounts = new SqliteAccountIndex(this.db, opts.accountDimensions, { ...DEFAULT_ACCOUNT_INDEX_OPTIONS, ...opts.accountIndex });
  }

  async init(): Promise<void> {
    createSchema(this.db, this.opts);
    this.ready = true;
  }

  /**
   * What a server does once at start so that its first queries cost what later ones do: compiles the per-account
   * query statements (a KNN over vec0 took as long to compile as to run), has vec0 and FTS5 load their structures
   * (a query on an account that does not exist), then reads the file into the OS page cache (db/prewarm-file.ts):
   * after a restart, or after other work evicted the file, every first touch of an account's pages is a disk read.
   * The reads run off the event loop; queries are served meanwhile. `serve` and `worker` start it in the
   * background (VECTOR_PREWARM); closing the store stops it.
   */
  async warm(opts: { signal?: AbortSignal; maxBytes?: number } = {}): Promise<{ statementsMs: number; file?: PrewarmReport }> {
    this.ensureReady();
    const started = performance.now();
    const none = ''; // no portal or account has this id: the statements run, over no rows
    this.knn(none, none, new Float32Array(this.opts.chunkDimensions), 8);
    this.accountBm25(none, none, 'warm', 8);
    this.bm25(accountScopeToken(none, none), 'warm', 8);
    await this.getChunks(none, [none]);
    const statementsMs = performance.now() - started;
    const file = this.db.memory || !this.db.name ? undefined : await prewarmFile(this.db.name, opts);
    return { statementsMs, ...(file ? { file } : {}) };
  }

  async reset(): Promise<void> {
    this.statements.clear();
    this.accounts.invalidate();
    dropSchema(this.db);
    createSchema(this.db, this.opts);
    this.ready = true;
  }

  async upsertChunks(chunks: ChunkRecord[]): Promise<void> {
    this.ensureReady();
    for (const c of chunks) {
      if (c.vector.length !== this.opts.chunkDimensions) {
        throw new RangeError(`chunk ${c.id}: vector has ${c.vector.length} dimensions, the store expects ${this.opts.chunkDimensions}`);
      }
    }
    const find = this.statement(`SELECT seq FROM retrieval_chunks WHERE portal_id = ? AND id = ?`);
    const insert = this.statement(
      `INSERT INTO retrieval_chunks (seq, portal_id, id, account_id, source_type, source_id, chunk_index, related_ids, occurred_at,
         occurred_ms, direction, speakers, text, content_hash, embedding_model) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    const insertVec = this.statement(
      `INSERT INTO vec_chunks (rowid, portal_id, account_id, embedding, source_type, occurred_ms, source_id) VALUES (?, ?, ?, ?, ?, ?, ?)`,
    );
    const insertFts = this.statement(`INSERT INTO fts_chunks (rowid, text, scope) VALUES (?, ?, ?)`);
    // A batch holds a few accounts' chunks: their scope tokens (two digests each) are computed once per account.
    const scopes = new Map<string, string>();
    const scopeOf = (portalId: string, accountId: string) => {
      const key = `${portalId}\u0000${accountId}`;
      let scope = scopes.get(key);
      if (scope === undefined) scopes.set(key, (scope = scopeText(portalId, accountId)));
      return scope;
    };
    // Short transactions, paced, while another process writes the file (db/write-pacer.ts): a backfill's 256-chunk
    // batches held the file's write lock for up to a second at a time, while the serving process's webhook jobs
    // waited for it with their event loop blocked. Alone on the file, long transactions (fewer commits and FTS5
    // segments). Each chunk's three rows always go in one transaction.
    for (let i = 0; i < chunks.length; ) {
      if (writeLockHeldElsewhere(this.db)) this.pacer.sawOtherWriter();
      await this.pacer.turn();
      const slice = chunks.slice(i, i + this.pacer.sliceSize());
      i += slice.length;
      let began = 0;
      writeTransaction(this.db, () => {
        began = performance.now();
        for (const c of slice) {
          const existing = find.get(c.portalId, c.id) as { seq: number } | undefined;
          // Replace in place, keeping the seq: vec0 cannot update partition keys, so delete and re-insert all three rows.
          if (existing) this.deleteSeqs([existing.seq]);
          const ms = timeMs(c.occurredAt);
          const r = insert.run(
            existing?.seq ?? null, c.portalId, c.id, c.accountId, c.sourceType, c.sourceId, c.chunkIndex, JSON.stringify(c.relatedIds),
            c.occurredAt, ms, c.direction, JSON.stringify(c.speakers), c.text, c.contentHash, c.embeddingModel,
          );
          const seq = BigInt(r.lastInsertRowid);
          insertVec.run(seq, c.portalId, c.accountId, toBlob(c.vector), c.sourceType, BigInt(ms), c.sourceId);
          insertFts.run(seq, c.text, scopeOf(c.portalId, c.accountId));
        }
      });
      this.pacer.held(performance.now() - began);
    }
  }

  async deleteChunks(portalId: string, ids: string[]): Promise<void> {
    this.ensureReady();
    if (ids.length === 0) return;
    const find = this.db.prepare(`SELECT seq FROM retrieval_chunks WHERE portal_id = ? AND id IN (SELECT value FROM json_each(?))`);
    writeTransaction(this.db, () => this.deleteSeqs((find.all(portalId, JSON.stringify(ids)) as Array<{ seq: number }>).map((r) => r.seq)));
  }

  async deleteSources(portalId: string, sourceIds: string[]): Promise<void> {
    this.ensureReady();
    if (sourceIds.length === 0) return;
    const find = this.db.prepare(`SELECT seq FROM retrieval_chunks WHERE portal_id = ? AND source_id IN (SELECT value FROM json_each(?))`);
    writeTransaction(this.db, () => this.deleteSeqs((find.all(portalId, JSON.stringify(sourceIds)) as Array<{ seq: number }>).map((r) => r.seq)));
  }

  async accountsHoldingSources(portalId: string, sourceIds: string[]): Promise<string[]> {
    this.ensureReady();
    if (sourceIds.length === 0) return [];
    const rows = this.db
      .prepare(`SELECT DISTINCT account_id FROM retrieval_chunks WHERE portal_id = ? AND source_id IN (SELECT value FROM json_each(?)) ORDER BY 1`)
      .all(portalId, JSON.stringify(sourceIds)) as Array<{ account_id: string }>;
    return rows.map((r) => r.account_id);
  }

  async deleteAccount(portalId: string, accountId: string): Promise<void> {
    this.ensureReady();
    writeTransaction(this.db, () => {
      const rows = this.db
        .prepare(`SELECT seq FROM retrieval_chunks WHERE portal_id = ? AND account_id = ?`)
        .all(portalId, accountId) as Array<{ seq: number }>;
      this.deleteSeqs(rows.map((r) => r.seq));
      this.accounts.delete(portalId, accountId);
    });
  }

  async listChunkKeys(portalId: string, accountId: string): Promise<ChunkKey[]> {
    this.ensureReady();
    return this
      .statement(
        `SELECT id, source_id AS sourceId, content_hash AS contentHash FROM retrieval_chunks
         WHERE portal_id = ? AND account_id = ? ORDER BY source_id, chunk_index`,
      )
      .all(portalId, accountId) as ChunkKey[];
  }

  async listAccounts(portalId: string): Promise<string[]> {
    this.ensureReady();
    const rows = this.db
      .prepare(
        `SELECT account_id FROM retrieval_chunks WHERE portal_id = ?
         UNION SELECT account_id FROM retrieval_accounts WHERE portal_id = ? ORDER BY 1`,
      )
      .all(portalId, portalId) as Array<{ account_id: string }>;
    return rows.map((r) => r.account_id);
  }

  async getChunks(portalId: string, ids: string[]): Promise<ChunkPayload[]> {
    this.ensureReady();
    if (ids.length === 0) return [];
    const rows = this
      .statement(`SELECT ${PAYLOAD_COLUMNS} FROM retrieval_chunks c WHERE c.portal_id = ? AND c.id IN (SELECT value FROM json_each(?))`)
      .all(portalId, JSON.stringify(ids)) as ChunkRow[];
    const byId = new Map(rows.map((r) => [r.id, toPayload(r)]));
    return ids.flatMap((id) => byId.get(id) ?? []);
  }

  async searchDense(portalId: string, accountId: string, vector: Float32Array, k: number, filter?: ChunkFilter): Promise<ChunkHit[]> {
    return this.knn(portalId, accountId, vector, k, filter);
  }

  async searchDenseAll(portalId: string, vector: Float32Array, k: number): Promise<ChunkHit[]> {
    return this.knn(portalId, null, vector, k);
  }

  async searchKeyword(portalId: string, accountId: string, query: string, k: number, filter?: ChunkFilter): Promise<ChunkHit[]> {
    return this.accountBm25(portalId, accountId, query, k, filter);
  }

  async searchKeywordAll(portalId: string, query: string, k: number): Promise<ChunkHit[]> {
    return this.bm25(portalScopeToken(portalId), query, k);
  }

  async upsertProfiles(profiles: AccountProfile[]): Promise<void> {
    this.ensureReady();
    writeTransaction(this.db, () => this.accounts.upsertMany(profiles));
  }

  async getProfile(portalId: string, accountId: string): Promise<AccountProfile | null> {
    this.ensureReady();
    return this.accounts.get(portalId, accountId);
  }

  async nearestAccounts(portalId: string, vector: Float32Array, k: number, filter?: AccountFilter): Promise<AccountHit[]> {
    this.ensureReady();
    return this.accounts.nearest(portalId, vector, k, filter);
  }

  /** Bytes held in memory by the similar-accounts index (loaded portals only). */
  accountIndexBytes(): number {
    return this.accounts.residentBytes();
  }

  async stats(portalId: string): Promise<VectorStoreStats> {
    this.ensureReady();
    const rows = this.db
      .prepare(`SELECT source_type, count(*) AS n FROM retrieval_chunks WHERE portal_id = ? GROUP BY source_type`)
      .all(portalId) as Array<{ source_type: SourceType; n: number }>;
    const chunksBySourceType: Partial<Record<SourceType, number>> = {};
    let chunks = 0;
    for (const r of rows) {
      chunksBySourceType[r.source_type] = r.n;
      chunks += r.n;
    }
    return { accounts: this.accounts.count(portalId), chunks, chunksBySourceType };
  }

  async ping(): Promise<void> {
    this.db.prepare('SELECT vec_version()').get();
  }

  async close(): Promise<void> {
    this.ready = false;
    this.statements.clear();
    if (this.ownsDb) (this.opts.sqlite ?? ownConnection).release(this.db);
  }

  private knn(portalId: string, accountId: string | null, vector: Float32Array, k: number, filter: ChunkFilter = {}): ChunkHit[] {
    this.ensureReady();
    if (k <= 0) return [];
    const where = new SqlConditions().add('v.embedding MATCH ?', toBlob(vector)).add('v.k = ?', k).add('v.portal_id = ?', portalId);
    if (accountId !== null) where.add('v.account_id = ?', accountId);
    // Filters are vec0 metadata constraints: applied during the scan, so k results survive them.
    where.addIn('v.source_type', filter.sourceTypes).addIn('v.source_id', filter.sourceIds);
    if (filter.since) where.add('v.occurred_ms >= ?', BigInt(timeMs(filter.since)));
    if (filter.until) where.add('v.occurred_ms <= ?', BigInt(timeMs(filter.until)));
    const rows = this
      .statement(
        `SELECT ${PAYLOAD_COLUMNS}, v.distance AS distance
         FROM (SELECT rowid, distance FROM vec_chunks v WHERE ${where.sql()}) v
         JOIN retrieval_chunks c ON c.seq = v.rowid ORDER BY v.distance, c.id`,
      )
      .all(...where.params) as Array<ChunkRow & { distance: number }>;
    return rows.map((r) => ({ chunk: toPayload(r), score: 1 - r.distance }));
  }

  /**
   * BM25 within one account, ranked with the account's own statistics (account-bm25.ts) over its chunks read by
   * the account index. An account with more than ACCOUNT_BM25_MAX_CHUNKS chunks is ranked by FTS5's bm25()
   * instead, whose cost does not grow with the account.
   */
  private accountBm25(portalId: string, accountId: string, query: string, k: number, filter: ChunkFilter = {}): ChunkHit[] {
    this.ensureReady();
    const terms = ftsQueryTerms(query);
    if (terms.length === 0 || k <= 0) return [];
    const rows = this
      .statement(`SELECT ${PAYLOAD_COLUMNS}, c.occurred_ms FROM retrieval_chunks c WHERE c.portal_id = ? AND c.account_id = ? LIMIT ?`)
      .all(portalId, accountId, ACCOUNT_BM25_MAX_CHUNKS + 1) as Array<ChunkRow & { occurred_ms: number }>;
    if (rows.length > ACCOUNT_BM25_MAX_CHUNKS) return this.bm25(accountScopeToken(portalId, accountId), query, k, filter);
    // Statistics over every chunk of the account; the filter only chooses among them afterwards.
    const scores = accountBm25Scores(terms, rows);
    const types = filter.sourceTypes ? new Set<string>(filter.sourceTypes) : undefined;
    const sources = filter.sourceIds ? new Set(filter.sourceIds) : undefined;
    const since = filter.since ? timeMs(filter.since) : -Infinity;
    const until = filter.until ? timeMs(filter.until) : Infinity;
    return rows
      .map((r, i) => ({ r, score: scores[i]! }))
      .filter(({ r, score }) => score > 0 && (!types || types.has(r.source_type)) && (!sources || sources.has(r.source_id)) && r.occurred_ms >= since && r.occurred_ms <= until)
      .sort((a, b) => b.score - a.score || (a.r.id < b.r.id ? -1 : a.r.id > b.r.id ? 1 : 0))
      .slice(0, k)
      .map(({ r, score }) => ({ chunk: toPayload(r), score: normalizeBm25(-score) }));
  }

  private bm25(scopeToken: string, query: string, k: number, filter: ChunkFilter = {}): ChunkHit[] {
    this.ensureReady();
    const match = ftsMatchExpression(scopeToken, query);
    if (!match || k <= 0) return [];
    const where = new SqlConditions().add('fts_chunks MATCH ?', match);
    where.addIn('c.source_type', filter.sourceTypes).addIn('c.source_id', filter.sourceIds);
    if (filter.since) where.add('c.occurred_ms >= ?', timeMs(filter.since));
    if (filter.until) where.add('c.occurred_ms <= ?', timeMs(filter.until));
    // Column weights: the scope tokens must not influence the score.
    const rows = this
      .statement(
        `SELECT ${PAYLOAD_COLUMNS}, bm25(fts_chunks, 1.0, 0.0) AS rank FROM fts_chunks JOIN retrieval_chunks c ON c.seq = fts_chunks.rowid
         WHERE ${where.sql()} ORDER BY rank, c.id LIMIT ?`,
      )
      .all(...where.params, k) as Array<ChunkRow & { rank: number }>;
    return rows.map((r) => ({ chunk: toPayload(r), score: normalizeBm25(r.rank) }));
  }

  /** Call inside a transaction. */
  private deleteSeqs(seqs: number[]): void {
    const delVec = this.statement(`DELETE FROM vec_chunks WHERE rowid = ?`);
    const delFts = this.statement(`DELETE FROM fts_chunks WHERE rowid = ?`);
    const delRow = this.statement(`DELETE FROM retrieval_chunks WHERE seq = ?`);
    for (const seq of seqs) {
      delVec.run(BigInt(seq));
      delFts.run(seq);
      delRow.run(seq);
    }
  }

  /** The connection's compiled statement for `sql`, prepared on first use (see STATEMENT_CACHE_SIZE). */
  private statement(sql: string): Statement {
    let stmt = this.statements.get(sql);
    if (stmt) return stmt;
    if (this.statements.size >= STATEMENT_CACHE_SIZE) this.statements.delete(this.statements.keys().next().value!);
    stmt = this.db.prepare(sql);
    this.statements.set(sql, stmt);
    return stmt;
  }

  private ensureReady(): void {
    if (!this.ready) throw new Error('SqliteVectorStore: call init() first');
  }
}

function timeMs(iso: string): number {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) throw new RangeError(`not an ISO timestamp: ${iso}`);
  return ms;
}

function toPayload(r: ChunkRow): ChunkPayload {
  return {
    id: r.id,
    portalId: r.portal_id,
    accountId: r.account_id,
    sourceType: r.source_type as SourceType,
    sourceId: r.source_id,
    chunkIndex: r.chunk_index,
    relatedIds: JSON.parse(r.related_ids) as string[],
    occurredAt: r.occurred_at,
    direction: r.direction as ChunkPayload['direction'],
    speakers: JSON.parse(r.speakers) as string[],
    text: r.text,
    contentHash: r.content_hash,
    embeddingModel: r.embedding_model,
  };
}
