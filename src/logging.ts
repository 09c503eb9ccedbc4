import pino, { type Logger } from 'pino';
import pretty from 'pino-pretty';

export type { Logger } from 'pino';

/** JSON logs by default; human-readable when stderr is a terminal. Secrets are redacted by path. */
export function createLogger(level: string = process.env.LOG_LEVEL ?? 'info', name = 'hubspot-ai'): Logger {
  const opts: pino.LoggerOptions = {
    name,
    level,
    redact: {
      paths: ['accessToken', 'token', 'authorization', 'headers.authorization', 'req.headers.authorization', '*.apiKey', 'apiKey', 'clientSecret'],
      censor: '[redacted]',
    },
  };
  if (process.stderr.isTTY && process.env.LOG_FORMAT !== 'json') {
    return pino(opts, pretty({ colorize: true, destination: 2, sync: true, ignore: 'pid,hostname' }));
  }
  return pino(opts, pino.destination({ dest: 2, sync: false }));
}

/** A logger that drops everything: for tests and library callers who pass none. */
export const silentLogger: Logger = pino({ level: 'silent' });
