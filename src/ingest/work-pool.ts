import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Piscina } from 'piscina';
import type { AccountHistory } from '../core/objects.ts';
import type { DraftsResult, FastPaths, WorkTask } from './work-pool-worker.ts';

/**
 * Worker threads for the CPU-bound steps of indexing, on piscina: building documents and chunking them
 * (html-to-text, e-mail de-quoting, the tokenizer) and offline embedding. On the main thread this work competes
 * with the HTTP client and the store, so a backfill would run CPU-bound and leave HubSpot's request budget
 * unused; webhook-driven re-indexing of one account stays in-thread (the messaging would cost more).
 *
 * Threads start on first use, one per core, run at a lower priority (nice) so the main thread's I/O goes first
 * (the main thread mostly waits on HubSpot and SQLite; with one core left to it, a backfill's chunking and
 * embedding ran serially in one thread while the other core idled), and stop after a while without work: an
 * owner that never calls `close()` still exits cleanly. Results are exactly what the in-thread code returns (same functions, structured clones).
 */
export interface WorkPoolOptions {
  /** Worker threads; default one per core. */
  threads?: number;
  /** How long an idle thread lives. */
  idleMs?: number;
}

export class WorkPool {
  private pool: Piscina | undefined;
  private closed = false;
  readonly threads: number;

  constructor(private readonly opts: WorkPoolOptions = {}) {
    this.threads = Math.max(1, opts.threads ?? defaultPoolSize());
  }

  /**
   * Chunk drafts of one account history (draft-memo.ts `draftsOfHistory`, with the thread's own memo) and its
   * profile's history digest over them (account-profile.ts `digestHistory`).
   */
  async drafts(history: AccountHistory): Promise<DraftsResult> {
    return (await this.run({ kind: 'drafts', history })) as DraftsResult;
  }

  /** Offline hashing embeddings of texts, split over the threads; vectors come back in one transferred buffer. */
  async embedOffline(texts: string[], dimensions: number): Promise<{ vectors: Float32Array[]; tokens: number }> {
    const parts = Math.min(this.threads, Math.ceil(texts.length / MIN_TEXTS_PER_TASK));
    const size = Math.ceil(texts.length / Math.max(1, parts));
    const slices: string[][] = [];
    for (let i = 0; i < texts.length; i += size) slices.push(texts.slice(i, i + size));
    const answers = (await Promise.all(slices.map((t) => this.run({ kind: 'embed', texts: t, dimensions })))) as Array<{ packed: Float32Array; tokens: number }>;
    const vectors: Float32Array[] = [];
    let tokens = 0;
    for (const a of answers) {
      tokens += a.tokens;
      for (let i = 0; i < a.packed.length; i += dimensions) vectors.push(a.packed.subarray(i, i + dimensions));
    }
    return { vectors, tokens };
  }

  /**
   * Which fast paths a thread runs: their results equal the libraries', so only the CPU would tell that a thread
   * fell back (as every e-mail once did, when the de-quoting rules loaded by a dynamic import that never settled).
   */
  async fastPaths(): Promise<FastPaths> {
    return (await this.run({ kind: 'fast-paths' })) as FastPaths;
  }

  async close(): Promise<void> {
    this.closed = true;
    const pool = this.pool;
    this.pool = undefined;
    await pool?.destroy();
  }

  private run(task: WorkTask): Promise<unknown> {
    if (this.closed) return Promise.reject(new Error('work pool is closed'));
    this.pool ??= new Piscina({
      filename: WORKER_ENTRY.file,
      execArgv: WORKER_ENTRY.execArgv,
      minThreads: 0,
      maxThreads: this.threads,
      idleTimeout: this.opts.idleMs ?? 10_000,
      // Below the main thread, which holds the HTTP client, the store and (in `serve`) the acknowledgements.
      niceIncrement: 5,
    });
    return this.pool.run(task);
  }
}

/** Texts per embedding task: below this, one thread's share is not worth a message. */
const MIN_TEXTS_PER_TASK = 32;

/**
 * One thread per core. The threads run niced, so the main thread (HTTP client, store, acknowledgements in `serve`)
 * still goes first when it has work; when it waits, both cores chunk and embed.
 */
export function defaultPoolSize(): number {
  return Math.max(1, os.availableParallelism());
}

/**
 * The sources run as TypeScript through tsx (the bin registers it in-process, vitest uses its own transform) or
 * as compiled JavaScript (`npm run build`). A worker thread starts without the parent's loader hooks, so under
 * TypeScript it registers tsx itself (`--import`, resolved from this package's dependencies) before piscina
 * imports the entry.
 */
const WORKER_ENTRY = (() => {
  const ts = import.meta.url.endsWith('.ts');
  const file = new URL(`./work-pool-worker.${ts ? 'ts' : 'js'}`, import.meta.url).href;
  return { file, execArgv: ts ? ['--import', tsxLoaderUrl()] : [] };
})();

function tsxLoaderUrl(): string {
  const manifest = createRequire(import.meta.url).resolve('tsx/package.json');
  const pkg = JSON.parse(fs.readFileSync(manifest, 'utf8')) as { exports: Record<string, { import?: string | { default: string } } | string> };
  const entry = pkg.exports['.'];
  const target = typeof entry === 'string' ? entry : typeof entry?.import === 'string' ? entry.import : entry?.import?.default;
  if (!target) throw new Error('cannot find the tsx loader to start worker threads');
  return pathToFileURL(path.join(path.dirname(manifest), target)).href;
}
