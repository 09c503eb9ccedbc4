#!/usr/bin/env node
// Runs the TypeScript sources directly (tsx), so a fresh clone needs `npm ci` and nothing else.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli.ts');
await main(process.argv);
