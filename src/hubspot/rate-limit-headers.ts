/** Reading HubSpot's rate-limit headers and `Retry-After`. Pure functions over header maps. */

/** What HubSpot says about the burst window on every (non-search) answer. */
export interface RateLimitHeaders {
  max?: number;
  remaining?: number;
  intervalMs?: number;
  dailyRemaining?: number;
}

/** Case-insensitive header lookup: node-fetch lower-cases names, local HTTP peers may not. */
export function readHeader(headers: Record<string, string> | undefined, name: string): string | undefined {
  if (!headers) return undefined;
  const direct = headers[name];
  if (direct !== undefined) return direct;
  const lower = name.toLowerCase();
  for (const [k, v] of Object.entries(headers)) if (k.toLowerCase() === lower) return v;
  return undefined;
}

function intHeader(headers: Record<string, string>, name: string): number | undefined {
  const raw = readHeader(headers, name);
  if (raw === undefined || raw.trim() === '') return undefined;
  const n = Number(raw);
  return Number.isFinite(n) && n >= 0 ? Math.floor(n) : undefined;
}

export function readRateLimitHeaders(headers: Record<string, string>): RateLimitHeaders | undefined {
  const max = intHeader(headers, 'x-hubspot-ratelimit-max');
  const out: RateLimitHeaders = {
    // A max of 0 means "no burst limit advertised", never "no budget": ignore it rather than stall every call.
    max: max === 0 ? undefined : max,
    remaining: max === 0 ? undefined : intHeader(headers, 'x-hubspot-ratelimit-remaining'),
    intervalMs: intHeader(headers, 'x-hubspot-ratelimit-interval-milliseconds'),
    dailyRemaining: intHeader(headers, 'x-hubspot-ratelimit-daily-remaining'),
  };
  return Object.values(out).some((v) => v !== undefined) ? out : undefined;
}

/** `Retry-After` as delay-seconds or an HTTP date, in ms from `now`; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | undefined, now = Date.now()): number | undefined {
  if (value === undefined) return undefined;
  const v = value.trim();
  if (v === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(v)) return Math.round(Number(v) * 1000);
  const at = Date.parse(v);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now);
}
