import type { AccountProfile } from '../../src/retrieval/vector-store.ts';

/**
 * Synthetic account profiles for `npm run bench:similar`: unit vectors around cluster centres (one cluster ≈ a
 * segment with its own history themes), so neighbourhoods are structured like real profile embeddings rather
 * than uniform noise (on which every index looks worse and no ranking is meaningful). Seeded: same data every run.
 */
const INDUSTRIES = ['software', 'finance', 'healthcare', 'retail', 'manufacturing', 'logistics'];
const BANDS = ['smb', 'mid-market', 'enterprise'];
const LIFECYCLES = ['lead', 'opportunity', 'customer'];

export function seededRandom(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 2 ** 32;
  };
}

function gaussian(rnd: () => number): number {
  return Math.sqrt(-2 * Math.log(rnd() || 1e-12)) * Math.cos(2 * Math.PI * rnd());
}

export function syntheticProfiles(opts: { portalId: string; count: number; dims: number; clusters?: number; seed?: number }): AccountProfile[] {
  const rnd = seededRandom(opts.seed ?? 42);
  const clusters = opts.clusters ?? Math.max(20, Math.round(opts.count / 250));
  const centres = Array.from({ length: clusters }, () => unit(Float32Array.from({ length: opts.dims }, () => gaussian(rnd))));
  // Within-cluster cosine ≈ 1 / (1 + σ²·dims) ≈ 0.55, like neighbouring accounts of one segment.
  const sigma = Math.sqrt(0.8 / opts.dims);
  const out: AccountProfile[] = [];
  for (let i = 0; i < opts.count; i++) {
    const c = Math.floor(rnd() * clusters);
    const centre = centres[c]!;
    const v = new Float32Array(opts.dims);
    for (let j = 0; j < opts.dims; j++) v[j] = centre[j]! + sigma * gaussian(rnd);
    out.push({
      portalId: opts.portalId,
      accountId: String(100_000 + i),
      name: `Account ${i}`,
      industry: INDUSTRIES[c % INDUSTRIES.length]!,
      sizeBand: BANDS[Math.floor(c / INDUSTRIES.length) % BANDS.length]!,
      lifecycle: LIFECYCLES[i % LIFECYCLES.length]!,
      isCustomer: i % LIFECYCLES.length === 2,
      topics: [],
      updatedAt: '2025-01-01T00:00:00.000Z',
      contentHash: String(i),
      embeddingModel: 'synthetic',
      vector: unit(v),
    });
  }
  return out;
}

function unit(v: Float32Array): Float32Array {
  let n = 0;
  for (const x of v) n += x * x;
  n = Math.sqrt(n) || 1;
  for (let i = 0; i < v.length; i++) v[i] = v[i]! / n;
  return v;
}
