import http from 'node:http';
import type { Socket } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { createQueue } from '../../src/queue/create-queue.ts';
import { ForegroundGate } from '../../src/queue/foreground.ts';
import { uniqueName } from '../support/services.ts';
import { tempDir } from '../support/tmp.ts';
import { buildWebhookApp, event, v3Headers } from '../webhooks/webhook-app.ts';
import { waitFor } from './queue.contract.ts';

const tmp = tempDir('hsai-foreground-');
afterAll(() => tmp.cleanup());

/** POSTs the first half of `body`; the rest goes when `finish()` is called. `answered` resolves with the status. */
function halfPost(port: number, path: string, body: string, headers: Record<string, string>): { finish: () => void; answered: Promise<number> } {
  let finish = (): void => undefined;
  const answered = new Promise<number>((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, method: 'POST', headers: { ...headers, 'content-length': Buffer.byteLength(body) } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    const half = Math.floor(body.length / 2);
    req.write(body.slice(0, half));
    finish = () => void req.end(body.slice(half));
  });
  return { finish, answered };
}

/** The real gate, counting the rounds in which a worker found it busy and had to wait. */
class ObservedGate extends ForegroundGate {
  waitedWhileBusy = 0;
  override async idle(stop?: () => boolean): Promise<void> {
    if (this.busy) this.waitedWhileBusy += 1;
    return super.idle(stop);
  }
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
      const post = halfPost(port, path, body, headers);
      await waitFor(() => gate.busy, 30_000, 'the gate held while the body is still arriving');
      post.finish();
      expect(await post.answered).toBe(status);
      await waitFor(() => !gate.busy, 30_000, 'the gate released once answered');
    }
    // A client that goes away mid-body does not leave the gate held.
    const socket = await new Promise<Socket>((resolve) => {
      const req = http.request({ host: '127.0.0.1', port, path, method: 'POST', headers: { ...v3Headers(path, body, now), 'content-length': 10_000 } });
      req.on('error', () => undefined);
      req.write('[');
      req.on('socket', resolve);
    });
    await waitFor(() => gate.busy, 30_000, 'the gate held by the unfinished body');
    socket.destroy();
    await waitFor(() => !gate.busy, 30_000, 'the gate released when the client went away');
    await app.close();
    await queue.close();
  });

  it('makes embedded workers wait for deliveries to be answered, but never longer than maxDeferMs a round', async () => {
    // A delivery in flight holds the job back for as long as it lasts (here: as long as the test wants).
    const gate = new ObservedGate(600_000);
    const queue = await createQueue({ dataDir: tmp.dir, prefix: uniqueName('fgw'), defaultMaxAttempts: 3, foreground: gate });
    const ran: number[] = [];
    const worker = queue.work({ 'ingest.record': async () => void ran.push(performance.now()) });
    const leave = gate.enter();
    await queue.enqueue([{ type: 'ingest.record', payload: {} }]);
    await waitFor(() => gate.waitedWhileBusy > 0, 30_000, 'the worker finding a delivery in flight');
    expect(ran).toHaveLength(0); // it is waiting for the delivery, not running beside it
    const leftAt = performance.now();
    leave();
    await queue.drain(60_000);
    expect(ran).toHaveLength(1);
    expect(ran[0]!).toBeGreaterThanOrEqual(leftAt);
    await worker.close();
    await queue.close();

    // Deliveries that never stop still let the job through, after maxDeferMs.
    const busyForever = new ObservedGate(1_000);
    const queue2 = await createQueue({ dataDir: tmp.dir, prefix: uniqueName('fgw'), defaultMaxAttempts: 3, foreground: busyForever });
    busyForever.enter();
    await queue2.enqueue([{ type: 'ingest.record', payload: {} }]);
    const startedAt = performance.now(); // the worker's first round starts after this
    const worker2 = queue2.work({ 'ingest.record': async () => void ran.push(performance.now()) });
    await queue2.drain(60_000);
    expect(ran).toHaveLength(2);
    expect(busyForever.waitedWhileBusy).toBeGreaterThan(0);
    expect(ran[1]! - startedAt).toBeGreaterThanOrEqual(1_000);
    await worker2.close();
    await queue2.close();
  });
});
