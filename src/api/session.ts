import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Browser sessions for the review page. A reviewer pastes an API token once; the service answers with an
 * HttpOnly, SameSite=Strict cookie and the token never travels again (not in a URL, not in page storage, not in a
 * log). The cookie is stateless and signed per token: `v1.<name>.<expiresAt>.<HMAC-SHA256 keyed with
 * sha256(token)>`. So any API process with the same API_TOKENS accepts it (no session store to share), and
 * removing a token from API_TOKENS ends its sessions at once.
 */

export const SESSION_COOKIE = 'hsai_session';
export const SESSION_TTL_MS = 12 * 60 * 60_000;

export interface SessionToken {
  token: string;
  name: string;
}

export type SessionCheck<T> = { ok: true; principal: T; expiresAt: number } | { ok: false; error: string };

function key(token: string): Buffer {
  return createHash('sha256').update(token).digest();
}

function mac(token: string, payload: string): string {
  return createHmac('sha256', key(token)).update(payload).digest('base64url');
}

/** The cookie value for a token, valid until `now + ttlMs`. */
export function issueSession(t: SessionToken, now: number, ttlMs = SESSION_TTL_MS): { value: string; expiresAt: number } {
  const expiresAt = now + ttlMs;
  const payload = `v1.${Buffer.from(t.name, 'utf8').toString('base64url')}.${expiresAt}`;
  return { value: `${payload}.${mac(t.token, payload)}`, expiresAt };
}

/** Checks a cookie value against the configured tokens (looked up by name). Pure: the clock is passed in. */
export function verifySession<T extends SessionToken>(value: string | undefined, tokensByName: ReadonlyMap<string, T>, now: number): SessionCheck<T> {
  if (!value) return { ok: false, error: 'no session' };
  const parts = value.split('.');
  if (parts.length !== 4 || parts[0] !== 'v1') return { ok: false, error: 'malformed session' };
  const [, encodedName, exp, signature] = parts as [string, string, string, string];
  const expiresAt = Number(exp);
  if (!/^\d{1,16}$/.test(exp) || !Number.isSafeInteger(expiresAt)) return { ok: false, error: 'malformed session' };
  if (expiresAt <= now) return { ok: false, error: 'session expired' };
  const principal = tokensByName.get(Buffer.from(encodedName, 'base64url').toString('utf8'));
  if (!principal) return { ok: false, error: 'session of an unknown or revoked token' };
  const expected = Buffer.from(mac(principal.token, `v1.${encodedName}.${exp}`));
  const actual = Buffer.from(signature);
  if (expected.length !== actual.length || !timingSafeEqual(expected, actual)) return { ok: false, error: 'bad session signature' };
  return { ok: true, principal, expiresAt };
}
