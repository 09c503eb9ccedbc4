import { randomUUID } from 'node:crypto';
import type { Statement } from 'better-sqlite3';
import type { SqliteDb } from '../db/sqlite.ts';
import type { AccountFilter, AccountHit, AccountProfile, AccountProfilePayload } from './vector-store.ts';
import { accountBitDimensions } from './sqlite-vector-schema.ts';
import { fromBlob, toBlob } from './vector-math.ts';
import { SqlConditions } from './sql-conditions.ts';
import { filterKey } from './firmographics.ts';
import { AccountBitIndex } from './account-bit-index.ts';

/**
 * Account profiles in SQLite: nearest accounts by a three-stage search.
 *
 * 1. Coarse: Hamming distance over the sign bits of every profile of the portal, with the filters applied
 *    during the scan; the `candidates` nearest survive. By default this runs in memory (account-bit-index.ts,
 *    ~9 ms of CPU at 100k × 1536); with `inMemory: false` it runs in sqlite-vec (`vec_accounts`, ~60 ms there).
 * 2. Approximate: the candidates re-ranked by an int8 copy of their vectors (in memory).
 * 3. Exact: cosine on the float32 vectors of the best `exact` rows only, read from SQLite, then top-k.
 *
 * When a filter leaves fewer rows than `candidates`, every matching row is re-ranked and the answer is exact up
 * to the int8 cut. Recall@10 against exact brute force is measured by `npm run bench:similar`.
 *
 * The in-memory index of a portal is loaded from SQLite on its first query and kept current by this process's
 * writes. Every profile write also bumps a version row (`retrieval_meta.account_index_version`, a random token
 * plus a counter) in the same transaction; a query that finds a version it did not write itself (another process
 * wrote the file, or a transaction rolled back) drops the in-memory indexes and reloads them.
 */

export interface AccountIndexOptions {
  /** Candidates per requested result in the coarse stage. */
  oversample: number;
  /** Lower bound on candidates, so small k still gets a useful re-rank pool. */
  minCandidates: number;
  /** Rows whose exact cosine is computed from the float vectors: max(k + exactMargin, 2k). */
  exactMargin: number;
  /** Keep the coarse index in memory (default) instead of scanning sqlite-vec's vec_accounts. */
  inMemory: boolean;
}

export const DEFAULT_ACCOUNT_INDEX_OPTIONS: AccountIndexOptions = { oversample: 40, minCandidates: 400, exactMargin: 20, inMemory: true };

const VERSION_KEY = 'account_index_version';

interface AccountRow {
  seq: number;
  portal_id: string;
  account_id: string;
  name: string;
  industry: string | null;
  size_band: string | null;
  lifecycle: string | null;
  is_customer: number;
  topics: string;
  updated_at: string;
  content_hash: string;
  embedding_model: string;
  vector?: Buffer;
}

export class SqliteAccountIndex {
  private readonly bitDims: number;
  /** In-memory indexes by portal, valid for the version row value `known`. */
  private readonly memory = new Map<string, AccountBitIndex>();
  private known: string | null = null;
  /** The write path's statements, prepared once (a backfill writes a profile per account). */
  private readonly statements = new Map<string, Statement>();

  constructor(
    private readonly db: SqliteDb,
    private readonly dimensions: number,
    private readonly opts: AccountIndexOptions = DEFAULT_ACCOUNT_INDEX_OPTIONS,
  ) {
    this.bitDims = accountBitDimensions(dimensions);
  }

  /** Inserts or replaces profiles. Call inside a transaction. */
  upsertMany(profiles: AccountProfile[]): void {
    if (profiles.length === 0) return;
    this.bumpVersion();
    for (const p of profiles) this.upsert(p);
  }

  /** Call inside a transaction. */
  delete(portalId: string, accountId: string): void {
    const row = this
      .statement(`SELECT seq FROM retrieval_accounts WHERE portal_id = ? AND account_id = ?`)
      .get(portalId, accountId) as { seq: number } | undefined;
    if (!row) return;
    this.bumpVersion();
    this.statement(`DELETE FROM vec_accounts WHERE rowid = ?`).run(BigInt(row.seq));
    this.statement(`DELETE FROM retrieval_accounts WHERE seq = ?`).run(row.seq);
    this.memory.get(portalId)?.delete(accountId);
  }

  /** Forgets the in-memory indexes and prepared statements (after the schema was dropped). */
  invalidate(): void {
    this.memory.clear();
    this.statements.clear();
    this.known = null;
  }

  get(portalId: string, accountId: string): AccountProfile | null {
    const row = this
      .statement(`SELECT * FROM retrieval_accounts WHERE portal_id = ? AND account_id = ?`)
      .get(portalId, accountId) as AccountRow | undefined;
    if (!row?.vector) return null;
    return { ...toPayload(row), vector: fromBlob(row.vector) };
  }

  nearest(portalId: string, vector: Float32Array, k: number, filter: AccountFilter = {}): AccountHit[] {
    if (k <= 0) return [];
    if (vector.length !== this.dimensions) {
      throw new RangeError(`query vector has ${vector.length} dimensions, the account index expects ${this.dimensions}`);
    }
    const excluded = new Set(filter.excludeAccountIds ?? []);
    const candidates = Math.max(k * this.opts.oversample, this.opts.minCandidates);
    const seqs = this.opts.inMemory
      ? this.portalIndex(portalId)
          .search(vector, filter, candidates, Math.max(k + this.opts.exactMargin, 2 * k))
          .map((c) => c.seq)
      : this.coarse(portalId, vector, candidates + excluded.size, filter);
    if (seqs.length === 0) return [];
    const rows = this.db
      .prepare(
        `SELECT seq, portal_id, account_id, name, industry, size_band, lifecycle, is_customer, topics, updated_at, content_hash,
           embedding_model, 1 - vec_distance_cosine(vector, ?) AS score FROM retrieval_accounts
         WHERE seq IN (SELECT value FROM json_each(?))`,
      )
      .all(toBlob(vector), JSON.stringify(seqs)) as Array<AccountRow & { score: number }>;
    return rows
      .filter((r) => !excluded.has(r.account_id))
      .sort((a, b) => b.score - a.score || a.account_id.localeCompare(b.account_id))
      .slice(0, k)
      .map((r) => ({ profile: toPayload(r), score: r.score }));
  }

  count(portalId: string): number {
    return (this.db.prepare(`SELECT count(*) AS n FROM retrieval_accounts WHERE portal_id = ?`).get(portalId) as { n: number }).n;
  }

  /** Bytes held in memory by the loaded portal indexes. */
  residentBytes(): number {
    let n = 0;
    for (const idx of this.memory.values()) n += idx.residentBytes();
    return n;
  }

  private upsert(p: AccountProfile): void {
    if (p.vector.length !== this.dimensions) {
      throw new RangeError(`account ${p.accountId}: vector has ${p.vector.length} dimensions, the store expects ${this.dimensions}`);
    }
    const existing = this
      .statement(`SELECT seq FROM retrieval_accounts WHERE portal_id = ? AND account_id = ?`)
      .get(p.portalId, p.accountId) as { seq: number } | undefined;
    const values = [
      p.name, p.industry, p.sizeBand, p.lifecycle, p.isCustomer ? 1 : 0, JSON.stringify(p.topics),
      p.updatedAt, p.contentHash, p.embeddingModel, toBlob(p.vector),
    ];
    let seq: number;
    if (existing) {
      seq = existing.seq;
      this
        .statement(
          `UPDATE retrieval_accounts SET name = ?, industry = ?, size_band = ?, lifecycle = ?, is_customer = ?, topics = ?,
             updated_at = ?, content_hash = ?, embedding_model = ?, vector = ? WHERE seq = ?`,
        )
        .run(...values, seq);
      this.statement(`DELETE FROM vec_accounts WHERE rowid = ?`).run(BigInt(seq));
    } else {
      const r = this
        .statement(
          `INSERT INTO retrieval_accounts (portal_id, account_id, name, industry, size_band, lifecycle, is_customer, topics,
             updated_at, content_hash, embedding_model, vector) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(p.portalId, p.accountId, ...values);
      seq = Number(r.lastInsertRowid);
    }
    this
      .statement(
        `INSERT INTO vec_accounts (rowid, portal_id, embedding, industry, size_band, lifecycle, is_customer)
         VALUES (?, ?, vec_quantize_binary(?), ?, ?, ?, ?)`,
      )
      .run(BigInt(seq), p.portalId, toBlob(this.padded(p.vector)), filterKey(p.industry), filterKey(p.sizeBand), filterKey(p.lifecycle), BigInt(p.isCustomer ? 1 : 0));
    this.memory.get(p.portalId)?.upsert({ ...p, seq });
  }

  private readVersion(): string | null {
    const row = this.statement(`SELECT value FROM retrieval_meta WHERE key = ?`).get(VERSION_KEY) as { value: string } | undefined;
    return row?.value ?? null;
  }

  /**
   * Bumps the version row inside the caller's write transaction. If the row is not what this process last saw,
   * someone else changed the profiles: drop the in-memory indexes before applying this write to them.
   */
  private bumpVersion(): void {
    const current = this.readVersion();
    if (current !== this.known) this.memory.clear();
    const colon = current?.lastIndexOf(':') ?? -1;
    const next = current && colon > 0 ? `${current.slice(0, colon)}:${Number(current.slice(colon + 1)) + 1}` : `${randomUUID()}:1`;
    this
      .statement(`INSERT INTO retrieval_meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`)
      .run(VERSION_KEY, next);
    this.known = next;
  }

  private statement(sql: string): Statement {
    let stmt = this.statements.get(sql);
    if (!stmt) this.statements.set(sql, (stmt = this.db.prepare(sql)));
    return stmt;
  }

  /** The portal's in-memory index, (re)loaded from SQLite when missing or stale. */
  private portalIndex(portalId: string): AccountBitIndex {
    const version = this.readVersion();
    if (version !== this.known) {
      this.memory.clear();
      this.known = version;
    }
    let idx = this.memory.get(portalId);
    if (!idx) {
      idx = new AccountBitIndex(this.dimensions);
      idx.reserve(this.count(portalId));
      const vector = new Float32Array(this.dimensions);
      const bytes = new Uint8Array(vector.buffer);
      const rows = this.db
        .prepare(`SELECT seq, account_id, industry, size_band, lifecycle, is_customer, vector FROM retrieval_accounts WHERE portal_id = ?`)
        .iterate(portalId) as IterableIterator<Pick<AccountRow, 'seq' | 'account_id' | 'industry' | 'size_band' | 'lifecycle' | 'is_customer'> & { vector: Buffer }>;
      for (const r of rows) {
        if (r.vector.byteLength !== bytes.byteLength) continue;
        bytes.set(r.vector);
        idx.upsert({
          seq: r.seq, accountId: r.account_id, industry: r.industry, sizeBand: r.size_band, lifecycle: r.lifecycle,
          isCustomer: r.is_customer === 1, vector,
        });
      }
      this.memory.set(portalId, idx);
    }
    return idx;
  }

  private coarse(portalId: string, vector: Float32Array, limit: number, filter: AccountFilter): number[] {
    const where = new SqlConditions()
      .add('embedding MATCH vec_quantize_binary(?)', toBlob(this.padded(vector)))
      .add('k = ?', limit)
      .add('portal_id = ?', portalId);
    if (filter.industry) where.add('industry = ?', filterKey(filter.industry));
    if (filter.sizeBand) where.add('size_band = ?', filterKey(filter.sizeBand));
    if (filter.lifecycle) where.add('lifecycle = ?', filterKey(filter.lifecycle));
    if (filter.excludeCustomers) where.add('is_customer = 0');
    const rows = this.db.prepare(`SELECT rowid FROM vec_accounts WHERE ${where.sql()}`).all(...where.params) as Array<{ rowid: number }>;
    return rows.map((r) => r.rowid);
  }

  private padded(v: Float32Array): Float32Array {
    if (v.length === this.bitDims) return v;
    const out = new Float32Array(this.bitDims);
    out.set(v);
    return out;
  }
}

function toPayload(r: AccountRow): AccountProfilePayload {
  return {
    portalId: r.portal_id,
    accountId: r.account_id,
    name: r.name,
    industry: r.industry,
    sizeBand: r.size_band,
    lifecycle: r.lifecycle,
    isCustomer: r.is_customer === 1,
    topics: JSON.parse(r.topics) as string[],
    updatedAt: r.updated_at,
    contentHash: r.content_hash,
    embeddingModel: r.embedding_model,
  };
}
