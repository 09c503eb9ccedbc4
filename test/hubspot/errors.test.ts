import { describe, expect, it } from 'vitest';
import {
  errorFromResponse,
  HubSpotAuthError,
  HubSpotDailyLimitError,
  HubSpotInvalidRequestError,
  HubSpotNotFoundError,
  HubSpotRateLimitError,
  HubSpotTransientError,
} from '../../src/hubspot/errors.ts';
import { parseRetryAfter, readRateLimitHeaders } from '../../src/hubspot/rate-limit-headers.ts';
import { retryDelayMs, shouldRetry } from '../../src/hubspot/retry-policy.ts';

// Bodies as HubSpot sends them (its documented 429 and error bodies); the mapping is a pure function over status, headers and body.
const tenSecondly = {
  status: 'error',
  message: 'You have reached your ten_secondly_rolling limit.',
  errorType: 'RATE_LIMIT',
  correlationId: 'c0ffee00-0000-4000-8000-000000000001',
  policyName: 'TEN_SECONDLY_ROLLING',
  groupName: 'publicapi:private-app',
};

describe('errorFromResponse', () => {
  it('maps a TEN_SECONDLY_ROLLING 429 to a retryable rate-limit error carrying Retry-After', () => {
    const err = errorFromResponse({ status: 429, headers: { 'retry-after': '2' }, body: tenSecondly }, 'objects.batchRead');
    expect(err).toBeInstanceOf(HubSpotRateLimitError);
    expect(err).not.toBeInstanceOf(HubSpotDailyLimitError);
    const rl = err as HubSpotRateLimitError;
    expect(rl.policy).toBe('TEN_SECONDLY_ROLLING');
    expect(rl.retryAfterMs).toBe(2000);
    expect(rl.retryable).toBe(true);
    expect(rl.correlationId).toBe(tenSecondly.correlationId);
  });

  it('maps a DAILY 429 to HubSpotDailyLimitError, never retried', () => {
    const body = { ...tenSecondly, message: 'You have reached your daily limit.', policyName: 'DAILY' };
    const err = errorFromResponse({ status: 429, headers: {}, body }, 'objects.list');
    expect(err).toBeInstanceOf(HubSpotDailyLimitError);
    expect(err.code).toBe('HUBSPOT_DAILY_LIMIT');
    expect(err.message).toMatch(/daily API limit/);
    expect(err.message).toMatch(/resumes from its checkpoint/);
    expect(shouldRetry(err, 0, 6, true)).toBe(false);
  });

  it('recognises DAILY even when the SDK dropped policyName (from the message or the daily header)', () => {
    const byMessage = errorFromResponse({ status: 429, headers: {}, body: { message: 'You have reached your daily limit.' } }, 'x');
    const byHeader = errorFromResponse({ status: 429, headers: { 'X-HubSpot-RateLimit-Daily-Remaining': '0' }, body: { message: 'Rate limited' } }, 'x');
    expect(byMessage).toBeInstanceOf(HubSpotDailyLimitError);
    expect(byHeader).toBeInstanceOf(HubSpotDailyLimitError);
  });

  it('says the token is invalid on 401', () => {
    const err = errorFromResponse({ status: 401, headers: {}, body: { message: 'Authentication credentials are invalid.', category: 'INVALID_AUTHENTICATION' } }, 'objects.list');
    expect(err).toBeInstanceOf(HubSpotAuthError);
    expect(err.message).toMatch(/HUBSPOT_ACCESS_TOKEN/);
    expect(err.message).toMatch(/INVALID_AUTHENTICATION/);
  });

  it('names the missing scope on 403 when HubSpot does', () => {
    const body = {
      status: 'error',
      message: "This app hasn't been granted all required scopes to make this call.",
      category: 'MISSING_SCOPES',
      errors: [{ message: 'One or more of the following scopes are required.', context: { requiredGranularScopes: ['crm.objects.contacts.read'] } }],
    };
    const err = errorFromResponse({ status: 403, headers: {}, body }, 'objects.batchRead') as HubSpotAuthError;
    expect(err).toBeInstanceOf(HubSpotAuthError);
    expect(err.missingScopes).toEqual(['crm.objects.contacts.read']);
    expect(err.message).toMatch(/crm\.objects\.contacts\.read/);
  });

  it('maps 404 to not found, 5xx to transient, 400 to invalid request with HubSpot’s message', () => {
    expect(errorFromResponse({ status: 404, headers: {}, body: { message: 'Object not found.' } }, 'x')).toBeInstanceOf(HubSpotNotFoundError);
    const t = errorFromResponse({ status: 503, headers: { 'Retry-After': '1' }, body: '<html>down</html>' }, 'x') as HubSpotTransientError;
    expect(t).toBeInstanceOf(HubSpotTransientError);
    expect(t.retryAfterMs).toBe(1000);
    const bad = errorFromResponse({ status: 400, headers: {}, body: { message: 'Property values were not valid', category: 'VALIDATION_ERROR' } }, 'objects.create');
    expect(bad).toBeInstanceOf(HubSpotInvalidRequestError);
    expect((bad as HubSpotInvalidRequestError).hubspotMessage).toBe('Property values were not valid');
    expect(bad.retryable).toBe(false);
  });
});

describe('retry policy', () => {
  const transient = new HubSpotTransientError('502');
  it('retries reads on transient errors, creates only when nothing was sent', () => {
    expect(shouldRetry(transient, 0, 3, true)).toBe(true);
    expect(shouldRetry(transient, 0, 3, false)).toBe(false);
    expect(shouldRetry(new HubSpotTransientError('refused', { notSent: true }), 0, 3, false)).toBe(true);
    expect(shouldRetry(transient, 3, 3, true)).toBe(false);
    expect(shouldRetry(new HubSpotInvalidRequestError('bad', { status: 400 }), 0, 3, true)).toBe(false);
  });

  it('waits for Retry-After when given, else backs off exponentially within bounds', () => {
    const rl = new HubSpotRateLimitError('429', { policy: 'TEN_SECONDLY_ROLLING', retryAfterMs: 3000 });
    expect(retryDelayMs(rl, 0, 10_000, { baseMs: 500, capMs: 30_000 }, () => 0)).toBe(3000);
    expect(retryDelayMs(transient, 0, 10_000, { baseMs: 500, capMs: 30_000 }, () => 0)).toBe(250);
    expect(retryDelayMs(transient, 10, 10_000, { baseMs: 500, capMs: 30_000 }, () => 0.999)).toBeLessThanOrEqual(30_000);
  });
});

describe('headers', () => {
  it('parses Retry-After seconds and HTTP dates', () => {
    expect(parseRetryAfter('5')).toBe(5000);
    expect(parseRetryAfter(new Date(1_000_000 + 7000).toUTCString(), 1_000_000)).toBe(7000);
    expect(parseRetryAfter('soon')).toBeUndefined();
  });

  it('reads the X-HubSpot-RateLimit-* headers case-insensitively', () => {
    expect(
      readRateLimitHeaders({ 'X-HubSpot-RateLimit-Max': '100', 'x-hubspot-ratelimit-remaining': '42', 'x-hubspot-ratelimit-interval-milliseconds': '10000' }),
    ).toEqual({ max: 100, remaining: 42, intervalMs: 10000, dailyRemaining: undefined });
    expect(readRateLimitHeaders({ 'content-type': 'application/json' })).toBeUndefined();
  });
});
