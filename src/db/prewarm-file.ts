import fs from 'node:fs/promises';
import os from 'node:os';

export interface PrewarmOptions {
  /** Stops reading (the promise still resolves, with what was read). */
  signal?: AbortSignal;
  /** Read at most this many bytes from the start; default: the file, within half of the memory available now. */
  maxBytes?: number;
  /** Bytes per read. */
  chunkBytes?: number;
}

export interface PrewarmReport {
  file: string;
  fileBytes: number;
  bytesRead: number;
  ms: number;
  /** Why it stopped before the end of the file, if it did. */
  stopped?: 'aborted' | 'memory';
}

const DEFAULT_CHUNK_BYTES = 4 * 1024 * 1024;

/**
 * Reads a file once, start to end, and throws the bytes away: afterwards its pages are in the OS page cache, so
 * the memory-mapped reads of the queries that follow are memory accesses instead of disk reads. This is what a
 * database server's prewarm does after a restart, or after other work pushed its file out of memory: a per-account
 * query touches a few scattered pages of a large file, each a disk read when cold (a million-chunk index answers a
 * cold account in several milliseconds, a warm one well under one).
 *
 * Sequential reads of a few MB run in libuv's thread pool, one at a time, so the event loop stays free and the
 * disk is not flooded. A file larger than half the memory available is read only up to that bound: pulling in more
 * would evict what other processes (and the file's own hottest pages) need.
 */
export async function prewarmFile(file: string, opts: PrewarmOptions = {}): Promise<PrewarmReport> {
  const started = performance.now();
  const handle = await fs.open(file, 'r');
  try {
    const fileBytes = (await handle.stat()).size;
    const budget = opts.maxBytes ?? Math.floor(os.freemem() / 2);
    const limit = Math.min(fileBytes, budget);
    const buffer = Buffer.allocUnsafe(Math.max(4096, Math.min(opts.chunkBytes ?? DEFAULT_CHUNK_BYTES, limit || 4096)));
    let bytesRead = 0;
    while (bytesRead < limit && !opts.signal?.aborted) {
      const { bytesRead: n } = await handle.read(buffer, 0, Math.min(buffer.length, limit - bytesRead), bytesRead);
      if (n === 0) break;
      bytesRead += n;
    }
    const report: PrewarmReport = { file, fileBytes, bytesRead, ms: performance.now() - started };
    if (bytesRead < fileBytes) report.stopped = opts.signal?.aborted ? 'aborted' : 'memory';
    return report;
  } finally {
    await handle.close();
  }
}
