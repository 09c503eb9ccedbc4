import { createHmac } from 'node:crypto';

/**
 * What HubSpot does with an app card's `hubspot.fetch(url, options)`: appends the acting user and portal to the URL
 * (`userId`, `portalId`, `userEmail`, `appId`), signs the request with the app's client secret (v3: Base64
 * HMAC-SHA256 of method + URI + body + timestamp, with HubSpot's escapes decoded in the URI) and sends the body as
 * JSON. Computed here with node:crypto, independently of the product's verifier.
 */
export interface HubSpotFetchOptions {
  clientSecret: string;
  portalId: string;
  user: { id: number; email: string };
  appId?: string;
  now?: () => number;
}

const DECODED: Record<string, string> = { '%3A': ':', '%2F': '/', '%3F': '?', '%40': '@', '%21': '!', '%24': '$', '%27': "'", '%28': '(', '%29': ')', '%2A': '*', '%2C': ',', '%3B': ';' };

export function hubspotFetch(opts: HubSpotFetchOptions) {
  return async (url: string, options: { method?: 'GET' | 'POST'; body?: Record<string, unknown>; timeout?: number } = {}) => {
    const u = new URL(url);
    u.searchParams.set('userId', String(opts.user.id));
    u.searchParams.set('userEmail', opts.user.email);
    u.searchParams.set('appId', opts.appId ?? '4242');
    u.searchParams.set('portalId', opts.portalId);
    const method = options.method ?? 'GET';
    const body = options.body === undefined ? '' : JSON.stringify(options.body);
    const timestamp = String((opts.now ?? Date.now)());
    const uri = u.toString().replace(/%(3A|2F|3F|40|21|24|27|28|29|2A|2C|3B)/gi, (m) => DECODED[m.toUpperCase()] ?? m);
    const signature = createHmac('sha256', opts.clientSecret).update(`${method}${uri}${body}${timestamp}`, 'utf8').digest('base64');
    return fetch(u, {
      method,
      headers: { 'x-hubspot-signature-v3': signature, 'x-hubspot-request-timestamp': timestamp, ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body } : {}),
      signal: AbortSignal.timeout(options.timeout ?? 15_000),
    });
  };
}
