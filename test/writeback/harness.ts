import type { GenerationTrace, Proposal } from '../../src/core/proposal.ts';
import type { RecordType } from '../../src/core/objects.ts';
import { createSql, type SqlHandle } from '../../src/db/sql.ts';
import { createHubSpotGateway } from '../../src/hubspot/create-gateway.ts';
import type { HubSpotGateway } from '../../src/hubspot/gateway.ts';
import { startSandbox, type SandboxHandle } from '../../src/sandbox/index.ts';
import { DEFAULT_PORTAL_ID } from '../../src/sandbox/generator.ts';
import { createWriteback, type WritebackOptions, type WritebackService } from '../../src/writeback/create-writeback.ts';
import type { OwnWrite } from '../../src/writeback/hubspot-writer.ts';
import { defaultPolicy } from '../../src/writeback/policy.ts';
import { tempDir } from '../support/tmp.ts';

/**
 * A real sandbox portal over HTTP, the real gateway and a write-back service on a fresh SQLite file (or a
 * PostgreSQL schema when `databaseUrl` is given). Nothing of ours is mocked.
 */
export interface Harness {
  sandbox: SandboxHandle;
  gateway: HubSpotGateway;
  sql: SqlHandle;
  writeback: WritebackService;
  ownWrites: OwnWrite[];
  /** A second service on the same database and portal with other options (e.g. dry-run). */
  another(opts: Partial<WritebackOptions>): Promise<WritebackService>;
  close(): Promise<void>;
}

export async function startHarness(opts: { databaseUrl?: string; schema?: string; sandbox?: Parameters<typeof startSandbox>[0]; writeback?: Partial<WritebackOptions> } = {}): Promise<Harness> {
  const tmp = tempDir('hsai-wb-');
  const sandbox = await startSandbox({ port: 0, seed: 11, companies: 12, rateLimit: 1000, ...opts.sandbox });
  const gateway = createHubSpotGateway({ baseUrl: sandbox.url, accessToken: sandbox.token, rateLimitPer10s: 1000, searchPerSecond: 50, timeoutMs: 10_000, maxRetries: 2 });
  const sql = await createSql({ databaseUrl: opts.databaseUrl, dataDir: tmp.dir, schema: opts.schema });
  const ownWrites: OwnWrite[] = [];
  const base: WritebackOptions = {
    gateway,
    sql,
    policy: defaultPolicy(),
    dryRun: false,
    killSwitch: false,
    appId: sandbox.appId,
    onOwnWrite: async (w) => void ownWrites.push(w),
    ...opts.writeback,
  };
  const writeback = await createWriteback(base);
  await writeback.setup();
  const extra: WritebackService[] = [];
  return {
    sandbox,
    gateway,
    sql,
    writeback,
    ownWrites,
    another: async (o) => {
      const s = await createWriteback({ ...base, ...o });
      extra.push(s);
      return s;
    },
    close: async () => {
      for (const s of extra) await s.close();
      await writeback.close();
      if (opts.databaseUrl && opts.schema) await dropSchema(sql, opts.schema);
      await sql.close();
      await gateway.close();
      await sandbox.close();
      tmp.cleanup();
    },
  };
}

async function dropSchema(sql: SqlHandle, schema: string): Promise<void> {
  const { sql: raw } = await import('kysely');
  await raw.raw(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).execute(sql.db);
}

let seq = 0;

/** The account a record rolls up to (its first, by HubSpot's associations): what a proposal on it names. */
export async function accountOf(h: Pick<Harness, 'gateway'>, objectType: RecordType, objectId: string): Promise<string> {
  const [account] = await h.gateway.accountsOf(objectType, objectId);
  if (!account) throw new Error(`${objectType} ${objectId} belongs to no account`);
  return account;
}

/** A proposal as an agent would make it; ids are deterministic per run, agent, target and field. */
export function proposal(p: Partial<Proposal> & { target: { objectType: RecordType; objectId: string } }): Proposal {
  const runId = p.runId ?? 'run-1';
  const agent = p.agent ?? 'call_summary';
  const kind = p.kind ?? 'property';
  const field = kind === 'property' ? (p.field ?? 'ai_summary') : null;
  return {
    id: p.id ?? `${runId}:${agent}:${p.target.objectType}/${p.target.objectId}:${field ?? kind}`,
    // The harness sandbox's portal: the write-back refuses proposals made for another portal.
    portalId: String(DEFAULT_PORTAL_ID),
    accountId: p.target.objectId,
    runId,
    kind,
    field,
    value: 'The customer asked for a proposal by Friday.',
    confidence: 0.9,
    evidence: ['chunk-1', 'chunk-2'],
    agent,
    promptVersion: 'v1',
    model: 'offline-extractive-v1',
    createdAt: new Date().toISOString(),
    ...p,
  };
}

export function trace(runId = 'run-1', agent: Proposal['agent'] = 'call_summary'): GenerationTrace {
  seq += 1;
  return {
    agent,
    runId,
    provider: 'offline',
    model: 'offline-extractive-v1',
    promptVersion: 'v1',
    prompt: `Summarize the call. Contact: jane.doe@example.com, +1 415 555 0134. (#${seq})`,
    response: '{"summary":"..."}',
    usage: { inputTokens: 100, outputTokens: 20, costUsd: 0 },
    inputs: { recordIds: ['companies:1'], chunkIds: ['chunk-1', 'chunk-2'] },
    startedAt: new Date().toISOString(),
    finishedAt: new Date().toISOString(),
  };
}

/** Reads properties straight from the sandbox over HTTP (what a person would see in HubSpot). */
export async function readProps(h: Harness, type: RecordType, id: string, props: string[]): Promise<Record<string, string | null>> {
  const [o] = await h.gateway.batchRead(type, [id], { properties: props });
  if (!o) throw new Error(`${type}/${id} not found`);
  return Object.fromEntries(props.map((p) => [p, o.properties[p] ?? null]));
}

export async function humanEdit(h: Harness, objectType: RecordType, objectId: string, properties: Record<string, string>): Promise<void> {
  const res = await fetch(`${h.sandbox.url}/_sandbox/simulate/human-edit`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ objectType, objectId, properties }),
  });
  if (!res.ok) throw new Error(`human-edit failed: ${res.status} ${await res.text()}`);
}

export async function firstIds(h: Harness, type: RecordType, n: number): Promise<string[]> {
  const page = await h.gateway.listObjects(type, { limit: n });
  return page.results.slice(0, n).map((r) => r.id);
}
