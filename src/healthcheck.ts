/**
 * The container image's HEALTHCHECK: `node dist/healthcheck.js [--port N] [--path /readyz]`. Exit 0 when the
 * process answers 2xx within 4 s, 1 otherwise. Without `--port` it checks the port of the command PID 1 runs:
 * WORKER_PORT for `worker`, PORT otherwise. No dependencies (the image has no curl).
 */
import fs from 'node:fs';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

function commandOfPid1(): string {
  try {
    return fs.readFileSync('/proc/1/cmdline', 'utf8').split('\0').join(' ');
  } catch {
    return '';
  }
}

const port = arg('port') ?? (/\bworker\b/.test(commandOfPid1()) ? (process.env.WORKER_PORT ?? '3001') : (process.env.PORT ?? '3000'));
const path = arg('path') ?? '/healthz';
try {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, { signal: AbortSignal.timeout(4_000) });
  process.exitCode = res.ok ? 0 : 1;
  if (!res.ok) process.stderr.write(`${path} answered ${res.status}\n`);
} catch (err) {
  process.stderr.write(`${path} on port ${port}: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
}
