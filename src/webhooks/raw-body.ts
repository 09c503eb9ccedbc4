import type { IncomingMessage } from 'node:http';
import { apiError } from '../api/errors.ts';

/**
 * Reads a request body as bytes, refusing more than `limit` (413) without buffering the excess. Signatures are
 * computed over the exact bytes HubSpot sent, so the body must never be parsed and re-serialised before checking.
 */
export function readRawBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) {
    req.resume(); // discard, so the connection can answer
    return Promise.reject(apiError('PAYLOAD_TOO_LARGE', `the body is ${declared} bytes; the limit is ${limit} (WEBHOOK_MAX_BODY_BYTES)`));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on('data', (chunk: Buffer) => {
      if (failed) return;
      size += chunk.length;
      if (size > limit) {
        failed = true;
        chunks.length = 0;
        reject(apiError('PAYLOAD_TOO_LARGE', `the body exceeds the limit of ${limit} bytes (WEBHOOK_MAX_BODY_BYTES)`));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (!failed) resolve(Buffer.concat(chunks, size));
    });
    req.on('error', (err) => {
      if (!failed) reject(err);
    });
  });
}
