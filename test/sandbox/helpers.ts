import { Client } from '@hubspot/api-client';
import { startSandbox, type SandboxHandle, type SandboxOptions } from '../../src/sandbox/index.ts';

/** A sandbox and a real `@hubspot/api-client` pointed at it. */
export async function sandboxWithClient(opts: SandboxOptions = {}): Promise<{ sb: SandboxHandle; client: Client }> {
  const sb = await startSandbox({ port: 0, companies: 30, ...opts });
  return { sb, client: new Client({ accessToken: sb.token, basePath: sb.url }) };
}

/** The `ApiException` a failing call throws: its HTTP code, HubSpot error body and headers. */
export async function apiError(p: Promise<unknown>): Promise<{ code: number; body: Record<string, unknown>; headers: Record<string, string> }> {
  try {
    await p;
  } catch (err) {
    const e = err as { code?: number; body?: unknown; headers?: Record<string, string> };
    if (typeof e.code !== 'number') throw err;
    const body = typeof e.body === 'string' ? (JSON.parse(e.body) as Record<string, unknown>) : ((e.body ?? {}) as Record<string, unknown>);
    return { code: e.code, body, headers: e.headers ?? {} };
  }
  throw new Error('expected the call to fail');
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON answers are explored freely in assertions
export async function post(url: string, body: unknown): Promise<{ status: number; json: any }> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, json: await res.json() };
}
