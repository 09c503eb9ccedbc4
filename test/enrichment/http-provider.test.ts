import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEnrichmentProvider } from '../../src/enrichment/create-provider.ts';
import { HttpEnrichmentProvider, parseHttpProviderConfig } from '../../src/enrichment/http-provider.ts';
import { EnrichmentProviderError } from '../../src/enrichment/provider.ts';

/**
 * The enrichment HTTP adapter against a real local HTTP server written here: the protocol (path, query, bearer
 * key), config validation, and every failure mapped to a clear, typed error (retryable or not).
 */

const KEY = 'vendor-key-12345';
type Script = (req: http.IncomingMessage, res: http.ServerResponse) => void;
const scripts: Record<string, Script> = {
  'acme.example.com': (_req, res) => json(res, 200, { industry: 'COMPUTER_SOFTWARE', numberofemployees: 240, techStack: ['Snowflake', 'AWS'], intentSignals: ['recent funding round'], matchScore: 0.93 }),
  'strings.example.com': (_req, res) => json(res, 200, { numberofemployees: '1200' }),
  'missing.example.com': (_req, res) => json(res, 404, { error: 'not found' }),
  'busy.example.com': (_req, res) => json(res, 429, { error: 'slow down' }, { 'retry-after': '7' }),
  'broken.example.com': (_req, res) => json(res, 503, { error: 'maintenance' }),
  'bad.example.com': (_req, res) => json(res, 422, { error: 'domain is not valid' }),
  'garbage.example.com': (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('<html>oops</html>');
  },
  'wrong.example.com': (_req, res) => json(res, 200, { industry: 'software, probably', numberofemployees: -3 }),
  'slow.example.com': () => undefined, // never answers
};

function json(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

let server: http.Server;
let url: string;
const seen: Array<{ path: string; auth: string | undefined }> = [];

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const u = new URL(req.url ?? '/', 'http://x');
    seen.push({ path: `${u.pathname}${u.search}`, auth: req.headers.authorization });
    if (req.headers.authorization !== `Bearer ${KEY}`) return json(res, 401, { error: 'bad key' });
    if (u.pathname !== '/api/v1/companies') return json(res, 404, { error: 'no route' });
    const script = scripts[u.searchParams.get('domain') ?? ''];
    if (!script) return json(res, 404, { error: 'unknown' });
    script(req, res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

const provider = (over: Partial<{ apiKey: string; timeoutMs: number }> = {}) => new HttpEnrichmentProvider({ url, apiKey: over.apiKey ?? KEY, timeoutMs: over.timeoutMs ?? 2_000 });

async function failure(p: Promise<unknown>): Promise<EnrichmentProviderError> {
  const err = await p.then(() => null, (e: unknown) => e);
  expect(err).toBeInstanceOf(EnrichmentProviderError);
  return err as EnrichmentProviderError;
}

describe('enrichment HTTP adapter', () => {
  it('looks a company up by domain with the bearer key and returns its facts', async () => {
    const facts = await provider().lookup({ domain: ' ACME.example.com ' });
    expect(facts).toEqual({ industry: 'COMPUTER_SOFTWARE', numberofemployees: 240, techStack: ['Snowflake', 'AWS'], intentSignals: ['recent funding round'], matchScore: 0.93 });
    expect(seen.at(-1)).toEqual({ path: '/api/v1/companies?domain=acme.example.com', auth: `Bearer ${KEY}` });
    expect(await provider().lookup({ domain: 'strings.example.com' })).toMatchObject({ numberofemployees: 1200, industry: null, techStack: [] });
    expect(provider().name).toBe(new URL(url).host);
  });

  it('answers null for a company the vendor does not know', async () => {
    expect(await provider().lookup({ domain: 'missing.example.com' })).toBeNull();
    expect(await provider().lookup({ domain: '' })).toBeNull();
  });

  it('maps a refused key, refused requests, rate limits and server errors to typed errors', async () => {
    const auth = await failure(provider({ apiKey: 'another-key-999' }).lookup({ domain: 'acme.example.com' }));
    expect(auth).toMatchObject({ code: 'ENRICHMENT_AUTH', status: 401, retryable: false });
    expect(auth.message).toMatch(/ENRICHMENT_API_KEY/);
    expect(await failure(provider().lookup({ domain: 'bad.example.com' }))).toMatchObject({ code: 'ENRICHMENT_BAD_REQUEST', status: 422, retryable: false });
    expect(await failure(provider().lookup({ domain: 'busy.example.com' }))).toMatchObject({ code: 'ENRICHMENT_RATE_LIMIT', status: 429, retryable: true, retryAfterMs: 7_000 });
    expect(await failure(provider().lookup({ domain: 'broken.example.com' }))).toMatchObject({ code: 'ENRICHMENT_UNAVAILABLE', status: 503, retryable: true });
  });

  it('refuses a body that is not JSON or not the protocol, rather than using part of it', async () => {
    expect(await failure(provider().lookup({ domain: 'garbage.example.com' }))).toMatchObject({ code: 'ENRICHMENT_BAD_RESPONSE', retryable: false });
    const wrong = await failure(provider().lookup({ domain: 'wrong.example.com' }));
    expect(wrong.code).toBe('ENRICHMENT_BAD_RESPONSE');
    expect(wrong.message).toMatch(/industry/);
    expect(wrong.message).toMatch(/numberofemployees/);
  });

  it('times out on a server that never answers, and reports an unreachable one', async () => {
    expect(await failure(provider({ timeoutMs: 200 }).lookup({ domain: 'slow.example.com' }))).toMatchObject({ code: 'ENRICHMENT_TIMEOUT', retryable: true });
    const closed = new HttpEnrichmentProvider({ url: 'http://127.0.0.1:1', apiKey: KEY, timeoutMs: 2_000 });
    expect(await failure(closed.lookup({ domain: 'acme.example.com' }))).toMatchObject({ code: 'ENRICHMENT_UNAVAILABLE', retryable: true });
  });

  it('validates its config with every problem named', () => {
    expect(() => parseHttpProviderConfig({ url: 'not a url', apiKey: 'short' })).toThrow(/url: must be the vendor API base URL[\s\S]*apiKey: must be the vendor API key/);
    expect(() => parseHttpProviderConfig({ url: 'ftp://vendor.example.com', apiKey: KEY })).toThrow(/http\(s\)/);
    expect(() => parseHttpProviderConfig({ url, apiKey: KEY, timeoutMs: 10 })).toThrow(/timeoutMs/);
    expect(createEnrichmentProvider({})).toBeNull();
    expect(() => createEnrichmentProvider({ url })).toThrow(/apiKey/);
    expect(createEnrichmentProvider({ url: 'sandbox', hubspotBaseUrl: 'http://127.0.0.1:4010', hubspotToken: 'sandbox-token' })?.name).toBe('sandbox');
  });
});
