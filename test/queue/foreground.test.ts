import http from 'node:http';
import type { Socket } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { createQueue } from '../../src/queue/create-queue.ts';
import { ForegroundGate } from '../../src/queue/foreground.ts';
import { uniqueName } from '../support/services.ts';
import { tempDir } from '../support/tmp.ts';
import { buildWebhookApp, event, v3Headers } from '../webhooks/webhook-app.ts';

const tmp = tempDir('hsai-foreground-');
afterAll(() => tmp.cleanup());

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** POSTs `body` in two halves with a pause between them; resolves with the status once answered. */
function slowPost(port: number, path: string, body: string, headers: Record<string, string>, pauseMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, method: 'POST', headers: { ...headers, 'content-length': Buffer.byteLength(body) } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    const half = Math.floor(body.length / 2);
    req.write(body.slice(0, half));
    setTimeout(() => req.end(body.slice(half)), pauseMs);
  });
}

describe('ForegroundGate', () => {
  it('is busy while a delivery is in flight; leaving twice counts once', () => {
    const gate = new ForegroundGate();
    const leave = gate.enter();
    const other = gate.enter();
    expect(gate.busy).toBe(true);
    leave();
    leave();
    expect(gate.busy).toBe(true);
    other();
    expect(gate.busy).toBe(false);
  });

  it('is held by the webhook route from the first byte to the answer, whatever the answer', async () => {
    const queue = await createQueue({ dataDir: tmp.dir, prefix: uniqueName('fg'), defaultMaxAttempts: 3 });
    const gate = new ForegroundGate();
    const now = Date.now();
    const app = await buildWebhookApp(queue, { foreground: gate, now: () => now });
    await app.listen({ port: 0, host: '127.0.0.1' });
    const port = (app.server.address() as { port: number }).port;
    const path = '/webhooks/hubspot';
    const body = JSON.stringify([event({ subscriptionType: 'contact.creation', objectId: 1 })]);
    for (const [headers, status] of [
      [v3Headers(path, body, now), 200],
      [{ ...v3Headers(path, body, now), 'x-hubspot-signature-v3': 'forged' }, 401],
    ] as const) {
      const answered = slowPost(port, path, body, headers, 150);
      await sleep(75);
      expect(gate.busy).toBe(true);
      expect(await answered).toBe(status);
      await sleep(10);
      expect(gate.busy).toBe(false);
    }
    // A client that goes away mid-body does not leave the gate held.
    const socket = await new Promise<Socket>((resolve) => {
      const req = http.request({ host: '127.0.0.1', port, path, method: 'POST', headers: { ...v3Headers(path, body, now), 'content-length': 10_000 } });
      req.on('error', () => undefined);
      req.write('[');
      req.on('socket', resolve);
    });
    await sleep(50);
    expect(gate.busy).toBe(true);
    socket.destroy();
    await sleep(50);
    expect(gate.busy).toBe(false);
    await app.close();
    await queue.close();
  });

  it('makes embedded workers wait for deliveries to be answered, but never longer than maxDeferMs a round', async () => {
    const queue = await createQueue({ dataDir: tmp.dir, prefix: uniqueName('fgw'), defaultMaxAttempts: 3 });
    const gate = new ForegroundGate(1_000);
    const ran: number[] = [];
    const worker = queue.work({ 'ingest.record': async () => void ran.push(Date.now()) }, { foreground: gate });
    await sleep(50);

    const leave = gate.enter();
    await queue.enqueue([{ type: 'ingest.record', payload: {} }]);
    await sleep(150);
    expect(ran).toHaveLength(0); // a delivery is being answered: the job waits
    leave();
    await queue.drain();
    expect(ran).toHaveLength(1);

    // Deliveries that never stop still let the job through after maxDeferMs.
    gate.enter();
    const queuedAt = Date.now();
    await queue.enqueue([{ type: 'ingest.record', payload: {} }]);
    await queue.drain(5_000);
    expect(ran).toHaveLength(2);
    expect(ran[1]! - queuedAt).toBeGreaterThanOrEqual(900);
    await worker.close();
    await queue.close();
  });
});
