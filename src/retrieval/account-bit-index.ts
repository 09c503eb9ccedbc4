import type { AccountFilter } from './vector-store.ts';
import { filterKey } from './firmographics.ts';

/**
 * In-memory nearest-account index of one portal: per profile its sign bits packed in a Uint32Array (Hamming
 * distance by popcount), an int8 copy of the vector (per-row scale) for re-ranking candidates, and the filter
 * fields as small integer columns, so filters are applied during the scan.
 *
 * A query scans every row (Hamming over 100k × 1536 bits ≈ 9 ms of one core in V8), keeps the `candidates`
 * nearest by a histogram of distances (O(n), no heap), re-ranks them by the int8 dot product and returns the
 * best `keep` slots. The caller computes exact cosine on the float vectors of those few (sqlite-account-index.ts).
 *
 * Memory per profile: dims/8 bytes of bits + dims bytes of int8 + ~40 bytes of columns (+ the account id string):
 * 100k × 1536 ≈ 176 MB, 100k × 384 ≈ 48 MB. `residentBytes()` reports it.
 */

export interface BitIndexRow {
  seq: number;
  accountId: string;
  industry: string | null;
  sizeBand: string | null;
  lifecycle: string | null;
  isCustomer: boolean;
  vector: Float32Array;
}

export interface BitIndexCandidate {
  seq: number;
  accountId: string;
  /** Approximate cosine from the int8 copy (the query itself is not quantized). */
  approx: number;
}

/** Words (of 32 sign bits) of the coarse first pass, and when it runs: wide vectors, many rows. */
const COARSE_WORDS = 8;
const COARSE_MIN_ROWS = 20_000;
/** Rows the coarse pass keeps: this many times the candidates, and at least this share of the rows. */
const COARSE_FACTOR = 10;
const COARSE_SHARE = 0.04;

function popcount(x: number): number {
  x = x - ((x >>> 1) & 0x55555555);
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  return (((x + (x >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
}

/** Code of a filter value that no row has: the filter matches nothing. */
const NO_MATCH = -1;

export class AccountBitIndex {
  readonly words: number;
  private capacity = 0;
  /** Slots in use, including freed ones (high-water mark). */
  private slots = 0;
  private bits = new Uint32Array(0);
  private quant = new Int8Array(0);
  /** 1 / ‖int8 row‖, so the approximate score is a cosine. */
  private invNorm = new Float32Array(0);
  private seqs = new Float64Array(0);
  private alive = new Uint8Array(0);
  private customer = new Uint8Array(0);
  private industry = new Uint16Array(0);
  private sizeBand = new Uint16Array(0);
  private lifecycle = new Uint16Array(0);
  private ids: string[] = [];
  private readonly slotOf = new Map<string, number>();
  private readonly free: number[] = [];
  /** Dictionary of filter values (after filterKey) shared by the three columns. */
  private readonly codes = new Map<string, number>();
  private dist = new Uint16Array(0);
  private readonly queryBits: Uint32Array;

  constructor(readonly dimensions: number) {
    this.words = Math.ceil(dimensions / 32);
    this.queryBits = new Uint32Array(this.words);
  }

  get size(): number {
    return this.slotOf.size;
  }

  /** Makes room for `rows` profiles in all (before a bulk load, so the arrays are not over-allocated by doubling). */
  reserve(rows: number): void {
    if (rows > this.capacity) this.grow(rows);
  }

  /** Inserts or replaces the profile of `row.accountId`. */
  upsert(row: BitIndexRow): void {
    if (row.vector.length !== this.dimensions) throw new RangeError(`vector has ${row.vector.length} dimensions, the index expects ${this.dimensions}`);
    let slot = this.slotOf.get(row.accountId);
    if (slot === undefined) {
      slot = this.free.pop() ?? this.slots++;
      if (slot >= this.capacity) this.grow(Math.max(1024, Math.ceil(this.capacity * 1.5)));
      this.slotOf.set(row.accountId, slot);
    }
    this.ids[slot] = row.accountId;
    this.seqs[slot] = row.seq;
    this.alive[slot] = 1;
    this.customer[slot] = row.isCustomer ? 1 : 0;
    this.industry[slot] = this.code(row.industry);
    this.sizeBand[slot] = this.code(row.sizeBand);
    this.lifecycle[slot] = this.code(row.lifecycle);
    signBits(row.vector, this.bits, slot * this.words);
    this.invNorm[slot] = quantize(row.vector, this.quant, slot * this.dimensions);
  }

  delete(accountId: string): void {
    const slot = this.slotOf.get(accountId);
    if (slot === undefined) return;
    this.slotOf.delete(accountId);
    this.alive[slot] = 0;
    this.ids[slot] = '';
    this.free.push(slot);
  }

  /**
   * The `keep` best rows by int8 score among the `candidates` nearest by Hamming distance that pass the filter.
   * `query` need not be normalized.
   */
  search(query: Float32Array, filter: AccountFilter, candidates: number, keep: number): BitIndexCandidate[] {
    if (query.length !== this.dimensions) throw new RangeError(`query has ${query.length} dimensions, the index expects ${this.dimensions}`);
    const n = this.slots;
    if (n === 0 || candidates <= 0 || keep <= 0) return [];
    const ind = filter.industry ? this.lookup(filter.industry) : 0;
    const band = filter.sizeBand ? this.lookup(filter.sizeBand) : 0;
    const life = filter.lifecycle ? this.lookup(filter.lifecycle) : 0;
    if (ind === NO_MATCH || band === NO_MATCH || life === NO_MATCH) return [];
    const noCustomers = filter.excludeCustomers === true;

    const W = this.words;
    const q = this.queryBits;
    q.fill(0);
    signBits(query, q, 0);
    if (this.dist.length < n) this.dist = new Uint16Array(this.capacity);
    const dist = this.dist;
    const bits = this.bits;
    const FILTERED = 0xffff;
    const hist = new Uint32Array(W * 32 + 1);
    const passes = (i: number) =>
      this.alive[i] !== 0 &&
      (ind === 0 || this.industry[i] === ind) &&
      (band === 0 || this.sizeBand[i] === band) &&
      (life === 0 || this.lifecycle[i] === life) &&
      !(noCustomers && this.customer[i] === 1);

    // Coarse first pass on wide vectors: Hamming over the first COARSE_WORDS words (256 dimensions) of every row
    // keeps the nearest few percent, and only those get the full distance. The leading dimensions carry the most
    // (text-embedding-3 vectors are Matryoshka-trained: their first 256 dimensions are an embedding themselves).
    const coarse = W >= 4 * COARSE_WORDS && n >= COARSE_MIN_ROWS;
    let rows: ArrayLike<number> | undefined;
    if (coarse) {
      const chist = new Uint32Array(COARSE_WORDS * 32 + 1);
      for (let i = 0, b = 0; i < n; i++, b += W) {
        if (!passes(i)) {
          dist[i] = FILTERED;
          continue;
        }
        let d = 0;
        for (let w = 0; w < COARSE_WORDS; w++) d += popcount(bits[b + w]! ^ q[w]!);
        dist[i] = d;
        chist[d]! += 1;
      }
      const keepCoarse = Math.max(candidates * COARSE_FACTOR, Math.ceil(n * COARSE_SHARE));
      let t = 0;
      for (let below = 0; t < chist.length; t++) {
        below += chist[t]!;
        if (below >= keepCoarse) break;
      }
      const kept: number[] = [];
      for (let i = 0; i < n; i++) {
        const d = dist[i]!;
        if (d !== FILTERED && d <= t) kept.push(i);
        dist[i] = FILTERED;
      }
      rows = kept;
    }
    const count = rows ? rows.length : n;
    for (let r = 0; r < count; r++) {
      const i = rows ? rows[r]! : r;
      const b = i * W;
      if (!rows && !passes(i)) {
        dist[i] = FILTERED;
        continue;
      }
      let d = 0;
      // Popcount of (row XOR query): per-byte counts summed over ≤ 8 words (≤ 64 per byte, no carry), then folded.
      for (let w0 = 0; w0 < W; w0 += 8) {
        const end = w0 + 8 < W ? w0 + 8 : W;
        let acc = 0;
        for (let w = w0; w < end; w++) {
          let x = bits[b + w]! ^ q[w]!;
          x = x - ((x >>> 1) & 0x55555555);
          x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
          acc += (x + (x >>> 4)) & 0x0f0f0f0f;
        }
        acc = (acc & 0x00ff00ff) + ((acc >>> 8) & 0x00ff00ff);
        d += (acc & 0xffff) + (acc >>> 16);
      }
      dist[i] = d;
      hist[d]! += 1;
    }
    for (const id of filter.excludeAccountIds ?? []) {
      const slot = this.slotOf.get(id);
      if (slot !== undefined && dist[slot] !== FILTERED) {
        hist[dist[slot]!]! -= 1;
        dist[slot] = FILTERED;
      }
    }

    // Distance threshold: the smallest t with at least `candidates` rows at distance ≤ t.
    let threshold = 0;
    let below = 0;
    for (; threshold < hist.length; threshold++) {
      if (below + hist[threshold]! >= candidates) break;
      below += hist[threshold]!;
    }
    let tiesLeft = candidates - below;
    const picked: number[] = [];
    for (let i = 0; i < n; i++) {
      const d = dist[i]!;
      if (d < threshold) picked.push(i);
      else if (d === threshold && tiesLeft > 0) {
        picked.push(i);
        tiesLeft -= 1;
      }
    }
    return this.rerank(query, picked, keep);
  }

  /** Bytes held by the index's arrays (plus an estimate for the account id strings and the id map). */
  residentBytes(): number {
    const arrays = [this.bits, this.quant, this.invNorm, this.seqs, this.alive, this.customer, this.industry, this.sizeBand, this.lifecycle, this.dist];
    let bytes = arrays.reduce((s, a) => s + a.byteLength, 0);
    for (const id of this.slotOf.keys()) bytes += 2 * id.length + 64; // string, array slot and map entry
    return bytes;
  }

  private rerank(query: Float32Array, picked: number[], keep: number): BitIndexCandidate[] {
    const D = this.dimensions;
    const quant = this.quant;
    const scored = picked.map((slot) => {
      let s = 0;
      for (let j = 0, o = slot * D; j < D; j++, o++) s += query[j]! * quant[o]!;
      return { slot, score: s * this.invNorm[slot]! };
    });
    scored.sort((a, b) => b.score - a.score);
    let qn = 0;
    for (let j = 0; j < D; j++) qn += query[j]! * query[j]!;
    const inv = qn > 0 ? 1 / Math.sqrt(qn) : 0;
    return scored.slice(0, keep).map((c) => ({ seq: this.seqs[c.slot]!, accountId: this.ids[c.slot]!, approx: c.score * inv }));
  }

  private code(v: string | null): number {
    const key = filterKey(v);
    let c = this.codes.get(key);
    if (c === undefined) {
      c = this.codes.size + 1;
      if (c > 0xfffe) throw new RangeError('too many distinct filter values for the account index');
      this.codes.set(key, c);
    }
    return c;
  }

  private lookup(v: string): number {
    return this.codes.get(filterKey(v)) ?? NO_MATCH;
  }

  private grow(capacity: number): void {
    const grown = <T extends Uint8Array | Uint16Array | Uint32Array | Int8Array | Float32Array | Float64Array>(a: T, per: number): T => {
      const b = new (a.constructor as new (n: number) => T)(capacity * per);
      b.set(a);
      return b;
    };
    this.bits = grown(this.bits, this.words);
    this.quant = grown(this.quant, this.dimensions);
    this.invNorm = grown(this.invNorm, 1);
    this.seqs = grown(this.seqs, 1);
    this.alive = grown(this.alive, 1);
    this.customer = grown(this.customer, 1);
    this.industry = grown(this.industry, 1);
    this.sizeBand = grown(this.sizeBand, 1);
    this.lifecycle = grown(this.lifecycle, 1);
    this.capacity = capacity;
  }
}

/** Sign bits (1 when > 0, as sqlite-vec's vec_quantize_binary), dimension j at bit j % 32 of word j / 32. */
function signBits(v: Float32Array, out: Uint32Array, offset: number): void {
  const n = v.length;
  let word = 0;
  for (let j = 0; j < n; j++) {
    if (v[j]! > 0) word |= 1 << (j & 31);
    if ((j & 31) === 31 || j === n - 1) {
      out[offset + (j >>> 5)] = word >>> 0;
      word = 0;
    }
  }
}

/** Symmetric int8 quantization with a per-row scale; returns 1 / ‖int8 row‖ (0 for a zero vector). */
function quantize(v: Float32Array, out: Int8Array, offset: number): number {
  const n = v.length;
  let max = 0;
  for (let j = 0; j < n; j++) {
    const a = v[j]! < 0 ? -v[j]! : v[j]!;
    if (a > max) max = a;
  }
  if (max === 0) {
    out.fill(0, offset, offset + n);
    return 0;
  }
  const scale = 127 / max;
  let n2 = 0;
  for (let j = 0; j < n; j++) {
    const x = v[j]! * scale;
    const q = x < 0 ? -((0.5 - x) | 0) : (x + 0.5) | 0; // round half away from zero, |q| ≤ 127
    out[offset + j] = q;
    n2 += q * q;
  }
  return 1 / Math.sqrt(n2);
}
