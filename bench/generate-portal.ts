/**
 * `npm run bench:sandbox`: how long the sandbox generator takes for a portal of N companies with full history
 * (default 2,000), and that the same seed gives identical data.
 */
import { createHash } from 'node:crypto';
import { generatePortal } from '../src/sandbox/index.ts';

const companies = Number(process.env.BENCH_COMPANIES ?? 2000);
const digest = (p: unknown) => createHash('sha256').update(JSON.stringify(p)).digest('hex').slice(0, 16);

const t = performance.now();
const portal = generatePortal({ seed: 7, companies });
const ms = performance.now() - t;
const objects = Object.values(portal.groundTruth.counts as Record<string, number>).reduce((a, b) => a + b, 0);
const again = digest(generatePortal({ seed: 7, companies }));
console.log(`${companies} companies: ${objects} objects generated in ${(ms / 1000).toFixed(2)} s; same seed twice identical: ${digest(portal) === again}`);
