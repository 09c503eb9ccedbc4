/**
 * `npx tsx bench/journal-lock.ts`: what an embedded enqueue (a webhook acknowledgement's journal write) costs
 * while another process (the worker) runs long write transactions, with those transactions in the journal's own
 * file (how earlier releases kept the journal: inside the data file, so the worker's data writes held its lock)
 * and in the data file (now: the journal has a file of its own). Same process, same payloads, one after the other.
 */
import { fork } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openSqlite, queuePath, sqlitePath } from '../src/db/sqlite.ts';
import { EmbeddedQueue } from '../src/queue/embedded-queue.ts';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);
const HOLD_MS = Number(process.env.BENCH_HOLD_MS ?? 40); // one write transaction of the worker (a batch of chunks)

if (process.argv[2] === '--writer') {
  // The worker: write transactions of HOLD_MS each on the given file, back to back with a short gap.
  const db = openSqlite(process.argv[3]!);
  db.exec('CREATE TABLE IF NOT EXISTS bench_chunks (id INTEGER PRIMARY KEY, body BLOB)');
  db.pragma('busy_timeout = 5000');
  const insert = db.prepare('INSERT INTO bench_chunks (body) VALUES (?)');
  const blob = Buffer.alloc(4096, 7);
  process.send!('ready');
  for (;;) {
    db.exec('BEGIN IMMEDIATE');
    const until = performance.now() + HOLD_MS;
    while (performance.now() < until) insert.run(blob);
    db.exec('COMMIT');
    await new Promise((r) => setTimeout(r, 5));
  }
}

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}

async function measure(label: string, lockedFile: (dir: string) => string): Promise<number[]> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hsai-journal-lock-'));
  const q = new EmbeddedQueue({ dataDir: dir, defaultMaxAttempts: 3 });
  openSqlite(sqlitePath(dir)).close(); // the data file exists, as in a real installation
  const writer = fork(new URL(import.meta.url).pathname, ['--writer', lockedFile(dir)], { execArgv: ['--import', 'tsx'] });
  await new Promise((r) => writer.once('message', r));
  const events = Array.from({ length: 100 }, (_, i) => ({ eventId: i, portalId: 1, objectId: 1000 + i, subscriptionType: 'contact.propertyChange', propertyName: 'firstname', propertyValue: `name-${i}`, occurredAt: Date.now() }));
  const times: number[] = [];
  const end = performance.now() + SECONDS * 1000;
  while (performance.now() < end) {
    const t = performance.now();
    await q.enqueue([{ type: 'webhook.batch', payload: { source: 'webhook', receivedAt: Date.now(), events } }]);
    times.push(performance.now() - t);
    await new Promise((r) => setTimeout(r, 10));
  }
  writer.kill('SIGKILL');
  await q.close();
  fs.rmSync(dir, { recursive: true, force: true });
  console.log(`${label}: ${times.length} enqueues, p50 ${pct(times, 50).toFixed(2)} / p99 ${pct(times, 99).toFixed(2)} / max ${Math.max(...times).toFixed(1)} ms`);
  return times;
}

console.log(`another process holds the write lock in ${HOLD_MS} ms transactions; load average ${os.loadavg()[0]!.toFixed(1)}`);
const shared = await measure('worker writes in the journal\'s file (earlier releases: one file)', queuePath);
const own = await measure('worker writes in the data file (now: the journal has its own)   ', sqlitePath);
console.log(`enqueue p99: ${pct(shared, 99).toFixed(1)} ms → ${pct(own, 99).toFixed(1)} ms (${(pct(shared, 99) / Math.max(0.01, pct(own, 99))).toFixed(0)}× lower)`);
