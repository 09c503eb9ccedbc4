import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { AccountHistory } from '../core/objects.ts';
import type { ChunkDraft } from './chunker.ts';
import type { ChunkReply, ChunkRequest } from './chunk-worker.ts';

/**
 * A small pool of worker threads that turn account histories into chunk drafts (chunk-worker.ts).
 *
 * Building documents (html-to-text, email-reply-parser) and chunking them is the CPU-heavy part of indexing; on
 * the main thread it competes with the HTTP client (and, in benchmarks and tests, the in-process sandbox), so a
 * backfill runs CPU-bound and leaves HubSpot's request budget unused. The pool is started on first use, sized to
 * leave one core to the main thread, and stops its threads after a while without work, so an owner that never
 * calls `close()` still exits cleanly and holds no idle threads.
 */
export class ChunkPool {
  private readonly workers: PoolWorker[] = [];
  private readonly pending = new Map<number, { resolve: (drafts: ChunkDraft[]) => void; reject: (err: Error) => void; worker: PoolWorker }>();
  private nextId = 0;
  private idleTimer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    readonly size = defaultPoolSize(),
    private readonly idleMs = 10_000,
  ) {}

  draftsOf(history: AccountHistory): Promise<ChunkDraft[]> {
    if (this.closed) return Promise.reject(new Error('chunk pool is closed'));
    clearTimeout(this.idleTimer);
    const worker = this.leastBusy();
    const id = (this.nextId += 1);
    return new Promise<ChunkDraft[]>((resolve, reject) => {
      this.pending.set(id, { resolve, reject, worker });
      worker.busy += 1;
      // A thread with work in flight keeps the process alive; an idle one must not.
      if (worker.busy === 1) worker.thread.ref();
      worker.thread.postMessage({ id, history } satisfies ChunkRequest);
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.stopAll();
  }

  private leastBusy(): PoolWorker {
    if (this.workers.length < this.size) {
      const idle = this.workers.find((w) => w.busy === 0);
      if (idle) return idle;
      const started = this.start();
      this.workers.push(started);
      return started;
    }
    return this.workers.reduce((a, b) => (b.busy < a.busy ? b : a));
  }

  private start(): PoolWorker {
    const thread = new Worker(BOOTSTRAP, { eval: true, workerData: { tsxApi: tsxApiUrl(), entry: WORKER_ENTRY } });
    const worker: PoolWorker = { thread, busy: 0 };
    thread.unref();
    thread.on('message', (reply: ChunkReply) => this.settle(worker, reply));
    // A crashed thread fails only its own requests; the next request starts a fresh one.
    thread.on('error', (err) => this.fail(worker, err));
    thread.on('exit', (code) => this.fail(worker, new Error(`chunk worker exited with code ${code}`)));
    return worker;
  }

  private settle(worker: PoolWorker, reply: ChunkReply): void {
    const job = this.pending.get(reply.id);
    if (!job) return;
    this.pending.delete(reply.id);
    this.release(worker);
    if ('drafts' in reply) {
      job.resolve(reply.drafts);
    } else {
      const err = new Error(reply.error.message);
      if (reply.error.stack !== undefined) err.stack = reply.error.stack;
      job.reject(err);
    }
  }

  private fail(worker: PoolWorker, err: Error): void {
    const at = this.workers.indexOf(worker);
    if (at >= 0) this.workers.splice(at, 1);
    for (const [id, job] of this.pending) {
      if (job.worker !== worker) continue;
      this.pending.delete(id);
      job.reject(err);
    }
    worker.busy = 0;
  }

  private release(worker: PoolWorker): void {
    worker.busy -= 1;
    if (worker.busy === 0) worker.thread.unref();
    if (this.pending.size === 0) {
      clearTimeout(this.idleTimer);
      this.idleTimer = setTimeout(() => void this.stopAll(), this.idleMs).unref();
    }
  }

  private async stopAll(): Promise<void> {
    clearTimeout(this.idleTimer);
    const threads = this.workers.splice(0).map((w) => w.thread);
    await Promise.all(threads.map((t) => t.terminate()));
  }
}

interface PoolWorker {
  thread: Worker;
  busy: number;
}

/** One core stays with the main thread (HTTP client, store, embedder); at least one worker. */
export function defaultPoolSize(): number {
  return Math.max(1, os.availableParallelism() - 1);
}

const WORKER_ENTRY = new URL('./chunk-worker.ts', import.meta.url).href;

/**
 * The sources are TypeScript run through tsx (the bin registers it in-process, vitest uses its own transform),
 * and a worker thread starts without the parent's loader hooks; `--import tsx` in a worker's execArgv does not
 * apply to its entry module on Node 20. So the worker is a tiny CommonJS script that registers tsx's ESM hooks
 * in its own thread first, then imports the TypeScript entry.
 */
const BOOTSTRAP = `
const { workerData } = require('node:worker_threads');
import(workerData.tsxApi).then((tsx) => { tsx.register(); return import(workerData.entry); });
`;

let tsxApi: string | undefined;

/** File URL of tsx's ESM API (`tsx/esm/api`, import condition), resolved from this package's dependencies. */
function tsxApiUrl(): string {
  if (tsxApi !== undefined) return tsxApi;
  // require.resolve would pick the CommonJS build, whose register() cannot find its hooks module.
  const manifest = createRequire(import.meta.url).resolve('tsx/package.json');
  const pkg = JSON.parse(fs.readFileSync(manifest, 'utf8')) as { exports: Record<string, { import: { default: string } }> };
  tsxApi = pathToFileURL(path.join(path.dirname(manifest), pkg.exports['./esm/api']!.import.default)).href;
  return tsxApi;
}
