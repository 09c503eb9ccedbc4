import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.ts';
import { TokenCipher } from '../../src/oauth/token-cipher.ts';
import { tempDir } from '../support/tmp.ts';

const tmp = tempDir('hsai-oauth-config-');
afterAll(() => tmp.cleanup());

function problems(env: Record<string, string>): string {
  try {
    loadConfig({ DATA_DIR: tmp.dir, ...env });
  } catch (err) {
    return String((err as Error).message) + JSON.stringify((err as { details?: unknown }).details ?? '');
  }
  return '';
}

describe('OAuth mode settings', () => {
  const oauth = { HUBSPOT_AUTH: 'oauth', HUBSPOT_CLIENT_ID: 'cid', HUBSPOT_CLIENT_SECRET: 'csecret' };

  it('private-app mode stays the default and needs no key', () => {
    const c = loadConfig({ DATA_DIR: tmp.dir });
    expect(c.HUBSPOT_AUTH).toBe('private-app');
    expect(c.oauth).toBeUndefined();
  });

  it('refuses OAuth mode without its key, client id or secret, naming each', () => {
    const p = problems({ HUBSPOT_AUTH: 'oauth' });
    expect(p).toMatch(/TOKEN_ENCRYPTION_KEY: is required with HUBSPOT_AUTH=oauth/);
    expect(p).toMatch(/HUBSPOT_CLIENT_ID: is required/);
    expect(p).toMatch(/HUBSPOT_CLIENT_SECRET: is required/);
  });

  it('refuses a key that is not 32 bytes, without quoting it', () => {
    const short = randomBytes(16).toString('base64');
    const p = problems({ ...oauth, TOKEN_ENCRYPTION_KEY: short });
    expect(p).toMatch(/TOKEN_ENCRYPTION_KEY: must be 32 bytes; this one decodes to 16/);
    expect(p).not.toContain(short);
    expect(problems({ ...oauth, TOKEN_ENCRYPTION_KEY: 'not a key!' })).toMatch(/TOKEN_ENCRYPTION_KEY: must be 32 random bytes as 64 hex characters or base64/);
  });

  it('reads the key from TOKEN_ENCRYPTION_KEY_FILE (hex or base64) and derives the callback URL', () => {
    const key = randomBytes(32);
    const file = path.join(tmp.dir, 'key');
    fs.writeFileSync(file, `${key.toString('hex')}\n`);
    const c = loadConfig({ DATA_DIR: tmp.dir, ...oauth, TOKEN_ENCRYPTION_KEY_FILE: file, WEBHOOK_PUBLIC_URL: 'https://ai.example.com' });
    expect(c.oauth).toMatchObject({ clientId: 'cid', redirectUri: 'https://ai.example.com/oauth/callback', authorizeUrl: 'http://127.0.0.1:4010/oauth/authorize' });
    expect(c.oauth!.encryptionKey.equals(key)).toBe(true);
    expect(loadConfig({ DATA_DIR: tmp.dir, ...oauth, TOKEN_ENCRYPTION_KEY: key.toString('base64'), HUBSPOT_BASE_URL: 'https://api.hubapi.com' }).oauth!.authorizeUrl).toBe(
      'https://app.hubspot.com/oauth/authorize',
    );
    expect(problems({ ...oauth, TOKEN_ENCRYPTION_KEY_FILE: path.join(tmp.dir, 'missing') })).toMatch(/TOKEN_ENCRYPTION_KEY_FILE: cannot read/);
  });

  it('seals with a fresh nonce each time and refuses another key or an altered value', () => {
    const a = new TokenCipher(randomBytes(32));
    const one = a.seal('token-value', '42');
    expect(one).not.toContain('token-value');
    expect(a.seal('token-value', '42')).not.toBe(one);
    expect(a.open(one, '42')).toBe('token-value');
    expect(() => new TokenCipher(randomBytes(32)).open(one, '42')).toThrow(/cannot be decrypted/);
    const parts = one.split('.');
    parts[3] = Buffer.from('tampered').toString('base64url');
    expect(() => a.open(parts.join('.'), '42')).toThrow(/cannot be decrypted/);
  });
});
