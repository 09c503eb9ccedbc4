import { writeTransaction, type SqliteDb } from '../db/sqlite.ts';
import { EmbeddingModelChangedError, REINDEX_HINT } from './retrieval-errors.ts';

/**
 * Tables of the embedded vector store, all in the shared SQLite file:
 *
 * - `retrieval_chunks`: chunk payloads; its integer `seq` is the rowid of the chunk in the two indexes below.
 * - `vec_chunks`: sqlite-vec vec0 with `portal_id` + `account_id` partition keys, so a per-account KNN reads
 *   only that account's vectors (found through an index on vec0's chunk table, which vec0 does not create); metadata columns make source-type, time and source filters part of the KNN
 *   (filtered before the top-k, not after).
 * - `fts_chunks`: contentless FTS5 (BM25). A `scope` column holds one opaque token per portal and per account, so
 *   an account-scoped keyword query is an index intersection instead of a post-filter over the whole portal.
 * - `retrieval_accounts`: account profiles with their float32 vector (for exact re-ranking).
 * - `vec_accounts`: a vec0 of sign-quantized (bit) profile vectors partitioned by portal, with the filter
 *   fields as metadata. Hamming distance over 100k × 1536 bits is ~15x cheaper than float cosine; the top
 *   candidates are re-ranked exactly (see sqlite-account-index.ts and `npm run bench:similar`).
 * - `retrieval_meta`: the dimensions and embedding model the file was built with, to refuse a silent model change.
 *
 * vec0 metadata columns cannot hold NULL: absent values are stored as ''.
 */

/**
 * Vectors per vec0 storage chunk. vec0 allocates a whole chunk per partition (per account here): at its default
 * of 1,024 an account with 30 chunks took 1.5 MB of zeroes at 384 dimensions, 20× its vectors. Accounts hold
 * tens of chunks, so 32 wastes little and a whale spans more chunks at no measurable cost. Files created before
 * keep their layout until `backfill --reindex` rebuilds them.
 */
export const VEC_CHUNK_SIZE = 32;

export interface SchemaDims {
  chunkDimensions: number;
  accountDimensions: number;
  /** The embedder's model: a store built with another model of the same size is refused too. */
  embeddingModel?: string;
}

/** Bits of the quantized account index: vec0 bit vectors need a multiple of 8. */
export function accountBitDimensions(accountDimensions: number): number {
  return Math.ceil(accountDimensions / 8) * 8;
}

const TABLES = ['vec_chunks', 'fts_chunks', 'vec_accounts', 'retrieval_chunks', 'retrieval_accounts', 'retrieval_meta'];

export function createSchema(db: SqliteDb, dims: SchemaDims): void {
  assertPositiveInt('chunkDimensions', dims.chunkDimensions);
  assertPositiveInt('accountDimensions', dims.accountDimensions);
  writeTransaction(db, () => {
    db.exec(`CREATE TABLE IF NOT EXISTS retrieval_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)`);
    checkDimension(db, 'chunk_dimensions', 'chunk', dims.chunkDimensions);
    checkDimension(db, 'account_dimensions', 'account profile', dims.accountDimensions);
    db.exec(`
      CREATE TABLE IF NOT EXISTS retrieval_chunks (
        seq INTEGER PRIMARY KEY,
        portal_id TEXT NOT NULL,
        id TEXT NOT NULL,
        account_id TEXT NOT NULL,
        source_type TEXT NOT NULL,
        source_id TEXT NOT NULL,
        chunk_index INTEGER NOT NULL,
        related_ids TEXT NOT NULL,
        occurred_at TEXT NOT NULL,
        occurred_ms INTEGER NOT NULL,
        direction TEXT,
        speakers TEXT NOT NULL,
        text TEXT NOT NULL,
        content_hash TEXT NOT NULL,
        embedding_model TEXT NOT NULL,
        UNIQUE (portal_id, id)
      );
      -- Ordered like listChunkKeys reads an account. The earlier (portal_id, account_id) index lost to the source
      -- index there (it also serves that ORDER BY), and every account read scanned its whole portal.
      DROP INDEX IF EXISTS retrieval_chunks_account;
      CREATE INDEX IF NOT EXISTS retrieval_chunks_account_source ON retrieval_chunks (portal_id, account_id, source_id, chunk_index);
      CREATE INDEX IF NOT EXISTS retrieval_chunks_source ON retrieval_chunks (portal_id, source_id);
      CREATE VIRTUAL TABLE IF NOT EXISTS vec_chunks USING vec0(
        portal_id TEXT PARTITION KEY,
        account_id TEXT PARTITION KEY,
        embedding FLOAT[${dims.chunkDimensions}] distance_metric=cosine,
        source_type TEXT,
        occurred_ms INTEGER,
        source_id TEXT,
        chunk_size=${VEC_CHUNK_SIZE}
      );
      CREATE VIRTUAL TABLE IF NOT EXISTS fts_chunks USING fts5(
        text, scope, content='', contentless_delete=1, tokenize='unicode61 remove_diacritics 2'
      );
      CREATE TABLE IF NOT EXISTS retrieval_accounts (
        seq INTEGER PRIMARY KEY,
        portal_id TEXT NOT NULL,
        account_id TEXT NOT NULL,
        name TEXT NOT NULL,
        industry TEXT,
        size_band TEXT,
        lifecycle TEXT,
        is_customer INTEGER NOT NULL,
        topics TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        content_hash TEXT NOT NULL,
        embedding_model TEXT NOT NULL,
        vector BLOB NOT NULL,
        UNIQUE (portal_id, account_id)
      );
      CREATE VIRTUAL TABLE IF NOT EXISTS vec_accounts USING vec0(
        portal_id TEXT PARTITION KEY,
        embedding BIT[${accountBitDimensions(dims.accountDimensions)}],
        industry TEXT,
        size_band TEXT,
        lifecycle TEXT,
        is_customer INTEGER
      );
      -- vec0 finds a partition's storage chunks (on every KNN and every insert) with
      -- SELECT ... FROM <table>_chunks WHERE partition00 = ? AND partition01 = ? and creates no index for it: at
      -- 20,000 accounts each per-account query scanned 40,000 rows (~3 ms of the 1 ms goal). Ordinary indexes on
      -- the shadow tables are maintained by SQLite and dropped with them.
      CREATE INDEX IF NOT EXISTS vec_chunks_chunks_partition ON vec_chunks_chunks (partition00, partition01);
      CREATE INDEX IF NOT EXISTS vec_accounts_chunks_partition ON vec_accounts_chunks (partition00);
    `);
    if (dims.embeddingModel) checkModel(db, dims.embeddingModel);
  });
}

/** Files written before the model was recorded name it on their chunks; the first one found speaks for all. */
function checkModel(db: SqliteDb, wanted: string): void {
  const row = db.prepare(`SELECT value FROM retrieval_meta WHERE key = 'embedding_model'`).get() as { value: string } | undefined;
  const stored = row?.value ?? (db.prepare(`SELECT embedding_model AS value FROM retrieval_chunks LIMIT 1`).get() as { value: string } | undefined)?.value;
  if (stored !== undefined && stored !== wanted) throw new EmbeddingModelChangedError('chunk', stored, wanted, REINDEX_HINT);
  if (!row) db.prepare(`INSERT INTO retrieval_meta (key, value) VALUES ('embedding_model', ?)`).run(wanted);
}

export function dropSchema(db: SqliteDb): void {
  writeTransaction(db, () => {
    for (const t of TABLES) db.exec(`DROP TABLE IF EXISTS ${t}`);
  });
}

function checkDimension(db: SqliteDb, key: string, what: string, wanted: number): void {
  const row = db.prepare(`SELECT value FROM retrieval_meta WHERE key = ?`).get(key) as { value: string } | undefined;
  if (!row) {
    db.prepare(`INSERT INTO retrieval_meta (key, value) VALUES (?, ?)`).run(key, String(wanted));
    return;
  }
  const stored = Number(row.value);
  if (stored !== wanted) throw new EmbeddingModelChangedError(what, stored, wanted, REINDEX_HINT);
}

function assertPositiveInt(name: string, v: number): void {
  if (!Number.isInteger(v) || v <= 0) throw new RangeError(`${name} must be a positive integer (got ${v})`);
}
