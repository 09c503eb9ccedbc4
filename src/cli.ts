import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { AppError, ConfigError } from './errors.ts';
import { CliExit, EXIT } from './cli/exit-codes.ts';
import type { Dependency } from './runtime/preflight.ts';

/**
 * What each command needs reachable before it starts (only configured backends are checked; embedded ones need
 * nothing). `serve` leaves HubSpot out on purpose: acknowledging webhooks must not depend on HubSpot being up. The
 * commands that read only our own store (audit, index stats, jobs, portals) never ask HubSpot anything; the portal
 * they read is chosen as PORTAL_HELP says (cli/stored-portal.ts).
 */
const STORES: Dependency[] = ['redis', 'postgres', 'qdrant'];
const ALL: Dependency[] = [...STORES, 'hubspot'];
const PORTAL_HELP = 'HubSpot portal id; default: HUBSPOT_PORTAL_ID, else the one portal the store holds data of (with several, required)';

/**
 * `hubspot-ai`: the composition root's command line. Each command's implementation is imported when it runs,
 * so `--help` stays fast and the embedded default never loads optional backends.
 */
export function buildProgram(): Command {
  const program = new Command('hubspot-ai')
    .description('AI layer on top of HubSpot: webhooks, per-account history RAG, guarded write-back, similar accounts')
    .version('0.1.0')
    .showHelpAfterError('(run with --help for usage)')
    // Before any subcommand is added: subcommands copy this setting, so usage errors reach `main`.
    .exitOverride()
    // Commands are listed without "[options]" (each has its own --help): the longest term then leaves room for
    // commander to wrap the descriptions at 80 columns, which it does not do beside a term wider than 38.
    .configureHelp({ subcommandTerm: (cmd) => [cmd.name(), ...cmd.registeredArguments.map((a) => (a.required ? `<${a.name()}>` : `[${a.name()}${a.variadic ? '...' : ''}]`))].join(' ') })
    .addHelpText(
      'after',
      `
New here? \`hubspot-ai demo\` runs the whole product against a seeded sandbox.
Settings come from environment variables (README, "Configuration");
\`hubspot-ai config\` prints them. Unset backend URLs select the embedded
default (one SQLite file under DATA_DIR).
Exit codes: 0 ok, 1 failure, 2 usage, 3 invalid configuration, 4 dependency
unavailable, 5 stopped but resumable, 6 checks failed.`,
    );

  program
    .command('serve')
    .description('Run the HTTP API (and, with the embedded queue, the workers) until SIGINT/SIGTERM')
    .option('--no-workers', 'do not run workers in this process')
    .action(async (opts: { workers: boolean }) => runService(async () => (await import('./cli/serve.ts')).serveCommand(opts), STORES));

  program
    .command('worker')
    .description('Run job workers only (production, with REDIS_URL): ingest and generation jobs')
    .action(async () => runService(async () => (await import('./cli/serve.ts')).workerCommand(), ALL));

  program
    .command('sandbox')
    .description('Run the local HubSpot-compatible sandbox portal (see its --help)')
    .helpOption(false)
    .allowUnknownOption(true)
    .allowExcessArguments(true)
    .action(async () => run(async () => (await import('./cli/sandbox-entry.ts')).sandboxEntry(process.argv)));

  program
    .command('setup')
    .description('Create the ai_* property group and properties in HubSpot (idempotent)')
    .option('--json', 'print the result as JSON')
    .action(async (opts: { json?: boolean }) => run(async () => (await import('./cli/writeback.ts')).setupCommand(opts), ALL));

  program
    .command('backfill')
    .description('Index the whole portal (or records modified since a time) into the vector store; resumable')
    .option('--since <iso>', 'only records modified since this ISO time')
    .addOption(new Option('--concurrency <n>', 'account batches in flight').argParser(positiveInt).default(4))
    .option('--restart', 'ignore a saved checkpoint and start over')
    .option('--reindex', 'drop every vector first (after changing the embedding model) and rebuild the whole index')
    .option('--json', 'print the final summary as JSON')
    .addOption(new Option('--nice <n>', 'lower this process\'s CPU priority by n (0-19), so serving processes go first').argParser(niceValue).default(15))
    .action(async (opts: { since?: string; concurrency: number; restart?: boolean; reindex?: boolean; json?: boolean; nice: number }) =>
      run(async () => (await import('./cli/backfill.ts')).backfillCommand(opts), ALL),
    );

  const index = program.command('index').description('Inspect the index');
  index
    .command('stats')
    .description('Accounts, chunks and chunks by source type (reads the store only, never HubSpot)')
    .option('--portal <id>', PORTAL_HELP)
    .option('--json', 'print as JSON')
    .action(async (opts: { json?: boolean; portal?: string }) => run(async () => (await import('./cli/backfill.ts')).indexStatsCommand(opts), STORES));

  const jobs = program.command('jobs').description('Inspect and re-drive jobs');
  jobs
    .command('stats')
    .description('waiting, active, completed, failed, dead per job type')
    .option('--json', 'print as JSON')
    .action(async (opts: { json?: boolean }) => run(async () => (await import('./cli/jobs.ts')).jobsStatsCommand(opts), STORES));
  jobs
    .command('dead')
    .description('List dead-lettered jobs')
    .option('--json', 'print as JSON')
    .addOption(new Option('--limit <n>', 'how many').argParser(positiveInt).default(100))
    .action(async (opts: { json?: boolean; limit: number }) => run(async () => (await import('./cli/jobs.ts')).jobsDeadCommand(opts), STORES));
  jobs
    .command('retry')
    .description('Re-drive dead jobs: by id, or all with --all')
    .argument('[ids...]', 'dead job ids')
    .option('--all', 'every dead job')
    .action(async (ids: string[], opts: { all?: boolean }) => run(async () => (await import('./cli/jobs.ts')).jobsRetryCommand(ids, opts), STORES));

  const portals = program.command('portals').description('The HubSpot portals this deployment serves, and their data');
  portals
    .command('list')
    .description("Served, installed, uninstalled and purged portals, with what each store holds of them (a private app's portal: HubSpot is asked for at most 2 s)")
    .option('--json', 'print as JSON')
    .action(async (opts: { json?: boolean }) => run(async () => (await import('./cli/portals.ts')).portalsListCommand(opts), STORES));
  portals
    .command('add')
    .description('Serve a portal: prints its install link (OAuth mode) and clears an earlier purge record')
    .argument('<portalId>', 'HubSpot portal (hub) id')
    .option('--json', 'print as JSON')
    .action(async (id: string, opts: { json?: boolean }) => run(async () => (await import('./cli/portals.ts')).portalsAddCommand(id, opts), STORES));
  portals
    .command('remove')
    .description('Stop serving a portal (its tokens erased, its webhooks dropped); --purge also deletes its data')
    .argument('<portalId>', 'HubSpot portal (hub) id')
    .option('--purge', 'also delete everything held of the portal (as `portals purge`)')
    .option('--json', 'print as JSON')
    .action(async (id: string, opts: { purge?: boolean; json?: boolean }) => run(async () => (await import('./cli/portals.ts')).portalsRemoveCommand(id, opts), STORES));
  portals
    .command('purge')
    .description("Delete a portal's vectors, SQL rows, cache keys and queued jobs, then check that none is left")
    .argument('<portalId>', 'HubSpot portal (hub) id')
    .option('--yes', 'confirm: this cannot be undone')
    .option('--json', 'print as JSON')
    .action(async (id: string, opts: { yes?: boolean; json?: boolean }) => run(async () => (await import('./cli/portals.ts')).portalsPurgeCommand(id, opts), STORES));

  program
    .command('generate')
    .description('Run an agent for an account now and print its proposals and decisions')
    .argument('<agent>', 'call_summary | lead_score | reply_draft | account_summary | enrichment')
    .argument('<accountId>', 'company id or contact:<id>')
    .option('--dry-run', 'decide and audit, write nothing')
    .option('--json', 'print as JSON')
    .action(async (agent: string, accountId: string, opts: { dryRun?: boolean; json?: boolean }) =>
      run(async () => (await import('./cli/generate.ts')).generateCommand(agent, accountId, opts), ALL),
    );

  program
    .command('train-scorer')
    .description("Fit the lead scorer on the portal's closed deals; prints its held-out validation and stores it")
    .option('--json', 'print as JSON')
    .action(async (opts: { json?: boolean }) => run(async () => (await import('./cli/generate.ts')).trainScorerCommand(opts), ALL));

  const scorer = program.command('scorer').description('The lead scorer in production');
  scorer
    .command('report')
    .description('Live lead scores against the deals that closed after them: AUC, calibration, drift, retrain advice')
    .option('--json', 'print as JSON')
    .action(async (opts: { json?: boolean }) => run(async () => (await import('./cli/generate.ts')).scorerReportCommand(opts), ALL));

  const validate = program.command('validate').description("Validate the models' judgments against what happened later");
  validate
    .command('judgments')
    .description('Churn ratings against the deals that closed after them, next steps against the work logged after them')
    .option('--write', "store the result as this portal's validation record (it can only lower the stored bounds)")
    .option('--json', 'print as JSON')
    .action(async (opts: { write?: boolean; json?: boolean }) => run(async () => (await import('./cli/generate.ts')).validateJudgmentsCommand(opts), ALL));

  program
    .command('audit')
    .description('Print the audit log (reads the store only, never HubSpot)')
    .option('--portal <id>', PORTAL_HELP)
    .option('--json', 'print as JSON')
    .option('--object <type:id>', 'filter by target object, e.g. companies:42')
    .option('--agent <name>', 'filter by agent')
    .option('--decision <outcome>', 'apply | review | reject')
    .option('--since <iso>', 'entries at or after this time')
    .addOption(new Option('--limit <n>', 'how many').argParser(positiveInt).default(100))
    .action(async (opts: AuditOpts) => run(async () => (await import('./cli/writeback.ts')).auditCommand(opts), STORES));

  program
    .command('shadow-report')
    .description('Dry-run report: what the AI would have written next to what humans did')
    .option('--since <iso>', 'decisions at or after this time')
    .option('--json', 'print as JSON')
    .action(async (opts: { since?: string; json?: boolean }) => run(async () => (await import('./cli/writeback.ts')).shadowReportCommand(opts), ALL));

  program
    .command('undo')
    .description('Undo AI writes of a job (run) or since a time: restore previous values, archive AI notes and tasks')
    .option('--job <id>', 'the job/run id')
    .option('--since <iso>', 'every AI write at or after this time')
    .option('--dry-run', 'show what would be undone')
    .option('--json', 'print as JSON')
    .action(async (opts: { job?: string; since?: string; dryRun?: boolean; json?: boolean }) =>
      run(async () => (await import('./cli/writeback.ts')).undoCommand(opts), ALL),
    );

  program
    .command('demo')
    .description('Run the whole product on the embedded default against a seeded sandbox and print a report')
    .option('--exit', 'exit after the report (exit code 0 when everything worked)')
    .addOption(new Option('--port <n>', 'API port (0 = any free port)').argParser(nonNegativeInt).default(3000))
    .addOption(new Option('--companies <n>', 'sandbox size').argParser(positiveInt).default(80))
    .addOption(new Option('--whales <n>', 'accounts with a huge history (0 keeps a first run with a local CPU embedding model short)').argParser(nonNegativeInt).default(1))
    .action(async (opts: { exit?: boolean; port: number; companies: number; whales: number }) => run(async () => (await import('./cli/demo.ts')).demoCommand(opts)));

  program
    .command('doctor')
    .description('Check a real configuration: HubSpot token and scopes, webhook secret, ai_* properties, models, backends')
    .option('--json', 'print as JSON')
    .action(async (opts: { json?: boolean }) => run(async () => (await import('./cli/doctor.ts')).doctorCommand(opts)));

  program
    .command('config')
    .description('Print the parsed configuration (secrets masked) and the chosen backends')
    .action(async () =>
      run(async () => {
        const { loadConfig, redactedConfig } = await import('./config/config.ts');
        process.stdout.write(`${JSON.stringify(redactedConfig(loadConfig()), null, 2)}\n`);
      }),
    );

  return program;
}

interface AuditOpts {
  json?: boolean;
  portal?: string;
  object?: string;
  agent?: string;
  decision?: string;
  since?: string;
  limit: number;
}

function positiveInt(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a positive integer');
  return n;
}

function niceValue(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 19) throw new InvalidArgumentError('expected an integer from 0 to 19');
  return n;
}

function nonNegativeInt(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('expected a non-negative integer');
  return n;
}

/**
 * Runs a command body and turns its errors into a message and a meaningful exit code. `needs` are checked first,
 * before the command's modules load, so an unreachable dependency ends it within seconds with exit code 4.
 */
async function run(body: () => Promise<void | number>, needs: Dependency[] = []): Promise<void> {
  try {
    if (needs.length > 0) {
      const [{ loadConfig }, { preflight }] = await Promise.all([import('./config/config.ts'), import('./runtime/preflight.ts')]);
      await preflight(loadConfig(), needs);
    }
    const code = await body();
    if (typeof code === 'number') process.exitCode = code;
  } catch (err) {
    const { code, message } = describeFailure(err);
    process.stderr.write(`hubspot-ai: ${message}\n`);
    // A failed command ends now: a client library still retrying an unreachable backend must not keep it alive.
    process.exit(code);
  }
}

/**
 * For `serve` and `worker`: once they have shut down (or failed), the process ends, even if a library still holds
 * a socket or timer (an abandoned HubSpot call, a reconnecting client), so a stop never waits on those.
 */
async function runService(body: () => Promise<void | number>, needs: Dependency[]): Promise<void> {
  await run(body, needs);
  process.exit(typeof process.exitCode === 'number' ? process.exitCode : 0);
}

export function describeFailure(err: unknown): { code: number; message: string } {
  if (err instanceof CliExit) return { code: err.exitCode, message: err.message };
  if (err instanceof ConfigError) return { code: EXIT.CONFIG, message: err.message };
  if (err instanceof AppError) {
    if (/DAILY/.test(err.code)) return { code: EXIT.RESUMABLE, message: err.message };
    // The configured embedding model does not match the stored vectors: a configuration problem to fix.
    if (err.code === 'EMBEDDING_MODEL_CHANGED') return { code: EXIT.CONFIG, message: err.message };
    if (/AUTH|UNAVAILABLE|CONNECT|UNREACHABLE/.test(err.code)) return { code: EXIT.DEPENDENCY, message: err.message };
    // HubSpot kept failing (network, timeouts, 5xx) through every retry: a dependency unavailable, not our failure.
    if (err.code === 'HUBSPOT_TRANSIENT') return { code: EXIT.DEPENDENCY, message: err.message };
    return { code: EXIT.FAILURE, message: `${err.message} [${err.code}]` };
  }
  if (err instanceof Error) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ECONNREFUSED' || code === 'ENOTFOUND') return { code: EXIT.DEPENDENCY, message: err.message };
    return { code: EXIT.FAILURE, message: process.env.LOG_LEVEL === 'debug' ? (err.stack ?? err.message) : err.message };
  }
  return { code: EXIT.FAILURE, message: String(err) };
}

export async function main(argv: string[]): Promise<void> {
  ignoreClosedOutput();
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version end with code 0; usage errors with 2.
      process.exitCode = err.exitCode === 0 ? 0 : EXIT.USAGE;
      return;
    }
    throw err;
  }
}

/**
 * `hubspot-ai --help | head -3` closes the pipe before the output ends: a reader that stopped reading is not a
 * failure of the command, so EPIPE on stdout/stderr is ignored instead of crashing with an unhandled 'error' event.
 */
function ignoreClosedOutput(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EPIPE') throw err;
    });
  }
}
