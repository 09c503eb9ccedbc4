import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { loadPrompt } from '../../src/agents/prompts.ts';

/**
 * What a judgment validation record was measured on, as code: a hash of the offline extractor's sources that decide
 * the judged fields (next steps, churn rating) and the ids of the judged agents' prompts. `npm run calibrate`
 * stores it in the record; test/agents/validation-record-fresh.test.ts fails when the code moved on since, so a
 * stored bound never describes an extractor or prompt that is no longer the one producing the judgments.
 */
export const JUDGED_SOURCES = [
  'src/agents/offline/call-summary.ts',
  'src/agents/offline/commitments.ts',
  'src/agents/offline/account-summary.ts',
  'src/agents/offline/cues.ts',
  'src/agents/offline/sentences.ts',
] as const;

export const JUDGED_PROMPTS = ['call_summary', 'account_summary'] as const;

export function judgmentCodeVersion(root = process.cwd()): string {
  const h = createHash('sha256');
  for (const file of JUDGED_SOURCES) h.update(`${file}\n`).update(fs.readFileSync(path.join(root, file), 'utf8').replace(/\r\n/g, '\n'));
  for (const name of JUDGED_PROMPTS) h.update(`prompt:${loadPrompt(name, { dir: path.join(root, 'prompts') }).id}\n`);
  return h.digest('hex').slice(0, 16);
}
