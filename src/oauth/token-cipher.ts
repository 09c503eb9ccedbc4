import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Tokens at rest: AES-256-GCM with a fresh 96-bit nonce per value and the portal id as additional data, so a
 * sealed token copied onto another portal's row fails to open instead of authenticating as that portal.
 * Format `v1.<nonce>.<tag>.<ciphertext>` (base64url), versioned so the key or algorithm can be rotated later.
 */

export { parseEncryptionKey, TokenKeyError } from '../config/encryption-key.ts';
import { TokenKeyError } from '../config/encryption-key.ts';

const VERSION = 'v1';

export class TokenCipher {
  private readonly key: Buffer;
  private readonly stateKey: Buffer;

  constructor(key: Buffer) {
    if (key.length !== 32) throw new TokenKeyError('the token key must be 32 bytes');
    // Separate keys per use: the sealing key never signs anything a browser carries.
    this.key = Buffer.from(hkdfSync('sha256', key, Buffer.alloc(0), 'hubspot-ai tokens v1', 32));
    this.stateKey = Buffer.from(hkdfSync('sha256', key, Buffer.alloc(0), 'hubspot-ai oauth state v1', 32));
  }

  seal(plain: string, portalId: string): string {
    const iv = randomBytes(12);
    const c = createCipheriv('aes-256-gcm', this.key, iv);
    c.setAAD(Buffer.from(`portal:${portalId}`));
    const ct = Buffer.concat([c.update(plain, 'utf8'), c.final()]);
    return [VERSION, iv.toString('base64url'), c.getAuthTag().toString('base64url'), ct.toString('base64url')].join('.');
  }

  /** Throws when the value was altered, belongs to another portal, or was sealed with another key. */
  open(sealed: string, portalId: string): string {
    const [version, iv, tag, ct] = sealed.split('.');
    if (version !== VERSION || !iv || !tag || ct === undefined) throw new TokenKeyError('not a sealed token');
    const d = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64url'));
    d.setAAD(Buffer.from(`portal:${portalId}`));
    d.setAuthTag(Buffer.from(tag, 'base64url'));
    try {
      return Buffer.concat([d.update(Buffer.from(ct, 'base64url')), d.final()]).toString('utf8');
    } catch {
      throw new TokenKeyError('a stored token cannot be decrypted: wrong TOKEN_ENCRYPTION_KEY, or the row was altered');
    }
  }

  /** HMAC for the OAuth `state` parameter. */
  sign(data: string): string {
    return createHmac('sha256', this.stateKey).update(data).digest('base64url');
  }

  verify(data: string, signature: string): boolean {
    const a = Buffer.from(this.sign(data));
    const b = Buffer.from(signature);
    return a.length === b.length && timingSafeEqual(a, b);
  }
}
