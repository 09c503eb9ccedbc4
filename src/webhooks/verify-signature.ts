import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/**
 * HubSpot webhook signature verification (HubSpot's v1, v2 and v3 schemes). A pure function over the raw bytes with an
 * injected clock, returning a result instead of throwing: the route maps every failure to one 401.
 *
 * We do not use `Signature.isValid` from @hubspot/api-client: it compares with `===`, does no URI decoding and
 * accepts future timestamps.
 */
export type SignatureVersion = 'v1' | 'v2' | 'v3';

export const MAX_TIMESTAMP_SKEW_MS = 5 * 60_000;

export interface VerifyInput {
  method: string;
  /** The full URL HubSpot called: `https://host/path?query`. */
  uri: string;
  rawBody: Buffer;
  headers: Record<string, string | string[] | undefined>;
  clientSecret: string;
  allowedVersions: readonly SignatureVersion[];
  /** Milliseconds since the epoch (injected for tests). */
  now: number;
}

export type VerifyResult = { ok: true; version: SignatureVersion } | { ok: false; error: string };

/** The escapes HubSpot decodes before signing v3; nothing else is decoded (a `%20` stays as sent). */
const V3_DECODED: Record<string, string> = {
  '%3A': ':', '%2F': '/', '%3F': '?', '%40': '@', '%21': '!', '%24': '$',
  '%27': "'", '%28': '(', '%29': ')', '%2A': '*', '%2C': ',', '%3B': ';',
};

export function decodeV3Uri(uri: string): string {
  return uri.replace(/%(3A|2F|3F|40|21|24|27|28|29|2A|2C|3B)/gi, (m) => V3_DECODED[m.toUpperCase()] ?? m);
}

export function signV3(args: { method: string; uri: string; rawBody: Buffer | string; timestamp: number | string; clientSecret: string }): string {
  return createHmac('sha256', args.clientSecret)
    .update(args.method.toUpperCase())
    .update(decodeV3Uri(args.uri))
    .update(typeof args.rawBody === 'string' ? Buffer.from(args.rawBody, 'utf8') : args.rawBody)
    .update(String(args.timestamp))
    .digest('base64');
}

/** v1: hex SHA-256 of secret + body. */
export function signV1(args: { rawBody: Buffer | string; clientSecret: string }): string {
  return createHash('sha256').update(args.clientSecret).update(args.rawBody).digest('hex');
}

/** v2 (workflow webhooks, CRM cards): hex SHA-256 of secret + method + uri + body. */
export function signV2(args: { method: string; uri: string; rawBody: Buffer | string; clientSecret: string }): string {
  return createHash('sha256').update(args.clientSecret).update(args.method.toUpperCase()).update(args.uri).update(args.rawBody).digest('hex');
}

/** Headers HubSpot sends for a v3 signature, for clients (tests, bench, the sandbox portal). */
export function signedV3Headers(args: { method: string; uri: string; rawBody: Buffer | string; clientSecret: string; now: number }): Record<string, string> {
  return {
    'x-hubspot-signature-v3': signV3({ ...args, timestamp: args.now }),
    'x-hubspot-request-timestamp': String(args.now),
  };
}

export function verifyHubSpotSignature(input: VerifyInput): VerifyResult {
  if (!input.clientSecret) return { ok: false, error: 'no client secret is configured' };
  const header = (name: string): string | undefined => {
    const v = input.headers[name] ?? input.headers[name.toLowerCase()];
    return Array.isArray(v) ? v[0] : v;
  };
  const allowed = new Set(input.allowedVersions);
  const v3Signature = header('x-hubspot-signature-v3');
  const legacySignature = header('x-hubspot-signature');
  // The strongest signature present decides: falling back to v1 when v3 fails would reopen replay attacks.
  if (v3Signature !== undefined && allowed.has('v3')) return verifyV3(input, v3Signature, header('x-hubspot-request-timestamp'));
  if (legacySignature !== undefined) {
    const version = (header('x-hubspot-signature-version') ?? 'v1').trim().toLowerCase();
    if (version !== 'v1' && version !== 'v2') return { ok: false, error: `unknown signature version "${version}"` };
    if (!allowed.has(version)) return { ok: false, error: `signature version ${version} is not accepted here` };
    const expected =
      version === 'v1'
        ? signV1({ rawBody: input.rawBody, clientSecret: input.clientSecret })
        : signV2({ method: input.method, uri: input.uri, rawBody: input.rawBody, clientSecret: input.clientSecret });
    return safeEqual(expected, legacySignature.trim().toLowerCase()) ? { ok: true, version } : { ok: false, error: 'signature mismatch' };
  }
  if (v3Signature !== undefined) return { ok: false, error: 'signature version v3 is not accepted here' };
  return { ok: false, error: 'missing signature header' };
}

function verifyV3(input: VerifyInput, signature: string, timestampHeader: string | undefined): VerifyResult {
  if (!timestampHeader || !/^\d{1,16}$/.test(timestampHeader.trim())) {
    return { ok: false, error: 'missing or malformed X-HubSpot-Request-Timestamp' };
  }
  const timestamp = Number(timestampHeader.trim());
  // Both directions: a timestamp from the future is as suspicious as a stale one (clock games, pre-signed replays).
  if (Math.abs(input.now - timestamp) > MAX_TIMESTAMP_SKEW_MS) {
    return { ok: false, error: input.now > timestamp ? 'timestamp is older than 5 minutes' : 'timestamp is more than 5 minutes in the future' };
  }
  const expected = signV3({ method: input.method, uri: input.uri, rawBody: input.rawBody, timestamp: timestampHeader.trim(), clientSecret: input.clientSecret });
  return safeEqual(expected, signature.trim()) ? { ok: true, version: 'v3' } : { ok: false, error: 'signature mismatch' };
}

/** Constant-time comparison; only the (public) length can short-circuit. */
function safeEqual(expected: string, actual: string): boolean {
  const a = Buffer.from(expected, 'utf8');
  const b = Buffer.from(actual, 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}
