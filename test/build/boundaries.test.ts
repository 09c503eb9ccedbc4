import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { cruise, type ICruiseResult, type IForbiddenRuleType } from 'dependency-cruiser';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDir } from '../support/tmp.ts';

/**
 * The boundary rules (.dependency-cruiser.cjs, run by `npm run lint`) can fail: each rule is shown rejecting an
 * import it exists to forbid, first in a copy of the real src/ with one upward import added, then in small trees.
 */
const config = createRequire(import.meta.url)(path.resolve('.dependency-cruiser.cjs')) as { forbidden: IForbiddenRuleType[] };
const tmp = tempDir('hsai-boundaries-');
afterAll(() => tmp.cleanup());

async function violations(dir: string): Promise<string[]> {
  const result = await cruise(['src'], {
    baseDir: dir,
    validate: true,
    ruleSet: { forbidden: config.forbidden },
    includeOnly: '^src/',
    tsPreCompilationDeps: true,
    doNotFollow: { path: 'node_modules' },
  });
  const output = result.output as ICruiseResult;
  return output.summary.violations.map((v) => `${v.rule.name}: ${v.from} → ${v.to}`);
}

function tree(name: string, files: Record<string, string>): string {
  const dir = path.join(tmp.dir, name);
  for (const [file, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    fs.writeFileSync(path.join(dir, file), text);
  }
  return dir;
}

describe('boundary rules', () => {
  it('reject one upward import added to the real sources (config importing the API)', async () => {
    const dir = path.join(tmp.dir, 'real');
    fs.cpSync('src', path.join(dir, 'src'), { recursive: true });
    const file = path.join(dir, 'src/config/config.ts');
    fs.writeFileSync(file, `import type { AppDeps } from '../api/app.ts';\nexport type Upward = AppDeps;\n${fs.readFileSync(file, 'utf8')}`);
    const found = await violations(dir);
    // The upward import also closes cycles (the API imports config): those are reported as cycles, nothing else.
    expect(found.filter((v) => !v.startsWith('no-folder-cycles: '))).toEqual(['layer-config: src/config/config.ts → src/api/app.ts']);
    expect(found.filter((v) => v.startsWith('no-folder-cycles: ')).every((v) => v.includes('src/api/'))).toBe(true);
  }, 300_000);

  it('reject each forbidden kind of import, and allow the downward ones', async () => {
    const dir = tree('small', {
      'src/config/schema.ts': 'export const s = 1;\n',
      'src/api/app.ts': "import { s } from '../config/schema.ts';\nexport const app = s;\n",
      'src/core/objects.ts': 'export const o = 1;\n',
      'src/text/chunker.ts': "import { o } from '../core/objects.ts';\nexport const c = o;\n",
      'src/ingest/indexer.ts': "import { c } from '../text/chunker.ts';\nimport { r } from '../retrieval/store.ts';\nexport const i = c + r;\n",
      'src/retrieval/store.ts': 'export const r = 1;\n',
      'src/retrieval/upward.ts': "import { i } from '../ingest/indexer.ts';\nexport const u = i;\n",
      'src/sandbox/portal.ts': "import { o } from '../core/objects.ts';\nexport const p = o;\n",
      'src/webhooks/schema.ts': "import type { Job } from '../queue/jobs.ts';\nexport type W = Job;\n",
      'src/queue/jobs.ts': 'export interface Job { id: string }\n',
      'src/agents/a.ts': "import { b } from './b.ts';\nexport const a = () => b;\n",
      'src/agents/b.ts': "import { a } from './a.ts';\nexport const b = () => a;\n",
      'src/newthing/x.ts': "import { o } from '../core/objects.ts';\nexport const x = o;\n",
    });
    const found = await violations(dir);
    // A cycle is reported once, from whichever of its files the cruiser meets first.
    expect(found.filter((v) => v.startsWith('no-folder-cycles: '))).toHaveLength(1);
    expect(found.find((v) => v.startsWith('no-folder-cycles: '))).toMatch(/^no-folder-cycles: src\/agents\/[ab]\.ts → src\/agents\/[ab]\.ts$/);
    expect(found.filter((v) => !v.startsWith('no-folder-cycles: ')).sort()).toEqual(
      [
        'layer-retrieval: src/retrieval/upward.ts → src/ingest/indexer.ts',
        'sandbox-stands-alone: src/sandbox/portal.ts → src/core/objects.ts',
        'webhooks-below-queue: src/webhooks/schema.ts → src/queue/jobs.ts',
        'unknown-module: src/newthing/x.ts → src/core/objects.ts',
      ].sort(),
    );
  }, 120_000);
});
