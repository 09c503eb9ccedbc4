import { format } from 'node:util';
import pino, { type DestinationStream, type Logger } from 'pino';
import pretty from 'pino-pretty';

export type { Logger } from 'pino';

/**
 * Secrets that can hide inside free text: query parameters that carry credentials (`?token=`, `access_token`,
 * `api_key`, `secret`, `signature`, `code` ...) or personal data (the `userEmail` HubSpot appends to card
 * requests), `Authorization`-style schemes, and passwords in URLs.
 */
const SECRET_PARAM = /([?&;](?:[\w.-]*token|[\w.-]*secret|api[_-]?key|key|password|passwd|signature|sig|code|session|[\w.-]*email)=)[^&#\s"'<>]*/gi;
const AUTH_SCHEME = /\b(bearer|basic)(\s+)[A-Za-z0-9._~+/=-]+/gi;
const URL_PASSWORD = /(\/\/[^/\s:@]+:)[^@\s/]+@/g;

/** The text with credentials replaced by `[redacted]`; cheap enough to run on every request URL and message. */
export function redactSecrets(text: string): string {
  if (!/[=@]|bearer|basic/i.test(text)) return text;
  return text.replace(SECRET_PARAM, '$1[redacted]').replace(AUTH_SCHEME, '$1$2[redacted]').replace(URL_PASSWORD, '$1[redacted]@');
}

function redactValue(v: unknown): unknown {
  return typeof v === 'string' ? redactSecrets(v) : v;
}

interface RequestLike {
  method?: string;
  url?: string;
  host?: string;
  ip?: string;
  socket?: { remotePort?: number };
}

/**
 * Serializers every logger of the product uses, so no route, plugin or module can log a token by accident: request
 * URLs lose credential parameters (the review page's `?token=`), errors and free-text fields lose bearer tokens.
 * Fastify merges these over its own.
 */
export const logSerializers: Record<string, (v: unknown) => unknown> = {
  req: (v) => {
    const req = v as RequestLike;
    return { method: req.method, url: redactValue(req.url), host: req.host, remoteAddress: req.ip, remotePort: req.socket?.remotePort };
  },
  err: (v) => {
    if (!(v instanceof Error)) return redactValue(v);
    const e = pino.stdSerializers.err(v) as unknown as Record<string, unknown>;
    for (const k of ['message', 'stack']) if (typeof e[k] === 'string') e[k] = redactSecrets(e[k]);
    return e;
  },
  error: redactValue,
  url: redactValue,
  reason: redactValue,
};

function options(level: string, name: string): pino.LoggerOptions {
  return {
    name,
    level,
    redact: {
      paths: [
        'accessToken',
        'token',
        'authorization',
        'headers.authorization',
        'req.headers.authorization',
        'headers.cookie',
        '*.apiKey',
        'apiKey',
        'clientSecret',
      ],
      censor: '[redacted]',
    },
    serializers: logSerializers,
    hooks: {
      // Messages are free text too (an error message can quote a URL).
      logMethod(args, method) {
        // The message is the first string argument; with printf-style arguments, redact the formatted text.
        const at = typeof args[0] === 'string' ? 0 : 1;
        const message: unknown = args[at];
        if (typeof message === 'string') {
          const text = args.length > at + 1 ? format(message, ...args.slice(at + 1)) : message;
          args.splice(at, args.length - at, redactSecrets(text));
        }
        method.apply(this, args);
      },
    },
  };
}

/** JSON logs by default; human-readable when stderr is a terminal. Secrets are redacted by path and by pattern. */
export function createLogger(level: string = process.env.LOG_LEVEL ?? 'info', name = 'hubspot-ai', destination?: DestinationStream): Logger {
  const opts = options(level, name);
  if (destination) return pino(opts, destination);
  if (process.stderr.isTTY && process.env.LOG_FORMAT !== 'json') {
    return pino(opts, pretty({ colorize: true, destination: 2, sync: true, ignore: 'pid,hostname' }));
  }
  return pino(opts, pino.destination({ dest: 2, sync: false }));
}

/** A logger that drops everything: for tests and library callers who pass none. */
export const silentLogger: Logger = pino({ level: 'silent' });

/**
 * A warning that repeats while a dependency is down (a reconnecting client reports every attempt): logged the
 * first time, then at most once per `intervalMs` with how many were folded into it.
 */
export function throttledWarn(logger: Logger, message: string, intervalMs = 30_000): (err: unknown) => void {
  let last = -Infinity;
  let folded = 0;
  return (err) => {
    const now = Date.now();
    if (now - last < intervalMs) {
      folded++;
      return;
    }
    last = now;
    logger.warn({ err: err instanceof Error ? err.message : String(err), ...(folded > 0 ? { repeated: folded } : {}) }, message);
    folded = 0;
  };
}
