/**
 * Development sweep of the similar-accounts profile's sentence choice (run on development seeds only):
 *   npx tsx bench/similar-profile-sweep.ts [--seed 504] [--companies 100] [--style dev] [--k 8,12,16] [--min-share 0,0.06]
 * Indexes a sandbox portal with the offline embedder, digests every company's stored chunks with the product's own
 * `digestHistory` (firmographic fields blanked), then for each option pair (k sentences, lower document-frequency
 * share) picks the themed sentences, embeds them and prints hidden-cluster precision@10 (exact, over the companies)
 * for the lexical embedder and, when OPENAI_BASE_URL and EMBEDDING_MODEL are set, for that model too (its vectors
 * kept in `--embedding-cache DIR` when given).
 */
import { parseArgs } from 'node:util';
import { createCache } from '../src/cache/create-cache.ts';
import type { KeyValueCache } from '../src/cache/kv.ts';
import { createEmbedder } from '../src/ingest/create-embedder.ts';
import { digestHistory, documentFrequencies, meanOfUnitVectors, themedSentences, THEMED_MAX_SHARE, type HistoryDigest } from '../src/retrieval/account-profile.ts';
import { dot } from '../src/retrieval/vector-math.ts';
import { startSandbox } from '../src/sandbox/index.ts';
import type { Embedder } from '../src/text/embedder.ts';
import { tempDir } from '../test/support/tmp.ts';
import { withoutFirmographics } from './lib/eval-similar.ts';
import { openEvalStack } from './lib/eval-stack.ts';

const { values } = parseArgs({
  options: {
    seed: { type: 'string', default: '504' },
    companies: { type: 'string', default: '100' },
    style: { type: 'string', default: 'dev' },
    k: { type: 'string', default: '8,12,16' },
    'min-share': { type: 'string', default: '0,0.06' },
    'embedding-cache': { type: 'string' },
  },
});
const style = values.style === 'test' ? 'test' : 'dev';
const list = (v: string) => v.split(',').map(Number);

const sandbox = await startSandbox({ port: 0, seed: Number(values.seed), companies: Number(values.companies), style, rateLimit: 0 });
const tmp = tempDir('hsai-sweep-');
const stack = await openEvalStack({ baseUrl: sandbox.url, accessToken: sandbox.token, dataDir: tmp.dir });
let cache: KeyValueCache | undefined;
const embedders: Embedder[] = [stack.embedder];
try {
  if (process.env.OPENAI_BASE_URL && process.env.EMBEDDING_MODEL) {
    cache = values['embedding-cache'] ? await createCache({ dataDir: values['embedding-cache'] }) : undefined;
    embedders.push(await createEmbedder({ provider: 'openai', model: process.env.EMBEDDING_MODEL, apiKey: process.env.OPENAI_API_KEY ?? 'none', baseURL: process.env.OPENAI_BASE_URL, timeoutMs: 600_000, ...(cache ? { cache } : {}) }));
  }
  const truth = sandbox.groundTruth();
  const clusters: string[] = [];
  const digests: HistoryDigest[] = [];
  for (const c of truth.companies) {
    const [history] = await stack.gateway.accountHistories([c.id]);
    if (!history) continue;
    const keys = await stack.store.listChunkKeys(truth.portalId, c.id);
    digests.push(digestHistory(withoutFirmographics(history), await stack.store.getChunks(truth.portalId, keys.map((k) => k.id))));
    clusters.push(c.needCluster);
  }
  const docs = documentFrequencies(digests);
  const vectors = new Map<Embedder, Map<string, Float32Array>>(embedders.map((e) => [e, new Map()]));
  for (const k of list(values.k)) {
    for (const minShare of list(values['min-share'])) {
      const picked = digests.map((d) => themedSentences(d, docs, k, THEMED_MAX_SHARE, minShare));
      const row: string[] = [];
      for (const e of embedders) {
        const known = vectors.get(e)!;
        const missing = [...new Set(picked.flat())].filter((s) => !known.has(s));
        for (let i = 0; i < missing.length; i += 256) {
          const part = missing.slice(i, i + 256);
          const { vectors: vs } = await e.embed(part);
          part.forEach((s, j) => known.set(s, vs[j]!));
        }
        const profiles = picked.map((ss) => (ss.length ? meanOfUnitVectors(ss.map((s) => known.get(s)!)) : new Float32Array(e.dimensions)));
        row.push(`${e.model} ${precisionAt10(profiles, clusters).toFixed(3)}`);
      }
      console.log(`seed ${values.seed} (${style}, ${digests.length} companies) k=${k} minShare=${minShare}: ${row.join(' · ')}`);
    }
  }
} finally {
  for (const e of embedders.slice(1)) await e.close();
  await cache?.close();
  await stack.close();
  await sandbox.close();
  tmp.cleanup();
}

/** Share of each profile's 10 nearest others (cosine; the profiles are unit vectors) in its own cluster, averaged. */
function precisionAt10(profiles: Float32Array[], cluster: string[]): number {
  let total = 0;
  for (const [i, p] of profiles.entries()) {
    const nearest = profiles
      .map((q, j) => ({ j, score: j === i ? Number.NEGATIVE_INFINITY : dot(p, q) }))
      .sort((a, b) => b.score - a.score)
      .slice(0, 10);
    total += nearest.filter((n) => cluster[n.j] === cluster[i]).length / 10;
  }
  return total / profiles.length;
}
