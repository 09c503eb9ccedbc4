import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import semver from 'semver';
import { describe, expect, it } from 'vitest';

/**
 * Which Node versions the package runs on. `engines` admits the LTS lines 20 (from 20.19), 22 (from 22.12) and
 * 24: the floors are where `require()` of an ES module works without a flag, which three dependencies need (see
 * ESM_ONLY). Every production dependency must admit those lines too, or be listed below with the reason it runs
 * on them anyway and the test that shows it; a new dependency that refuses Node 20 fails here.
 */
const pkg = JSON.parse(fs.readFileSync('package.json', 'utf8')) as { engines: { node: string } };
const lock = JSON.parse(fs.readFileSync('package-lock.json', 'utf8')) as {
  packages: Record<string, { version?: string; dev?: boolean; optional?: boolean; engines?: { node?: string } | string[] }>;
};
const LINES = ['20.19.0', '22.12.0', '24.0.0'];

/** Production dependencies whose `engines` claim more than they need, each checked by a test. */
const KNOWN: Record<string, string> = {
  // ES-module-only packages loaded with require() by fastify's light-my-request and by @fastify/static (swagger
  // UI): Node 20.19+ and 22.12+ load them (require(esm)); exercised below and by every app.inject test.
  'node_modules/cookie': 'ESM only, required by light-my-request (cookies in app.inject, session tests)',
  'node_modules/content-disposition': 'ESM only, required by @fastify/static (the /docs UI assets)',
  // Declares >=22 but uses nothing newer than Node 20 (its HTTP client, undici 7, declares >=20.18.1); the
  // Qdrant contract suite runs it on Node 20 in CI (test/retrieval/qdrant-vector-store.test.ts).
  'node_modules/@qdrant/js-client-rest': 'runs on Node 20: Qdrant contract suite in CI',
};

describe('runtimes', () => {
  it('engines admits Node 20, 22 and 24 and the Node running the tests', () => {
    for (const v of LINES) expect(semver.satisfies(v, pkg.engines.node), `${v} vs ${pkg.engines.node}`).toBe(true);
    expect(semver.satisfies(process.versions.node, pkg.engines.node)).toBe(true);
  });

  it('no production dependency refuses a supported line, except the known ones', () => {
    const refusing: string[] = [];
    for (const [where, p] of Object.entries(lock.packages)) {
      if (!where || p.dev || !p.engines || Array.isArray(p.engines) || !p.engines.node) continue;
      const range = p.engines.node;
      const refused = LINES.filter((v) => !semver.satisfies(v, range, { includePrerelease: true }));
      if (refused.length > 0 && !(where in KNOWN)) refusing.push(`${where}@${p.version} wants node ${range} (refuses ${refused.join(', ')})`);
    }
    expect(refusing).toEqual([]);
    for (const where of Object.keys(KNOWN)) expect(lock.packages[where], `${where} is still installed`).toBeDefined();
  });

  it('the ES-module-only dependencies load through require() and work', async () => {
    const require = createRequire(path.resolve('node_modules/light-my-request/index.js'));
    const cookie = require('cookie') as { parseCookie?: (s: string) => Record<string, string>; parse?: (s: string) => Record<string, string> };
    const parse = cookie.parseCookie ?? cookie.parse;
    expect(parse?.('a=1; hsai_session=x%20y')).toMatchObject({ a: '1', hsai_session: 'x y' });
    const fromStatic = createRequire(path.resolve('node_modules/@fastify/static/index.js'));
    const cd = fromStatic('content-disposition') as { create?: (f: string) => string } & ((f: string) => string);
    expect((cd.create ?? cd)('report.pdf')).toMatch(/^attachment; filename="?report\.pdf"?$/);
    const lmr = require('light-my-request') as (d: (req: unknown, res: { end: (b: string) => void }) => void, o: object) => Promise<{ cookies: Array<{ name: string; value: string }> }>;
    const res = await lmr((_req, res) => {
      (res as unknown as { setHeader: (k: string, v: string) => void }).setHeader('set-cookie', 'sid=abc; Path=/; HttpOnly');
      res.end('ok');
    }, { url: '/' });
    expect(res.cookies).toEqual([expect.objectContaining({ name: 'sid', value: 'abc' })]);
  });
});
