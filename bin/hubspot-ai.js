#!/usr/bin/env node
// In a checkout the command runs the TypeScript sources through tsx, so a fresh clone needs `npm ci` and nothing
// else; an installed package (which ships only the compiled JavaScript) runs dist/ like the container image.
import fs from 'node:fs';
import { adoptRestart, runWithFlags, serveNodeFlags } from './node-flags.js';

// `serve` runs with the V8 flags its latency was measured with: started without them, it starts itself once more
// with them (node-flags.js). Every other command runs here, as it is.
let flags = [];
try {
  flags = serveNodeFlags(process.argv, process.execArgv, process.env);
} catch (err) {
  process.stderr.write(`hubspot-ai: ${err.message}\n`);
  process.exit(3); // invalid configuration
}
if (flags.length > 0) {
  await runWithFlags(flags);
} else {
  adoptRestart(process.env);
  const sources = new URL('../src/cli.ts', import.meta.url);
  if (fs.existsSync(sources)) {
    const { register } = await import('tsx/esm/api');
    register();
    const { main } = await import(sources.href);
    await main(process.argv);
  } else {
    const { main } = await import('../dist/cli.js');
    await main(process.argv);
  }
}
