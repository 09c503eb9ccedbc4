import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface PeerReply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

/**
 * A tiny HTTP server speaking HubSpot's error protocol, for answers the sandbox cannot be made to give (a DAILY
 * 429, a 403 naming a scope). `replies` is consumed in order; the last one repeats.
 */
export async function startHttpPeer(replies: PeerReply[]): Promise<{ url: string; requests: string[]; close: () => Promise<void> }> {
  const requests: string[] = [];
  const server = http.createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    req.resume();
    req.on('end', () => {
      const reply = replies.length > 1 ? replies.shift()! : replies[0]!;
      res.writeHead(reply.status, { 'content-type': 'application/json;charset=utf-8', ...reply.headers });
      res.end(reply.body === undefined ? '' : JSON.stringify(reply.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve()))),
  };
}
