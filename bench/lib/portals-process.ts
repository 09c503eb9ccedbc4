/**
 * Several sandbox portals behind one base URL (src/sandbox/portals.ts, with HubSpot's OAuth endpoints) in a child
 * process, for benchmarks: HubSpot's side of a request runs on HubSpot's servers, not on the event loop being
 * measured. The child reports the front door's URL and the app's credentials, then answers `flush` (deliver every
 * pending webhook), `companies` (a portal's company ids), `counts` (its live objects) and `rss` over IPC.
 */
import { fork, type ChildProcess } from 'node:child_process';
import type { PortalsOptions } from '../../src/sandbox/portals.ts';

export interface PortalsProcess {
  url: string;
  appId: string;
  clientId: string;
  clientSecret: string;
  pid: number;
  flushWebhooks(): Promise<void>;
  companies(portalId: number | string): Promise<string[]>;
  /** A portal's live object counts (notes included: the product's own notes land there). */
  counts(portalId: number | string): Promise<Record<string, number>>;
  rssBytes(): Promise<number>;
  close(): Promise<void>;
}

type Ready = { url: string; appId: string; clientId: string; clientSecret: string };

export async function startPortalsProcess(opts: Omit<PortalsOptions, 'logger'>): Promise<PortalsProcess> {
  const child: ChildProcess = fork(new URL(import.meta.url).pathname, ['--portals-child'], {
    execArgv: ['--import', 'tsx', '--max-old-space-size=4096'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const ready = await new Promise<Ready>((resolve, reject) => {
    child.once('message', (m: Ready) => resolve(m));
    child.once('exit', (code) => reject(new Error(`sandbox portals process exited (${code})`)));
    child.send({ start: opts });
  });
  let next = 0;
  const ask = <T>(what: string, arg?: unknown): Promise<T> =>
    new Promise((resolve, reject) => {
      const id = (next += 1);
      const on = (m: { id?: number; reply?: T; error?: string }) => {
        if (m.id !== id) return;
        child.off('message', on);
        if (m.error) reject(new Error(m.error));
        else resolve(m.reply as T);
      };
      child.on('message', on);
      child.send({ id, ask: what, arg });
    });
  return {
    ...ready,
    pid: child.pid!,
    flushWebhooks: () => ask('flush'),
    companies: (portalId) => ask('companies', String(portalId)),
    counts: (portalId) => ask('counts', String(portalId)),
    rssBytes: () => ask('rss'),
    async close() {
      const exited = new Promise((r) => child.once('exit', r));
      child.send({ ask: 'close' });
      await exited;
    },
  };
}

if (process.argv.includes('--portals-child')) {
  const { startSandboxPortals } = await import('../../src/sandbox/portals.ts');
  process.once('message', (first: { start: PortalsOptions }) => {
    void (async () => {
      const sb = await startSandboxPortals(first.start);
      process.on('message', (m: { id?: number; ask: string; arg?: string }) => {
        void (async () => {
          try {
            if (m.ask === 'flush') process.send!({ id: m.id, reply: await sb.flushWebhooks() });
            else if (m.ask === 'companies') process.send!({ id: m.id, reply: companiesOf(sb.portal(m.arg!).groundTruth()) });
            else if (m.ask === 'counts') process.send!({ id: m.id, reply: sb.portal(m.arg!).groundTruth().counts });
            else if (m.ask === 'rss') process.send!({ id: m.id, reply: process.memoryUsage().rss });
            else if (m.ask === 'close') {
              await sb.close();
              process.exit(0);
            }
          } catch (err) {
            process.send!({ id: m.id, error: err instanceof Error ? err.message : String(err) });
          }
        })();
      });
      process.send!({ url: sb.url, appId: sb.appId, clientId: sb.clientId, clientSecret: sb.clientSecret });
    })();
  });
}

/** Companies a person would log a call on: not the sandbox's whale accounts (thousands of engagements each). */
function companiesOf(truth: { companies: Array<{ id: string }>; whaleAccountIds: string[] }): string[] {
  return truth.companies.map((c) => c.id).filter((id) => !truth.whaleAccountIds.includes(id));
}
