import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { API_NODE_FLAGS } from '../../src/runtime/api-node-flags.ts';

/**
 * The API process's V8 flags are written in three places (the container's ENTRYPOINT, `npm start`, and
 * bench:webhooks through API_NODE_FLAGS): the bench must measure the flags that are deployed, and Node must
 * accept them (an unknown V8 flag stops `node` before it runs anything).
 */
describe('API process V8 flags', () => {
  it('the container ENTRYPOINT starts node with exactly API_NODE_FLAGS', () => {
    const line = fs.readFileSync('Dockerfile', 'utf8').split('\n').find((l) => l.startsWith('ENTRYPOINT'));
    const argv = JSON.parse(line!.slice('ENTRYPOINT'.length)) as string[];
    expect(argv).toEqual(['node', ...API_NODE_FLAGS, 'dist/main.js']);
  });

  it('npm start passes exactly API_NODE_FLAGS', () => {
    const pkg = JSON.parse(fs.readFileSync('package.json', 'utf8')) as { scripts: Record<string, string> };
    expect(pkg.scripts.start).toBe(`node ${API_NODE_FLAGS.join(' ')} bin/hubspot-ai.js serve`);
  });

  it('this Node accepts them and applies the young-generation size', () => {
    const probe = "console.log(require('node:v8').getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size)";
    const run = spawnSync(process.execPath, [...API_NODE_FLAGS, '-e', probe], { encoding: 'utf8' });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const semi = Number(/--min-semi-space-size=(\d+)/.exec(API_NODE_FLAGS.join(' '))![1]);
    expect(Number(run.stdout.trim())).toBeGreaterThanOrEqual(semi * 1024 * 1024);
  });
});
