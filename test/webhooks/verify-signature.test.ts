import { createHash, createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { verifyHubSpotSignature, type SignatureVersion } from '../../src/webhooks/verify-signature.ts';

const SECRET = 'test-client-secret';
const NOW = Date.UTC(2025, 0, 15, 12, 0, 0);
const BODY = Buffer.from('[{"eventId":1,"portalId":62515,"occurredAt":1736942400000,"subscriptionType":"contact.creation","objectId":123}]');

/** Computed independently of the module under test, straight from HubSpot's description. */
function v3(method: string, uri: string, body: Buffer, ts: number, secret = SECRET): string {
  return createHmac('sha256', secret).update(`${method}${uri}${body.toString('utf8')}${ts}`, 'utf8').digest('base64');
}

function verify(headers: Record<string, string>, over: Partial<{ uri: string; body: Buffer; versions: SignatureVersion[]; now: number; method: string }> = {}) {
  return verifyHubSpotSignature({
    method: over.method ?? 'POST',
    uri: over.uri ?? 'https://hooks.example.com/webhooks/hubspot',
    rawBody: over.body ?? BODY,
    headers,
    clientSecret: SECRET,
    allowedVersions: over.versions ?? ['v3'],
    now: over.now ?? NOW,
  });
}

describe('verifyHubSpotSignature v3', () => {
  const uri = 'https://hooks.example.com/webhooks/hubspot';
  const ok = (ts = NOW) => ({ 'x-hubspot-signature-v3': v3('POST', uri, BODY, ts), 'x-hubspot-request-timestamp': String(ts) });

  it('accepts a valid signature', () => {
    expect(verify(ok())).toEqual({ ok: true, version: 'v3' });
  });

  it('accepts timestamps up to 5 minutes old or ahead, and rejects beyond, in both directions', () => {
    expect(verify(ok(NOW - 300_000)).ok).toBe(true);
    expect(verify(ok(NOW + 300_000)).ok).toBe(true);
    expect(verify(ok(NOW - 300_001))).toEqual({ ok: false, error: 'timestamp is older than 5 minutes' });
    expect(verify(ok(NOW + 300_001))).toEqual({ ok: false, error: 'timestamp is more than 5 minutes in the future' });
  });

  it('rejects a tampered body, a wrong secret, another method and a malformed timestamp', () => {
    expect(verify(ok(), { body: Buffer.from(BODY.toString().replace('123', '124')) })).toEqual({ ok: false, error: 'signature mismatch' });
    expect(verify({ ...ok(), 'x-hubspot-signature-v3': v3('POST', uri, BODY, NOW, 'other-secret') })).toEqual({ ok: false, error: 'signature mismatch' });
    expect(verify(ok(), { method: 'PUT' }).ok).toBe(false);
    expect(verify({ ...ok(), 'x-hubspot-request-timestamp': 'yesterday' }).ok).toBe(false);
    expect(verify({ 'x-hubspot-signature-v3': v3('POST', uri, BODY, NOW) }).ok).toBe(false);
    expect(verify({ ...ok(), 'x-hubspot-signature-v3': 'short' }).ok).toBe(false);
  });

  it('decodes exactly the escapes HubSpot decodes before signing', () => {
    const sent = 'https://hooks.example.com/webhooks/hubspot?next=a%3Ab%2Fc%3Fd%40e%21f%24g%27h%28i%29j%2Ak%2Cl%3Bm&space=%20x';
    const signed = "https://hooks.example.com/webhooks/hubspot?next=a:b/c?d@e!f$g'h(i)j*k,l;m&space=%20x";
    const headers = { 'x-hubspot-signature-v3': v3('POST', signed, BODY, NOW), 'x-hubspot-request-timestamp': String(NOW) };
    expect(verify(headers, { uri: sent })).toEqual({ ok: true, version: 'v3' });
    // %20 is not in the list: a signer that decoded it produced another string.
    const overDecoded = { ...headers, 'x-hubspot-signature-v3': v3('POST', signed.replace('%20x', ' x'), BODY, NOW) };
    expect(verify(overDecoded, { uri: sent }).ok).toBe(false);
  });

  it('requires a signature header', () => {
    expect(verify({})).toEqual({ ok: false, error: 'missing signature header' });
  });
});

describe('verifyHubSpotSignature v1 and v2', () => {
  const uri = 'https://hooks.example.com/webhooks/hubspot/workflow';
  const v1 = createHash('sha256').update(SECRET + BODY.toString()).digest('hex');
  const v2 = createHash('sha256').update(`${SECRET}POST${uri}${BODY.toString()}`).digest('hex');

  it('accepts v1 and v2 only when configured', () => {
    expect(verify({ 'x-hubspot-signature': v1, 'x-hubspot-signature-version': 'v1' }, { uri, versions: ['v1'] })).toEqual({ ok: true, version: 'v1' });
    expect(verify({ 'x-hubspot-signature': v2, 'x-hubspot-signature-version': 'v2' }, { uri, versions: ['v2'] })).toEqual({ ok: true, version: 'v2' });
    expect(verify({ 'x-hubspot-signature': v1, 'x-hubspot-signature-version': 'v1' }, { uri })).toEqual({
      ok: false,
      error: 'signature version v1 is not accepted here',
    });
    expect(verify({ 'x-hubspot-signature': v2, 'x-hubspot-signature-version': 'v2' }, { uri, versions: ['v1', 'v3'] }).ok).toBe(false);
  });

  it('rejects a v2 signature computed for another URI or body', () => {
    expect(verify({ 'x-hubspot-signature': v2, 'x-hubspot-signature-version': 'v2' }, { uri: `${uri}?x=1`, versions: ['v2'] }).ok).toBe(false);
    expect(verify({ 'x-hubspot-signature': v2, 'x-hubspot-signature-version': 'v2' }, { uri, body: Buffer.from('[]'), versions: ['v2'] }).ok).toBe(false);
  });

  it('lets a present v3 signature decide instead of falling back to a weaker legacy one', () => {
    const stale = NOW - 3_600_000;
    const headers = {
      'x-hubspot-signature-v3': v3('POST', uri, BODY, stale),
      'x-hubspot-request-timestamp': String(stale),
      'x-hubspot-signature': v1,
      'x-hubspot-signature-version': 'v1',
    };
    expect(verify(headers, { uri, versions: ['v1', 'v3'] })).toEqual({ ok: false, error: 'timestamp is older than 5 minutes' });
  });
});
