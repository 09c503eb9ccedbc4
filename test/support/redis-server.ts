import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { Redis } from 'ioredis';
import { waitFor } from '../queue/queue.contract.ts';

/**
 * A redis-server of a test's own (never the shared one), so the test can stop and start it. Production settings:
 * AOF on, noeviction; `fsync` 'always' where a test kills it and must lose nothing.
 */
export const hasRedisServer = spawnSync('redis-server', ['--version']).status === 0;

export async function startRedis(port: number, dir: string, fsync: 'everysec' | 'always' = 'everysec'): Promise<ChildProcess> {
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--appendonly', 'yes', '--appendfsync', fsync, '--dir', dir, '--save', '', '--maxmemory-policy', 'noeviction'], { stdio: 'ignore' });
  const probe = new Redis(port, '127.0.0.1', { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  probe.on('error', () => undefined); // refused connections are expected until it is up
  await waitFor(async () => {
    try {
      await probe.connect();
      return (await probe.ping()) === 'PONG';
    } catch {
      probe.disconnect();
      return false;
    }
  }, 20_000, 'redis-server to start');
  probe.disconnect();
  return child;
}

export async function stopRedis(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill(signal);
  await exited;
}
