import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

const FIXTURE = path.resolve(import.meta.dirname, '../fixtures/webhook-serve.ts');

export interface ServeProcess {
  child: ChildProcess;
  port: number;
  exited: Promise<number | null>;
}

/** Starts test/fixtures/webhook-serve.ts in its own process and waits until it listens. */
export async function startServe(env: Record<string, string>): Promise<ServeProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE], {
    env: { ...process.env, LOG_LEVEL: 'silent', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /LISTENING (\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    void exited.then((code) => reject(new Error(`serve fixture exited (${code}) before listening:\n${stderr}`)));
  });
  return { child, port, exited };
}
