#!/usr/bin/env node
/**
 * The compiled command (`node dist/main.js serve`), as the container image runs it: no TypeScript at start-up.
 * In a checkout, `bin/hubspot-ai.js` runs the same `main` from the sources.
 */
import { main } from './cli.ts';

await main(process.argv);
