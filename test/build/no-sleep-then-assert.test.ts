import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * Tests wait on events or poll with a deadline; they never sleep and then assert (that passes on an idle machine
 * and fails on a busy one, or asserts nothing at all). A sleep is allowed only where nothing is asserted after it in
 * its block: the wait at the end of a poll loop's body, or a cap in a race.
 */

/** An awaited statement that only waits for time to pass. */
const SLEEP = /^\s*await\s+(?:new\s+Promise\b[^;]*\bsetTimeout\s*\(|(?:sleep|delay|wait|setTimeout|scheduler\.wait)\s*\()/;
const ASSERTION = /\bexpect\s*\(|\bassert(?:\.\w+)?\s*\(|\.toBe\w*\(|\.toEqual\(/;

interface SleepThenAssert {
  line: number;
  sleep: string;
  assertion: string;
}

/** Every awaited sleep followed, later in the same block, by an assertion. */
function sleepsThenAsserts(source: string): SleepThenAssert[] {
  const lines = source.split('\n');
  const found: SleepThenAssert[] = [];
  lines.forEach((text, i) => {
    if (!SLEEP.test(text)) return;
    // Walk the rest of the block the sleep is in: it ends when a brace closes below the sleep's own depth.
    let depth = 0;
    for (let j = i + 1; j < lines.length; j++) {
      const next = lines[j]!.replace(/\/\/.*$/, '');
      for (const ch of next) {
        if (ch === '{' || ch === '(' || ch === '[') depth++;
        else if (ch === '}' || ch === ')' || ch === ']') depth--;
        if (depth < 0) return;
      }
      if (ASSERTION.test(next)) {
        found.push({ line: i + 1, sleep: text.trim(), assertion: next.trim() });
        return;
      }
    }
  });
  return found;
}

function testFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return testFiles(p);
    return /\.(ts|js|mjs)$/.test(e.name) ? [p] : [];
  });
}

describe('no test sleeps and then asserts', () => {
  it('the checker flags a sleep before an assertion and allows a poll loop, a race cap and a sleep with nothing after it', () => {
    const bad = [
      "it('x', async () => {",
      '  await queue.enqueue(job);',
      '  await new Promise((r) => setTimeout(r, 500));',
      '  expect(await queue.stats()).toMatchObject({ active: 0 });',
      '});',
      "it('y', async () => {",
      '  await sleep(200);',
      '  const s = await stats();',
      '  expect(s.done).toBe(1);',
      '});',
    ].join('\n');
    expect(sleepsThenAsserts(bad).map((f) => f.line)).toEqual([3, 7]);

    const good = [
      'async function waitFor(cond: () => Promise<boolean>, ms: number): Promise<void> {',
      '  const deadline = Date.now() + ms;',
      '  while (!(await cond())) {',
      "    if (Date.now() > deadline) throw new Error('timed out');",
      '    await new Promise((r) => setTimeout(r, 20));',
      '  }',
      '}',
      "it('z', async () => {",
      '  await waitFor(async () => (await stats()).done === 1, 30_000);',
      '  await Promise.race([server.close(), new Promise((r) => setTimeout(r, 2_000).unref())]);',
      '  expect(await stats()).toMatchObject({ done: 1 });',
      '});',
    ].join('\n');
    expect(sleepsThenAsserts(good)).toEqual([]);
  });

  it('holds for every file under test/', () => {
    const offenders = testFiles('test').flatMap((file) =>
      sleepsThenAsserts(fs.readFileSync(file, 'utf8')).map((f) => `${file}:${f.line}: ${f.sleep} … ${f.assertion}`),
    );
    expect(offenders).toEqual([]);
  });
});
