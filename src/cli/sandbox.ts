import { InvalidArgumentError, type Command } from 'commander';
import { createLogger } from '../logging.ts';

/** `hubspot-ai sandbox`: runs the local HubSpot-compatible portal until SIGINT/SIGTERM. */

function int(min: number) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) throw new InvalidArgumentError(`expected an integer ≥ ${min}`);
    return n;
  };
}

function collect(v: string, prev: string[]): string[] {
  return [...prev, v];
}

function parseScopedTokens(list: string[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const item of list) {
    const [token, scopes] = item.split('=');
    if (!token || scopes === undefined) throw new InvalidArgumentError(`--scoped-token takes TOKEN=scope,scope (got "${item}")`);
    out[token] = scopes.split(',').map((s) => s.trim()).filter(Boolean);
  }
  return out;
}

function rate(v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0 || n > 1) throw new InvalidArgumentError('expected a number between 0 and 1');
  return n;
}

function style(v: string): 'dev' | 'test' {
  if (v !== 'dev' && v !== 'test') throw new InvalidArgumentError('expected dev or test');
  return v;
}

interface SandboxCliOptions {
  port: number;
  host: string;
  seed: number;
  companies: number;
  style: 'dev' | 'test';
  token: string;
  rateLimit: number;
  searchRate: number;
  faultRate: number;
  latencyMs: number;
  webhookTarget?: string;
  clientSecret?: string;
  webhookBatchMs: number;
  dailyLimit: number;
  searchLagMs: number;
  scopedToken: string[];
  state?: string;
  json?: boolean;
}

export function registerSandboxCommand(program: Command): void {
  program
    .command('sandbox')
    .description('Serve a deterministic HubSpot-compatible portal (CRM v3 objects, associations v4, properties, webhooks)')
    .option('--port <n>', 'port to listen on (0 = random)', int(0), 4010)
    .option('--host <host>', 'interface to bind', '127.0.0.1')
    .option('--seed <n>', 'generator seed: same seed and size, identical data', int(0), 7)
    .option('--companies <n>', 'number of companies to generate', int(0), 300)
    .option('--style <style>', 'text style of the history: dev, or test (phrasings written apart, for evaluation)', style, 'dev')
    .option('--token <token>', 'the only accepted bearer token', process.env.HUBSPOT_ACCESS_TOKEN || 'sandbox-token')
    .option('--rate-limit <n>', 'requests per rolling 10 s per token (0 = off)', int(0), 190)
    .option('--search-rate <n>', 'search requests per second per token', int(1), 5)
    .option('--fault-rate <p>', 'share of requests answered 500/502/504 (seeded)', rate, 0)
    .option('--latency-ms <n>', 'added delay per request', int(0), 0)
    .option('--webhook-target <url>', 'deliver signed webhook batches to this URL')
    .option('--client-secret <secret>', 'app client secret used to sign webhooks', process.env.HUBSPOT_CLIENT_SECRET)
    .option('--webhook-batch-ms <n>', 'how long to gather events before a POST', int(0), 200)
    .option('--daily-limit <n>', 'requests per token per day (429 DAILY beyond it)', int(1), 250_000)
    .option('--search-lag-ms <n>', 'how long a change takes to become searchable, as in HubSpot', int(0), 1_000)
    .option('--scoped-token <token=scopes>', 'another accepted token with only these comma-separated scopes (repeatable)', collect, [])
    .option('--state <file>', 'persist the live portal to this JSON file on exit and restore it on start')
    .option('--json', 'print the start-up summary as JSON')
    .action(async (opts: SandboxCliOptions) => {
      if (opts.webhookTarget && !opts.clientSecret) throw new InvalidArgumentError('--webhook-target needs --client-secret');
      const { startSandbox } = await import('../sandbox/index.ts');
      const logger = createLogger(process.env.LOG_LEVEL ?? 'info', 'sandbox');
      const started = performance.now();
      const sb = await startSandbox({
        port: opts.port, host: opts.host, seed: opts.seed, companies: opts.companies, style: opts.style, token: opts.token, rateLimit: opts.rateLimit,
        searchRate: opts.searchRate, faultRate: opts.faultRate, latencyMs: opts.latencyMs, webhookBatchMs: opts.webhookBatchMs, logger,
        dailyLimit: opts.dailyLimit, searchLagMs: opts.searchLagMs, scopedTokens: parseScopedTokens(opts.scopedToken),
        ...(opts.webhookTarget ? { webhookTarget: opts.webhookTarget, clientSecret: opts.clientSecret } : {}),
        ...(opts.state ? { stateFile: opts.state } : {}),
      });
      const truth = sb.groundTruth();
      const summary = { url: sb.url, token: sb.token, portalId: sb.portalId, appId: sb.appId, seed: opts.seed, counts: truth.counts, accounts: truth.accounts, startupMs: Math.round(performance.now() - started) };
      if (opts.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
      else {
        process.stdout.write(
          [
            `Sandbox HubSpot portal ${sb.portalId} at ${sb.url} (seed ${opts.seed}, ready in ${summary.startupMs} ms)`,
            `  HUBSPOT_BASE_URL=${sb.url}`,
            `  HUBSPOT_ACCESS_TOKEN=${sb.token}`,
            `  HUBSPOT_APP_ID=${sb.appId}`,
            `  ${Object.entries(truth.counts).map(([k, v]) => `${k} ${v}`).join(', ')}; accounts ${truth.accounts}`,
            `  ground truth: ${sb.url}/_sandbox/ground-truth   (Ctrl-C to stop)`,
            '',
          ].join('\n'),
        );
      }
      await new Promise<void>((resolve) => {
        const stop = () => resolve();
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
      await sb.close();
    });
}
