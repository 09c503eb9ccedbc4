import { describe, expect, it } from 'vitest';
import { defaultRetrievalMode } from '../../src/agents/agent-support.ts';
import { loadConfig } from '../../src/config/config.ts';
import { MEASURED_RETRIEVAL_MODE, retrievalModeFor } from '../../src/config/retrieval-mode.ts';
import { createEmbedder } from '../../src/ingest/create-embedder.ts';

/** RETRIEVAL_MODE: `auto` (the default) is the mode measured best on the dev seeds for the embedder kind. */
describe('retrieval mode setting', () => {
  it('defaults to auto and refuses an unknown mode', () => {
    expect(loadConfig({}).RETRIEVAL_MODE).toBe('auto');
    expect(loadConfig({ RETRIEVAL_MODE: 'bm25' }).RETRIEVAL_MODE).toBe('bm25');
    expect(() => loadConfig({ RETRIEVAL_MODE: 'vector' })).toThrow(/RETRIEVAL_MODE/);
  });

  it('resolves auto per embedder kind, and a pinned mode for every kind', () => {
    expect(MEASURED_RETRIEVAL_MODE).toEqual({ offline: 'hybrid', openai: 'hybrid' });
    expect(retrievalModeFor('openai')).toBe('hybrid');
    expect(retrievalModeFor('offline', 'auto')).toBe('hybrid');
    expect(retrievalModeFor('openai', 'dense')).toBe('dense');
    expect(retrievalModeFor('offline', 'bm25')).toBe('bm25');
  });

  it('is what the agents use when the caller pins none', async () => {
    const offline = await createEmbedder({ provider: 'offline', model: 'offline-hash-v1', dimensions: 384 });
    expect(defaultRetrievalMode(offline)).toBe(MEASURED_RETRIEVAL_MODE.offline);
  });
});
