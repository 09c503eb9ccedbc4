// The V8 flags `serve` runs with, however it was started.
//
// `serve` acknowledges webhooks; its latency was measured with these flags (src/runtime/api-node-flags.ts says why
// and what they changed; test/cli/serve-node-flags.test.ts keeps the two lists equal). `npm start` and the
// container image put them on node's command line. Started by hand (`npx hubspot-ai serve`, `node
// bin/hubspot-ai.js serve`) the process would run without them, and there is no later way in: V8 sizes its young
// generation when the process starts, and node refuses both flags in NODE_OPTIONS. So the bin starts `serve` once
// more, as a child with the flags, and passes signals and the exit status through. Other commands never pay for it.
import { spawn } from 'node:child_process';
import os from 'node:os';

export const SERVE_NODE_FLAGS = ['--min-semi-space-size=16', '--heap-growing-percent=100'];

/** `SERVE_V8_FLAGS=0` keeps a hand-started `serve` on node's own settings (no second process). */
export const OPT_OUT_ENV = 'SERVE_V8_FLAGS';

// Set in the restarted process only (and removed there at once, so serve's worker process does not inherit it).
const RESTARTED_ENV = 'HUBSPOT_AI_RESTARTED_WITH_FLAGS';

// Flags by which the operator already chose the young generation or the heap's growth: their choice stands.
const CHOSEN = /^--(min|max)[-_]semi[-_]space[-_]size\b|^--semi[-_]space[-_]growth[-_]factor\b|^--heap[-_]growing[-_]percent\b/;

/**
 * The flags to restart with: none unless the command is `serve` (not its --help), the process lacks them, the
 * operator chose none of their kind (node's own arguments, or NODE_OPTIONS' --max-semi-space-size), and
 * SERVE_V8_FLAGS is not 0. Throws on a SERVE_V8_FLAGS that is neither 1 nor 0.
 */
export function serveNodeFlags(argv, execArgv, env) {
  if (argv[2] !== 'serve' || argv.includes('--help') || argv.includes('-h')) return [];
  if (env[RESTARTED_ENV] === '1') return [];
  const optOut = env[OPT_OUT_ENV];
  if (optOut !== undefined && optOut !== '' && optOut !== '1' && optOut !== '0') {
    throw new RangeError(`${OPT_OUT_ENV} must be 1 (serve restarts itself with ${SERVE_NODE_FLAGS.join(' ')}) or 0 (node's defaults), not "${optOut}"`);
  }
  if (optOut === '0') return [];
  const given = [...execArgv, ...(env.NODE_OPTIONS ?? '').split(/\s+/)];
  if (given.some((a) => CHOSEN.test(a))) return [];
  return SERVE_NODE_FLAGS;
}

/**
 * In the restarted process: forget the marker, and stop gracefully (SIGTERM, as a supervisor would send) when the
 * process that started it is gone, even by kill -9, so no serve is left running without its parent.
 */
export function adoptRestart(env) {
  if (env[RESTARTED_ENV] !== '1') return;
  delete env[RESTARTED_ENV];
  if (typeof process.send !== 'function' || !process.channel) return;
  process.channel.unref();
  process.once('disconnect', () => process.kill(process.pid, 'SIGTERM'));
}

/**
 * Runs this same command line again with `flags` in front, and ends as that child ends (its exit code, or the
 * signal that ended it). The child gets its own process group, so a terminal's Ctrl-C reaches it once, through
 * here: every SIGINT, SIGTERM and SIGHUP this process receives is passed on, exactly once.
 */
export function runWithFlags(flags) {
  const child = spawn(process.execPath, [...flags, ...process.execArgv, process.argv[1], ...process.argv.slice(2)], {
    stdio: ['inherit', 'inherit', 'inherit', 'ipc'],
    env: { ...process.env, [RESTARTED_ENV]: '1' },
    detached: process.platform !== 'win32',
  });
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  const pass = (sig) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(sig);
  };
  for (const s of signals) process.on(s, pass);
  return new Promise(() => {
    child.once('error', (err) => {
      process.stderr.write(`hubspot-ai: could not start serve with ${flags.join(' ')}: ${err.message} (${OPT_OUT_ENV}=0 starts it without them)\n`);
      process.exit(1);
    });
    child.once('exit', (code, signal) => {
      for (const s of signals) process.off(s, pass);
      if (code !== null) process.exit(code);
      // Ended by a signal: end by the same one (without listeners now), as a shell expects; 128 + n if it survives.
      process.kill(process.pid, signal);
      process.exit(128 + (os.constants.signals[signal] ?? 0));
    });
  });
}
