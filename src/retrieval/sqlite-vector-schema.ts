import { writeTransaction, type SqliteDb } from '../db/sqlite.ts';
import { forgetSqliteFileGroup, migrateSqliteFile } from '../db/migrator.ts';
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
 *
 * Vectors per vec0 storage chunk: 32. vec0 allocates a whole chunk per partition (per account here): at its default
 * of 1,024 an account with 30 chunks took 1.5 MB of zeroes at 384 dimensions, 20× its vectors. Accounts hold
 * tens of chunks, so 32 wastes little and a whale spans more chunks at no measurable cost (db/migrations/
 * vector-tables.ts declares it). Files created before keep their layout until `backfill --reindex` rebuilds them.
 */

export interface SchemaDims {
  chunkDimensions: number;
  accountDimensions: number;
  /** The embedder's model: a store built with another model of the same size is refused too. */
  embeddingModel?: string;
}

export { accountBitDimensions } from '../db/migrations/vector-tables.ts';

const TABLES = ['vec_chunks', 'fts_chunks', 'vec_accounts', 'retrieval_chunks', 'retrieval_accounts', 'retrieval_meta'];

/**
 * Opens the store's tables: the migrator creates them (db/migrations/vector-tables.ts, with these dimensions) or
 * adopts those of an older file; then the dimensions and model they were built with must be the configured ones.
 */
export function createSchema(db: SqliteDb, dims: SchemaDims): void {
  assertPositiveInt('chunkDimensions', dims.chunkDimensions);
  assertPositiveInt('accountDimensions', dims.accountDimensions);
  migrateSqliteFile(db, 'main', { vectors: { chunkDimensions: dims.chunkDimensions, accountDimensions: dims.accountDimensions } });
  writeTransaction(db, () => {
    checkDimension(db, 'chunk_dimensions', 'chunk', dims.chunkDimensions);
    checkDimension(db, 'account_dimensions', 'account profile', dims.accountDimensions);
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

/** Drops the index (`backfill --reindex`); the next `createSchema` builds it again, with the dimensions it is given. */
export function dropSchema(db: SqliteDb): void {
  writeTransaction(db, () => {
    for (const t of TABLES) db.exec(`DROP TABLE IF EXISTS ${t}`);
    forgetSqliteFileGroup(db, 'vectors');
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
