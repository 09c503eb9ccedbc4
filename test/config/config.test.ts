import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../support/tmp.ts';
import { loadConfig, redactedConfig } from '../../src/config/config.ts';
import { ConfigError } from '../../src/errors.ts';

describe('configuration', () => {
  it('selects the embedded default for every backend when no URL is set', () => {
    const c = loadConfig({});
    expect(c.backends).toEqual({ vectors: 'sqlite', cache: 'sqlite', queue: 'embedded', sql: 'sqlite' });
    expect(c.embeddings.provider).toBe('offline');
    expect(loadConfig({ OPENAI_BASE_URL: 'http://127.0.0.1:8000/v1', EMBEDDING_PROVIDER: 'openai' }).llm.provider).toBe('offline');
    expect(c.hubspot.isSandbox).toBe(true);
    expect(c.serveWorkers).toBe(true);
  });

  it('selects the production backends from their URLs', () => {
    const c = loadConfig({
      QDRANT_URL: 'http://qdrant:6333',
      REDIS_URL: 'redis://redis:6379',
      DATABASE_URL: 'postgres://u:p@pg:5432/db',
      OPENAI_API_KEY: 'sk-test-123456',
      HUBSPOT_BASE_URL: 'https://api.hubapi.com',
      HUBSPOT_ACCESS_TOKEN: 'pat-na1-abc',
    });
    expect(c.backends).toEqual({ vectors: 'qdrant', cache: 'redis', queue: 'bullmq', sql: 'postgres' });
    // The size is read from the model server at start unless EMBEDDING_DIMENSIONS says otherwise.
    expect(c.embeddings).toEqual({ provider: 'openai', model: 'text-embedding-3-small', dimensions: undefined, timeoutMs: 60_000 });
    expect(c.serveWorkers).toBe(false);
  });

  it('takes embedding prefixes (an empty value means none), batch size and timeout for a local model server', () => {
    const c = loadConfig({
      OPENAI_BASE_URL: 'http://127.0.0.1:8000/v1',
      EMBEDDING_MODEL: 'nomic-embed-text',
      EMBEDDING_QUERY_PREFIX: '',
      EMBEDDING_DOCUMENT_PREFIX: 'doc: ',
      EMBEDDING_BATCH_SIZE: '16',
      EMBEDDING_DIMENSIONS: '768',
    });
    expect(c.embeddings).toEqual({
      provider: 'openai', model: 'nomic-embed-text', dimensions: 768, queryPrefix: '', documentPrefix: 'doc: ', batchSize: 16, timeoutMs: 300_000,
    });
    expect(() => loadConfig({ EMBEDDING_BATCH_SIZE: '0' })).toThrow(/EMBEDDING_BATCH_SIZE/);
    // A base URL given for an embeddings server keeps generation offline unless asked for.
    expect(loadConfig({ OPENAI_BASE_URL: 'http://127.0.0.1:8000/v1', EMBEDDING_PROVIDER: 'openai' }).llm.provider).toBe('offline');
    expect(loadConfig({ OPENAI_BASE_URL: 'http://127.0.0.1:8000/v1' }).llm.provider).toBe('openai');
    expect(loadConfig({ OPENAI_BASE_URL: 'http://127.0.0.1:8000/v1', EMBEDDING_PROVIDER: 'openai', LLM_PROVIDER: 'openai' }).llm.provider).toBe('openai');
  });

  it('lists every problem at once, with how to fix it', () => {
    let err: unknown;
    try {
      loadConfig({ PORT: 'abc', REDIS_URL: 'not a url', HUBSPOT_BASE_URL: 'https://api.hubapi.com', API_TOKENS: 'short:admin,longenoughtoken:boss' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const msg = (err as ConfigError).message;
    expect(msg).toMatch(/PORT: must be a number/);
    expect(msg).toMatch(/REDIS_URL: must be a URL/);
    expect(msg).toMatch(/HUBSPOT_ACCESS_TOKEN: is required for a real HubSpot portal/);
    expect(msg).toMatch(/API_TOKENS: entry 1: a token must be at least 8 characters/);
    expect(msg).toMatch(/API_TOKENS: entry 2: role must be one of reader, reviewer, admin/);
    expect((err as ConfigError).issues).toHaveLength(5);
  });

  it('refuses a URL of a scheme its client cannot use, naming the schemes it takes', () => {
    let err: unknown;
    try {
      loadConfig({ QDRANT_URL: 'ftp://qdrant:6333', REDIS_URL: 'http://localhost:6379', OPENAI_BASE_URL: 'file:///v1' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const msg = (err as ConfigError).message;
    expect(msg).toMatch(/QDRANT_URL: must be a http or https URL/);
    expect(msg).toMatch(/REDIS_URL: must be a redis or rediss URL/);
    expect(msg).toMatch(/OPENAI_BASE_URL: must be a http or https URL/);
    expect((err as ConfigError).issues).toHaveLength(3);
    const ok = loadConfig({ QDRANT_URL: 'https://qdrant:6333', REDIS_URL: 'rediss://localhost:6380' });
    expect(ok.QDRANT_URL).toBe('https://qdrant:6333');
    expect(ok.REDIS_URL).toBe('rediss://localhost:6380');
  });

  it("says each setting's rule in words with the value given, not zod's type vocabulary", () => {
    let err: unknown;
    try {
      loadConfig({
        HUBSPOT_RATE_LIMIT: 'lots',
        QUEUE_CONCURRENCY: '0',
        SHUTDOWN_GRACE_MS: '1.5',
        LLM_MAX_RETRIES: '11',
        LOG_LEVEL: 'loud',
        WEBHOOK_SIGNATURE_VERSIONS: 'v3,v4',
        OTEL_SERVICE_NAME: '',
        METRICS_TOKEN: 'short',
      });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const issues = (err as ConfigError).issues;
    expect(issues).toEqual(expect.arrayContaining([
      'HUBSPOT_RATE_LIMIT: must be a number (got "lots")',
      'QUEUE_CONCURRENCY: must be at least 1 (got "0")',
      'SHUTDOWN_GRACE_MS: must be a whole number (got "1.5")',
      'LLM_MAX_RETRIES: must be at most 10 (got "11")',
      'LOG_LEVEL: must be one of fatal, error, warn, info, debug, trace, silent (got "loud")',
      'WEBHOOK_SIGNATURE_VERSIONS: each entry must be one of v1, v2, v3 (got "v3,v4")',
      'OTEL_SERVICE_NAME: must not be empty',
    ]));
    expect(issues).toHaveLength(8);
    expect(issues.join('\n')).not.toMatch(/Invalid input|Invalid option|Too small|Too big|expected number|NaN/);
    // A secret's own value is never quoted back.
    expect(issues.join('\n')).not.toContain('"short"');
  });

  it('takes a Redis key prefix for the queue and cache, and refuses one that could collide with key syntax', () => {
    expect(loadConfig({}).REDIS_PREFIX).toBe('hsai');
    expect(loadConfig({ REDIS_PREFIX: 'eu-prod.v2' }).REDIS_PREFIX).toBe('eu-prod.v2');
    expect(() => loadConfig({ REDIS_PREFIX: 'a:b' })).toThrow(/REDIS_PREFIX: must be 1–64 letters, digits/);
    expect(() => loadConfig({ REDIS_PREFIX: '' })).toThrow(/REDIS_PREFIX/);
  });

  it('requires an OpenAI key or base URL only when an OpenAI provider is chosen', () => {
    expect(() => loadConfig({ LLM_PROVIDER: 'openai' })).toThrow(/OPENAI_API_KEY: is required when a provider is "openai"/);
    expect(loadConfig({ LLM_PROVIDER: 'openai', OPENAI_BASE_URL: 'http://127.0.0.1:11434/v1' }).llm.provider).toBe('openai');
  });

  it('reads CHAT_MODEL as LangChain names models, checking the credentials each provider needs', () => {
    expect(loadConfig({ CHAT_MODEL: 'openai:gpt-4o-mini', OPENAI_API_KEY: 'sk-x' }).llm).toEqual({ provider: 'openai', model: 'gpt-4o-mini' });
    expect(() => loadConfig({ CHAT_MODEL: 'openai:gpt-4o-mini' })).toThrow(/OPENAI_API_KEY: is required/);
    expect(() => loadConfig({ CHAT_MODEL: 'azure_openai:sales' })).toThrow(/AZURE_OPENAI_API_KEY: is required[\s\S]*AZURE_OPENAI_ENDPOINT: is required/);
    expect(loadConfig({ CHAT_MODEL: 'azure_openai:sales', AZURE_OPENAI_API_KEY: 'k', AZURE_OPENAI_ENDPOINT: 'https://r.openai.azure.com' }).llm).toEqual({ provider: 'azure_openai', model: 'sales' });
    // Other providers read their own credentials (ANTHROPIC_API_KEY…): checked when the model is built.
    expect(loadConfig({ CHAT_MODEL: 'anthropic:claude-sonnet-4-5' }).llm).toEqual({ provider: 'anthropic', model: 'claude-sonnet-4-5' });
    // A bare model name without OpenAI settings, or LLM_PROVIDER=offline, stays offline.
    expect(loadConfig({}).llm.provider).toBe('offline');
    expect(loadConfig({ CHAT_MODEL: 'openai:gpt-4o', LLM_PROVIDER: 'offline' }).llm.provider).toBe('offline');
    expect(() => loadConfig({ LLM_MAX_RETRIES: '11' })).toThrow(/LLM_MAX_RETRIES/);
  });

  it('never prints secrets', () => {
    const c = loadConfig({
      HUBSPOT_ACCESS_TOKEN: 'pat-na1-super-secret-token',
      HUBSPOT_CLIENT_SECRET: 'client-secret-value',
      OPENAI_API_KEY: 'sk-very-secret-key',
      DATABASE_URL: 'postgres://u:dbpassword@pg:5432/db',
      API_TOKENS: 'apitoken-secret-1:admin:ops',
    });
    const printed = JSON.stringify(redactedConfig(c));
    for (const secret of ['pat-na1-super-secret-token', 'client-secret-value', 'sk-very-secret-key', 'dbpassword', 'apitoken-secret-1']) {
      expect(printed).not.toContain(secret);
    }
    expect(printed).toContain('ops:admin');
  });

  it('parses API tokens with roles and booleans strictly', () => {
    const c = loadConfig({ API_TOKENS: 'readertoken1:reader, admintoken1:admin:ops', DRY_RUN: 'yes' });
    expect(c.API_TOKENS).toEqual([
      { token: 'readertoken1', role: 'reader', name: 'token1' },
      { token: 'admintoken1', role: 'admin', name: 'ops' },
    ]);
    expect(c.DRY_RUN).toBe(true);
    expect(() => loadConfig({ DRY_RUN: 'maybe' })).toThrow(/DRY_RUN: expected true or false/);
  });

  it('refuses two API tokens with one name (their review sessions would be one) or one token listed twice', () => {
    expect(() => loadConfig({ API_TOKENS: 'firsttoken1:admin:ops,secondtoken:reviewer:ops' })).toThrow(
      /API_TOKENS: entry 2: the name "ops" is already used by entry 1; give each token its own name/,
    );
    // A name that repeats a default one (`token2` for the second entry) counts too.
    expect(() => loadConfig({ API_TOKENS: 'firsttoken1:admin:token2,secondtoken:reviewer' })).toThrow(/entry 2: the name "token2" is already used by entry 1/);
    let msg = '';
    try {
      loadConfig({ API_TOKENS: 'sametoken01:admin:a,sametoken01:reader:b' });
    } catch (e) {
      msg = (e as Error).message;
    }
    expect(msg).toMatch(/entry 2: the same token is listed twice/);
    expect(msg).not.toContain('sametoken01');
  });

  it('trusts no proxy by default, and only a hop count or listed addresses when asked', () => {
    expect(loadConfig({}).TRUST_PROXY).toBe(false);
    expect(loadConfig({ TRUST_PROXY: 'false' }).TRUST_PROXY).toBe(false);
    expect(loadConfig({ TRUST_PROXY: '2' }).TRUST_PROXY).toBe(2);
    expect(loadConfig({ TRUST_PROXY: '10.0.0.0/8, 127.0.0.1,::1,fd00::/8,loopback' }).TRUST_PROXY).toEqual(['10.0.0.0/8', '127.0.0.1', '::1', 'fd00::/8', 'loopback']);
    expect(() => loadConfig({ TRUST_PROXY: 'true' })).toThrow(/TRUST_PROXY: trusting every proxy lets any client choose its own address/);
    expect(() => loadConfig({ TRUST_PROXY: '10.0.0.0/33,proxy.local' })).toThrow(/TRUST_PROXY: not an IP address or CIDR: 10.0.0.0\/33, proxy.local/);
  });

  it('reads secrets from *_FILE, refusing both forms at once and naming unreadable files without their content', () => {
    const { dir, cleanup } = tempDir('hsai-secrets-');
    try {
      const file = path.join(dir, 'token');
      fs.writeFileSync(file, 'pat-na1-from-a-file\n');
      fs.writeFileSync(path.join(dir, 'tokens'), 'file-api-token-1:admin:ops');
      const c = loadConfig({ HUBSPOT_BASE_URL: 'https://api.hubapi.com', HUBSPOT_ACCESS_TOKEN_FILE: file, API_TOKENS_FILE: path.join(dir, 'tokens') });
      expect(c.hubspot.accessToken).toBe('pat-na1-from-a-file');
      expect(c.API_TOKENS).toEqual([{ token: 'file-api-token-1', role: 'admin', name: 'ops' }]);
      expect(() => loadConfig({ HUBSPOT_CLIENT_SECRET: 'x', HUBSPOT_CLIENT_SECRET_FILE: file })).toThrow(/HUBSPOT_CLIENT_SECRET_FILE: set either HUBSPOT_CLIENT_SECRET or HUBSPOT_CLIENT_SECRET_FILE/);
      let err: unknown;
      try {
        loadConfig({ OPENAI_API_KEY_FILE: path.join(dir, 'missing') });
      } catch (e) {
        err = e;
      }
      expect((err as ConfigError).message).toMatch(/OPENAI_API_KEY_FILE: cannot read .*missing: ENOENT/);
    } finally {
      cleanup();
    }
  });

  it('has a shutdown grace period that fits a container stop timeout', () => {
    expect(loadConfig({}).SHUTDOWN_GRACE_MS).toBe(8_000);
    expect(loadConfig({ SHUTDOWN_GRACE_MS: '2500' }).SHUTDOWN_GRACE_MS).toBe(2_500);
  });
});
