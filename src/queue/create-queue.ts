import type { Logger } from '../logging.ts';
import type { ForegroundGate } from './foreground.ts';
import type { JobQueue } from './queue.ts';
import type { SqliteConnections } from '../db/sqlite.ts';
import type { ContainerMetrics } from '../metrics.ts';

export interface CreateQueueOptions {
  /** Set: BullMQ on this Redis. Unset: the embedded queue in the SQLite file under `dataDir`. */
  redisUrl?: string;
  dataDir: string;
  /** Key prefix (BullMQ) or journal partition (embedded); tests use a unique one. Default `hsai`. */
  prefix?: string;
  defaultMaxAttempts: number;
  backoffBaseMs?: number;
  /** Embedded only: how long a claimed job is reserved before another worker may take it. */
  leaseMs?: number;
  /** Embedded only: this process's webhook deliveries, which its workers let go first (ForegroundGate). */
  foreground?: ForegroundGate;
  logger?: Logger;
  /** Embedded only: the container's SQLite connection registry. */
  sqlite?: SqliteConnections;
  /** The container's metrics (job durations, jobs per portal). */
  metrics?: ContainerMetrics;
}

/** Picks the queue adapter. bullmq/ioredis are imported only when Redis is configured. */
export async function createQueue(opts: CreateQueueOptions): Promise<JobQueue> {
  if (opts.redisUrl) {
    const { BullQueue } = await import('./bullmq-queue.ts');
    const { foreground: _embeddedOnly, ...bull } = opts;
    const queue = new BullQueue({ ...bull, redisUrl: opts.redisUrl });
    return queue;
  }
  const { EmbeddedQueue } = await import('./embedded-queue.ts');
  return new EmbeddedQueue(opts);
}
