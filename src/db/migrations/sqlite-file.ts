import type { SqliteDb } from '../sqlite.ts';

/** What a migration of an SQLite file may need from the adapter that opens it. */
export interface SqliteFileContext {
  /** The vector store's dimensions (configuration, not schema): its vec0 tables are declared with them. */
  vectors?: { chunkDimensions: number; accountDimensions: number };
}

/**
 * A migration of a table that exists only in an SQLite file (the embedded adapters' tables: there is no
 * PostgreSQL counterpart, production uses Redis and Qdrant). Plain SQLite DDL, run synchronously on the adapter's
 * connection when it opens the file. A migration that `needs` part of the context runs when an adapter that has it
 * opens the file. The first migration of each group adopts tables an older version created (IF NOT EXISTS).
 */
export interface SqliteFileMigration {
  needs?: keyof SqliteFileContext;
  up(db: SqliteDb, ctx: SqliteFileContext): void;
}
