import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type SandboxHandle } from '../../src/sandbox/index.ts';
import { runCli } from '../support/cli.ts';
import { tempDir } from '../support/tmp.ts';

const cli = runCli;

let sb: SandboxHandle;
let tmp: { dir: string; cleanup: () => void };
let env: Record<string, string>;

beforeAll(async () => {
  sb = await startSandbox({ port: 0, companies: 6, rateLimit: 0 });
  tmp = tempDir('hsai-backfill-cli-');
  env = { DATA_DIR: tmp.dir, HUBSPOT_BASE_URL: sb.url, HUBSPOT_ACCESS_TOKEN: sb.token };
});
afterAll(async () => {
  await sb?.close();
  tmp?.cleanup();
});

describe('hubspot-ai backfill and index stats', () => {
  it('indexes every account and reports the summary as JSON; index stats match the sources', async () => {
    const r = await cli(['backfill', '--nice', '0', '--json'], env);
    expect(r.code).toBe(0);
    const summary = JSON.parse(r.stdout);
    const truth = sb.groundTruth();
    expect(summary.accounts).toBe(truth.accounts);
    for (const k of ['records', 'accounts', 'chunks', 'chunksEmbedded', 'embeddingTokens', 'cacheHits', 'http429', 'retries', 'durationMs']) {
      expect(typeof summary[k]).toBe('number');
    }
    const stats = JSON.parse((await cli(['index', 'stats', '--json'], env)).stdout);
    expect(stats.accounts).toBe(truth.accounts);
    expect(stats.sourcesBySourceType).toMatchObject(truth.nonEmptySources);

    const again = JSON.parse((await cli(['backfill', '--nice', '0', '--json'], env)).stdout);
    expect(again.embeddingTokens).toBe(0);
    expect(JSON.parse((await cli(['index', 'stats', '--json'], env)).stdout).chunks).toBe(stats.chunks);
  }, 180_000);

  it('refuses an index built with another embedding size, and --reindex rebuilds it', async () => {
    const other = { ...env, EMBEDDING_DIMENSIONS: '256' };
    const refused = await cli(['index', 'stats', '--json'], other);
    expect(refused.code).toBe(3);
    expect(refused.stderr).toMatch(/holds 384-dimensional chunk vectors but the embedder now produces 256/);
    expect(refused.stderr).toMatch(/hubspot-ai backfill --reindex/);
    // `serve` checks at start, before it listens, instead of failing every job later.
    const serve = await cli(['serve'], { ...other, PORT: '0' });
    expect(serve.code).toBe(3);
    expect(serve.stderr).toMatch(/384.*256[\s\S]*backfill --reindex/);
    // Another model of the same size is refused too: its vectors cannot be compared with the stored ones.
    const renamed = await cli(['index', 'stats', '--json'], { ...env, EMBEDDING_MODEL: 'offline-hash-v2' });
    expect(renamed.code).toBe(3);
    expect(renamed.stderr).toMatch(/"offline-hash-v1" but the embedder is now "offline-hash-v2"[\s\S]*backfill --reindex/);
    const r = await cli(['backfill', '--reindex', '--nice', '0', '--json'], other);
    expect(r.code).toBe(0);
    const stats = JSON.parse((await cli(['index', 'stats', '--json'], other)).stdout);
    expect(stats.accounts).toBe(sb.groundTruth().accounts);
    expect(stats.chunks).toBeGreaterThan(0);
  }, 180_000);
});
