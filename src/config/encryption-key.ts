/** The key that seals OAuth tokens at rest (TOKEN_ENCRYPTION_KEY), checked when the config is loaded. */

export class TokenKeyError extends Error {
  override readonly name = 'TokenKeyError';
}

/**
 * `TOKEN_ENCRYPTION_KEY`: 32 random bytes as 64 hex characters or as base64 (44 characters), e.g. from
 * `openssl rand -base64 32`. Messages never quote the value.
 */
export function parseEncryptionKey(raw: string): Buffer {
  const s = raw.trim();
  if (/^[0-9a-fA-F]{64}$/.test(s)) return Buffer.from(s, 'hex');
  if (/^[A-Za-z0-9+/_-]+={0,2}$/.test(s)) {
    const b = Buffer.from(s.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
    if (b.length === 32) return b;
    throw new TokenKeyError(`must be 32 bytes; this one decodes to ${b.length} (generate one with: openssl rand -base64 32)`);
  }
  throw new TokenKeyError('must be 32 random bytes as 64 hex characters or base64 (generate one with: openssl rand -base64 32)');
}
