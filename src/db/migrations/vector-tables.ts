import type { SqliteFileMigration } from './sqlite-file.ts';

/** Bits of the quantized account index: vec0 bit vectors need a multiple of 8. */
export function accountBitDimensions(accountDimensions: number): number {
  return Math.ceil(accountDimensions / 8) * 8;
}

/**
 * The embedded vector store's tables (layout and reasons in retrieval/sqlite-vector-schema.ts). The vec0 tables
 * are declared with the configured dimensions, recorded in `retrieval_meta`; the store refuses to open them with
 * others, and `backfill --reindex` drops the tables and forgets this group so it runs again with the new ones.
 */
export function vectorTableMigrations(): Record<string, SqliteFileMigration> {
  return {
    '0001_vector_tables': {
      needs: 'vectors',
      up(db, { vectors }) {
        if (!vectors) throw new TypeError('the vector tables need their dimensions');
        const { chunkDimensions, accountDimensions } = vectors;
        for (const [name, v] of Object.entries(vectors)) {
          if (!Number.isInteger(v) || v <= 0) throw new RangeError(`${name} must be a positive integer (got ${v})`);
        }
        db.exec(`CREATE TABLE IF NOT EXISTS retrieval_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)`);
        // A file from before keeps the dimensions it recorded (the store compares them with the configured ones).
        const record = db.prepare(`INSERT INTO retrieval_meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING`);
        record.run('chunk_dimensions', String(chunkDimensions));
        record.run('account_dimensions', String(accountDimensions));
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
          -- chunk_size 32: vec0 allocates a whole storage chunk per partition (per account); see sqlite-vector-schema.ts.
          CREATE VIRTUAL TABLE IF NOT EXISTS vec_chunks USING vec0(
            portal_id TEXT PARTITION KEY,
            account_id TEXT PARTITION KEY,
            embedding FLOAT[${chunkDimensions}] distance_metric=cosine,
            source_type TEXT,
            occurred_ms INTEGER,
            source_id TEXT,
            chunk_size=32
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
            embedding BIT[${accountBitDimensions(accountDimensions)}],
            industry TEXT,
            size_band TEXT,
            lifecycle TEXT,
            is_customer INTEGER
          );
          -- vec0 finds a partition's storage chunks with SELECT ... FROM <table>_chunks WHERE partition00 = ? AND
          -- partition01 = ? and creates no index for it (see sqlite-vector-schema.ts).
          CREATE INDEX IF NOT EXISTS vec_chunks_chunks_partition ON vec_chunks_chunks (partition00, partition01);
          CREATE INDEX IF NOT EXISTS vec_accounts_chunks_partition ON vec_accounts_chunks (partition00);`);
      },
    },
  };
}
