#!/usr/bin/env node
// In a checkout the command runs the TypeScript sources through tsx, so a fresh clone needs `npm ci` and nothing
// else; an installed package (which ships only the compiled JavaScript) runs dist/ like the container image.
import fs from 'node:fs';

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
