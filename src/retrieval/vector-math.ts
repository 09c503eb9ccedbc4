/** Small dense-vector helpers (the stores keep vectors L2-normalized so cosine is a dot product). */

export function dot(a: Float32Array, b: Float32Array): number {
  let s = 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) s += a[i]! * b[i]!;
  return s;
}

export function norm(a: Float32Array): number {
  return Math.sqrt(dot(a, a));
}

export function cosine(a: Float32Array, b: Float32Array): number {
  const d = norm(a) * norm(b);
  return d === 0 ? 0 : dot(a, b) / d;
}

export function normalized(a: Float32Array): Float32Array {
  const n = norm(a);
  const out = new Float32Array(a.length);
  if (n === 0) return out;
  for (let i = 0; i < a.length; i++) out[i] = a[i]! / n;
  return out;
}

/** Weighted sum of vectors, L2-normalized. */
export function blend(parts: Array<{ vector: Float32Array; weight: number }>): Float32Array {
  const dim = parts[0]?.vector.length ?? 0;
  const out = new Float32Array(dim);
  for (const { vector, weight } of parts) {
    if (vector.length !== dim) throw new RangeError(`cannot blend vectors of ${vector.length} and ${dim} dimensions`);
    const n = norm(vector) || 1;
    for (let i = 0; i < dim; i++) out[i]! += (weight * vector[i]!) / n;
  }
  return normalized(out);
}

/** Little-endian float32 bytes for SQLite blobs (better-sqlite3 binds Buffers, not typed arrays). */
export function toBlob(v: Float32Array): Buffer {
  return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
}

export function fromBlob(b: Buffer): Float32Array {
  // Copy: the Buffer may be a view into a pooled slab with an unaligned offset.
  const out = new Float32Array(b.byteLength / 4);
  new Uint8Array(out.buffer).set(b);
  return out;
}
