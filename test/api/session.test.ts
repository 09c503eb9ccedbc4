import { describe, expect, it } from 'vitest';
import { redactSecrets } from '../../src/logging.ts';
import { issueSession, verifySession } from '../../src/api/session.ts';
import { supportingSentence } from '../../src/writeback/evidence-highlight.ts';
import { explainReason } from '../../src/writeback/reason-text.ts';

const T0 = Date.parse('2026-03-01T12:00:00Z');
const alice = { token: 'alice-token-123456', name: 'alice', role: 'reviewer' as const };
const bob = { token: 'bob-token-12345678', name: 'bob', role: 'reader' as const };
const tokens = new Map([alice, bob].map((t) => [t.name, t]));

describe('review-page sessions', () => {
  it('accepts its own cookie until it expires, and names the token it was issued for', () => {
    const { value, expiresAt } = issueSession(alice, T0, 60_000);
    expect(value).not.toContain(alice.token);
    expect(verifySession(value, tokens, T0 + 59_999)).toMatchObject({ ok: true, principal: { name: 'alice', role: 'reviewer' }, expiresAt });
    expect(verifySession(value, tokens, T0 + 60_000)).toEqual({ ok: false, error: 'session expired' });
  });

  it('refuses forged, tampered, malformed and revoked sessions', () => {
    const { value } = issueSession(bob, T0);
    // Claiming to be alice with bob's signature.
    const [v, , exp, sig] = value.split('.');
    expect(verifySession(`${v}.${Buffer.from('alice').toString('base64url')}.${exp}.${sig}`, tokens, T0).ok).toBe(false);
    // Extending the expiry.
    expect(verifySession(`${v}.${value.split('.')[1]}.${Number(exp) + 1}.${sig}`, tokens, T0)).toEqual({ ok: false, error: 'bad session signature' });
    expect(verifySession('garbage', tokens, T0)).toEqual({ ok: false, error: 'malformed session' });
    expect(verifySession(undefined, tokens, T0)).toEqual({ ok: false, error: 'no session' });
    // Removing the token from API_TOKENS ends its sessions.
    expect(verifySession(value, new Map([[alice.name, alice]]), T0)).toEqual({ ok: false, error: 'session of an unknown or revoked token' });
    // A token rotated under the same name invalidates old cookies too.
    expect(verifySession(value, new Map([['bob', { ...bob, token: 'bob-rotated-token-1' }]]), T0).ok).toBe(false);
  });
});

describe('access-log redaction', () => {
  it('masks credentials and e-mail addresses in query strings, nothing else', () => {
    expect(redactSecrets('/review?token=s3cret&x=1')).toBe('/review?token=[redacted]&x=1');
    expect(redactSecrets('/hubspot/card/reviews?userId=7&userEmail=dana%40acme.com&portalId=9')).toBe('/hubspot/card/reviews?userId=7&userEmail=[redacted]&portalId=9');
    expect(redactSecrets('/v1/reviews?status=pending')).toBe('/v1/reviews?status=pending');
    expect(redactSecrets('/healthz')).toBe('/healthz');
  });
});

describe('review presentation', () => {
  it('finds the sentence that supports a claim, and none when nothing is shared', () => {
    const chunk = 'Thanks for the call. We signed the order form this morning! Next week we start onboarding.';
    const h = supportingSentence(chunk, 'Signed the order form on the last call.')!;
    expect(chunk.slice(h.start, h.end)).toBe('We signed the order form this morning!');
    expect(h.matched).toEqual(expect.arrayContaining(['signed', 'order', 'form']));
    expect(supportingSentence(chunk, 'zebra')).toBeNull();
    const transcript = '[00:01] A: hello there\n[00:02] B: the budget is approved for Q3\n[00:03] A: great';
    const t = supportingSentence(transcript, 'Budget approved for Q3')!;
    expect(transcript.slice(t.start, t.end)).toBe('[00:02] B: the budget is approved for Q3');
  });

  it('explains reason codes in plain words and keeps the code and detail', () => {
    expect(explainReason('below_threshold: confidence 0.31 is below the threshold 0.60')).toEqual({
      code: 'below_threshold',
      text: 'The AI is not confident enough to make this change on its own.',
      detail: 'confidence 0.31 is below the threshold 0.60',
    });
    expect(explainReason('something_new: detail').text).toBe('detail');
  });
});
