/**
 * The sandbox portal in a child process, for benchmarks: HubSpot's side of a request (building and serialising
 * its answer) runs on HubSpot's servers, not on the event loop being measured. The child reports its URL, then
 * answers `metrics` and `truth` over IPC.
 */
import { fork, type ChildProcess } from 'node:child_process';
import type { GroundTruth, SandboxOptions } from '../../src/sandbox/index.ts';

export interface SandboxProcess {
  url: string;
  token: string;
  pid: number;
  /** The child process (to stop it if the bench is interrupted). */
  process: ChildProcess;
  metrics(): Promise<{ requests: number; http429: number; byRoute: Record<string, number> }>;
  groundTruth(): Promise<GroundTruth>;
  close(): Promise<void>;
}

export async function startSandboxProcess(opts: SandboxOptions): Promise<SandboxProcess> {
  const child: ChildProcess = fork(new URL(import.meta.url).pathname, ['--sandbox-child'], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const ready = await new Promise<{ url: string; token: string }>((resolve, reject) => {
    child.once('message', (m: { url: string; token: string }) => resolve(m));
    child.once('exit', (code) => reject(new Error(`sandbox process exited (${code})`)));
    child.send({ start: opts });
  });
  let next = 0;
  const ask = <T>(what: string): Promise<T> =>
    new Promise((resolve) => {
      const id = (next += 1);
      const on = (m: { id?: number; reply?: T }) => {
        if (m.id !== id) return;
        child.off('message', on);
        resolve(m.reply as T);
      };
      child.on('message', on);
      child.send({ id, ask: what });
    });
  return {
    ...ready,
    pid: child.pid!,
    process: child,
    metrics: () => ask('metrics'),
    groundTruth: () => ask('truth'),
    async close() {
      const exited = new Promise((r) => child.once('exit', r));
      child.send({ ask: 'close' });
      await exited;
    },
  };
}

if (process.argv.includes('--sandbox-child')) {
  const { startSandbox } = await import('../../src/sandbox/index.ts');
  // The bench that started this process gone (killed, even with SIGKILL: the IPC channel closes): stop too.
  process.once('disconnect', () => process.exit(1));
  process.once('message', (first: { start: SandboxOptions }) => {
    void (async () => {
      const sandbox = await startSandbox(first.start);
      process.on('message', (m: { id?: number; ask: string }) => {
        void (async () => {
          if (m.ask === 'metrics') process.send!({ id: m.id, reply: sandbox.metrics() });
          if (m.ask === 'truth') process.send!({ id: m.id, reply: sandbox.groundTruth() });
          if (m.ask === 'close') {
            await sandbox.close();
            process.exit(0);
          }
        })();
      });
      process.send!({ url: sandbox.url, token: sandbox.token });
    })();
  });
}
