import type { FastifyRequest } from 'fastify';
import { redactSecrets } from '../logging.ts';

/**
 * What the access log records of a request. Query parameters that carry credentials or personal data are
 * masked: an old bookmarked `/review?token=…` link, or the `userEmail` HubSpot appends to card requests,
 * never reach a log file.
 */
const SENSITIVE = /^(token|access_token|api_key|apikey|key|secret|password|useremail|email)$/i;

export function redactQuery(url: string): string {
  const q = url.indexOf('?');
  if (q < 0) return url;
  const params = url
    .slice(q + 1)
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      const name = eq < 0 ? pair : pair.slice(0, eq);
      let decoded = name;
      try {
        decoded = decodeURIComponent(name);
      } catch {
        // keep the raw name
      }
      return eq >= 0 && SENSITIVE.test(decoded) ? `${name}=[redacted]` : pair;
    });
  return `${url.slice(0, q)}?${params.join('&')}`;
}

/** pino serializer for `req` (replaces fastify's default, which logs the raw URL). */
export function requestSerializer(req: FastifyRequest) {
  return {
    method: req.method,
    url: redactSecrets(redactQuery(req.url)),
    host: req.host,
    remoteAddress: req.ip,
  };
}
