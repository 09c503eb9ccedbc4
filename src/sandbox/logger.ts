import pino, { type Logger } from 'pino';

/** The sandbox logs through pino like the product, without importing the product's logging module. */
export type { Logger };
export const silentLogger: Logger = pino({ level: 'silent' });
