import type { IncomingMessage } from 'node:http';
import { apiError } from './errors.ts';

/**
 * Reads a request body as bytes, refusing more than `limit` (413) without buffering the excess. Signatures are
 * computed over the exact bytes HubSpot sent, so the body must never be parsed and re-serialised before checking.
 *
 * An oversized body is read to its end and thrown away before the 413 is sent: answering while the client is
 * still sending makes the server close the connection under it, and most clients then report a connection reset
 * instead of the answer. Beyond `drainLimit` bytes (an abusive client) the connection is simply cut.
 */
export function readRawBody(req: IncomingMessage, limit: number, drainLimit = Math.max(16 * limit, 64 * 1024 * 1024)): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > drainLimit) {
    return Promise.reject(apiError('PAYLOAD_TOO_LARGE', `the body is ${declared} bytes; the limit is ${limit} (WEBHOOK_MAX_BODY_BYTES)`));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const tooLarge = () =>
      apiError(
        'PAYLOAD_TOO_LARGE',
        Number.isFinite(declared) && declared > limit
          ? `the body is ${declared} bytes; the limit is ${limit} (WEBHOOK_MAX_BODY_BYTES)`
          : `the body exceeds the limit of ${limit} bytes (WEBHOOK_MAX_BODY_BYTES)`,
      );
    const fail = (err: Error) => {
      if (settled) return;
      settled = true;
      chunks.length = 0;
      reject(err);
    };
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > drainLimit) return fail(tooLarge());
      if (size > limit) {
        chunks.length = 0; // keep reading (and dropping) until the end, then answer 413
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (settled) return;
      if (size > limit) return fail(tooLarge());
      settled = true;
      resolve(Buffer.concat(chunks, size));
    });
    req.on('error', (err) => fail(err));
  });
}
