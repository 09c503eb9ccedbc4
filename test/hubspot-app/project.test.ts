import fs from 'node:fs';
import path from 'node:path';
import { Components } from '@hubspot/project-parsing-lib/constants';
import { isKnownPlatformVersion, LATEST_SUPPORTED_PLATFORM_VERSION, parseProjectConfig } from '@hubspot/project-parsing-lib/projects';
import { mapToUserFacingType } from '@hubspot/project-parsing-lib/transform';
import { translate } from '@hubspot/project-parsing-lib/translate';
import { validateUid } from '@hubspot/project-parsing-lib/uid';
import { describe, expect, it } from 'vitest';
import { ACTIONS, COMMON_OUTPUTS, type ActionKey } from '../../src/actions/definitions.ts';
import { tempDir } from '../support/tmp.ts';

/**
 * The HubSpot developer project in hubspot/, checked offline with HubSpot's own parser (@hubspot/project-parsing-lib,
 * the library `hs project upload` uses): the project config, the platform version, every *-hsmeta.json parsed
 * into the intermediate representation, valid uids, each component in the directory its type requires, one app.
 * HubSpot's final JSON-schema check needs an account and HubSpot's servers (the library fetches the schemas), so
 * it runs at `hs project upload`; what can be checked here is, and broken copies prove each check can fail.
 * The workflow actions are also held to the service's own table (src/actions/definitions.ts).
 */

const PROJECT = path.resolve('hubspot');

interface Node {
  uid: string;
  componentType: string;
  config: Record<string, unknown>;
  metaFilePath: string;
}

function hsmetaFiles(src: string): string[] {
  return (fs.readdirSync(src, { recursive: true }) as string[]).filter((f) => f.endsWith('-hsmeta.json')).map((f) => f.split(path.sep).join('/')).sort();
}

/** Every problem HubSpot's parser and its structural rules find in a project directory. */
async function checkProject(dir: string): Promise<{ problems: string[]; nodes: Node[] }> {
  const problems: string[] = [];
  let config: { srcDir: string; platformVersion: string };
  try {
    config = parseProjectConfig(dir);
  } catch (err) {
    return { problems: [`hsproject.json: ${(err as Error).message}`], nodes: [] };
  }
  if (!isKnownPlatformVersion(config.platformVersion)) problems.push(`unknown platformVersion ${config.platformVersion}`);
  const src = path.join(dir, config.srcDir);
  const { intermediateRepresentation } = await translate({ projectSourceDir: src, platformVersion: config.platformVersion }, { skipValidation: true });
  const nodes = Object.values(intermediateRepresentation.intermediateNodesIndexedByUid) as unknown as Node[];
  const parsed = new Set(nodes.map((n) => n.metaFilePath));
  for (const file of hsmetaFiles(src)) if (!parsed.has(file)) problems.push(`${file}: not parsed (invalid JSON, or no uid/type)`);
  const singular = new Map<string, number>();
  for (const n of nodes) {
    const uidProblem = validateUid(n.uid);
    if (uidProblem) problems.push(`${n.metaFilePath}: ${uidProblem}`);
    if (!n.config) problems.push(`${n.metaFilePath}: no config`);
    const type = mapToUserFacingType(n.componentType);
    const component = (Components as Record<string, { dir: string; parentComponent?: string; singularComponent?: boolean } | undefined>)[type];
    if (!component) {
      problems.push(`${n.metaFilePath}: unsupported component type ${n.componentType}`);
      continue;
    }
    const parentDir = component.parentComponent ? ((Components as Record<string, { dir: string }>)[component.parentComponent]?.dir ?? '') : '';
    const expected = path.posix.join(parentDir, component.dir);
    if (path.posix.dirname(n.metaFilePath) !== expected) problems.push(`${n.metaFilePath}: a ${type} belongs in ${expected}/`);
    if (component.singularComponent) singular.set(type, (singular.get(type) ?? 0) + 1);
  }
  for (const [type, count] of singular) if (count > 1) problems.push(`${count} ${type} components: only one is allowed`);
  return { problems, nodes };
}

function copyProject(): { dir: string; cleanup: () => void } {
  const tmp = tempDir('hsai-hsproject-');
  fs.cpSync(PROJECT, tmp.dir, { recursive: true, filter: (f) => !f.includes('node_modules') });
  return tmp;
}

describe('HubSpot developer project (hubspot/)', () => {
  it("passes HubSpot's project parser: an app, the record card and the four workflow actions", async () => {
    const { problems, nodes } = await checkProject(PROJECT);
    expect(problems).toEqual([]);
    expect(LATEST_SUPPORTED_PLATFORM_VERSION).toBe('2026.03');
    expect(JSON.parse(fs.readFileSync(path.join(PROJECT, 'hsproject.json'), 'utf8')).platformVersion).toBe(LATEST_SUPPORTED_PLATFORM_VERSION);
    expect(nodes.map((n) => `${n.componentType}:${n.uid}`).sort()).toEqual([
      'APPLICATION:hubspot_ai_app',
      'CARD:ai_review_card',
      'WORKFLOW_ACTION:ai_action_draft_reply',
      'WORKFLOW_ACTION:ai_action_enrich_company',
      'WORKFLOW_ACTION:ai_action_score_lead',
      'WORKFLOW_ACTION:ai_action_summarize_call',
    ]);
    const card = nodes.find((n) => n.componentType === 'CARD')!;
    expect(card.config).toMatchObject({ location: 'crm.record.tab', entrypoint: '/app/cards/ReviewCard.tsx', objectTypes: ['contacts', 'companies', 'deals'] });
    expect(fs.existsSync(path.join(PROJECT, 'src', card.config.entrypoint as string))).toBe(true);
  });

  it('declares the workflow actions the service serves, with their outputs, and lets the card and actions reach the service', async () => {
    const { nodes } = await checkProject(PROJECT);
    const app = nodes.find((n) => n.componentType === 'APPLICATION')!;
    const permitted = (app.config.permittedUrls as { fetch: string[] }).fetch;
    const serviceUrl = /SERVICE_URL = '([^']+)'/.exec(fs.readFileSync(path.join(PROJECT, 'src/app/cards/ReviewCard.tsx'), 'utf8'))?.[1];
    expect(permitted).toContain(serviceUrl);
    const actions = nodes.filter((n) => n.componentType === 'WORKFLOW_ACTION');
    expect(actions).toHaveLength(Object.keys(ACTIONS).length);
    for (const node of actions) {
      const c = node.config as { actionUrl: string; objectTypes: string[]; outputFields: Array<{ typeDefinition: { name: string } }>; labels: { en: { actionName: string; outputFieldLabels: Record<string, string> } } };
      const key = /\/hubspot\/actions\/([a-z-]+)$/.exec(c.actionUrl)?.[1] as ActionKey;
      const def = ACTIONS[key];
      expect(def, c.actionUrl).toBeDefined();
      expect(new URL(c.actionUrl).origin).toBe(serviceUrl);
      expect(c.labels.en.actionName).toBe(def.name);
      expect(c.objectTypes.sort()).toEqual(Object.keys(def.objectTypes).sort());
      const outputs = c.outputFields.map((o) => o.typeDefinition.name).sort();
      expect(outputs).toEqual([...def.outputs, ...COMMON_OUTPUTS].sort());
      for (const o of outputs) expect(c.labels.en.outputFieldLabels[o], `${key}.${o} label`).toBeTruthy();
    }
  });

  it('finds the problems of broken copies (each check can fail)', async () => {
    const cases: Array<[string, (dir: string) => void, RegExp]> = [
      ['invalid JSON', (d) => fs.writeFileSync(path.join(d, 'src/app/cards/review-card-hsmeta.json'), '{ "uid": "ai_review_card", '), /review-card-hsmeta.json: not parsed/],
      ['a bad uid', (d) => edit(d, 'src/app/workflow-actions/score-lead-hsmeta.json', (j) => ({ ...j, uid: 'score lead!' })), /score-lead-hsmeta.json: .*uid/i],
      ['a card in the wrong folder', (d) => fs.renameSync(path.join(d, 'src/app/cards/review-card-hsmeta.json'), path.join(d, 'src/app/workflow-actions/review-card-hsmeta.json')), /a card belongs in app\/cards/],
      ['an unknown platform version', (d) => edit(d, 'hsproject.json', (j) => ({ ...j, platformVersion: '2019.1' })), /unknown platformVersion 2019.1/],
      ['a second app', (d) => fs.copyFileSync(path.join(d, 'src/app/app-hsmeta.json'), path.join(d, 'src/app/second-hsmeta.json')), /only one is allowed|duplicate|not parsed/i],
      ['no srcDir', (d) => edit(d, 'hsproject.json', (j) => ({ name: j.name, platformVersion: j.platformVersion })), /hsproject.json: .*srcDir/],
    ];
    for (const [what, breakIt, expected] of cases) {
      const copy = copyProject();
      try {
        breakIt(copy.dir);
        const result = await checkProject(copy.dir).catch((err: unknown) => ({ problems: [(err as Error).message], nodes: [] }));
        expect(result.problems.join('\n'), what).toMatch(expected);
      } finally {
        copy.cleanup();
      }
    }
  });
});

function edit(dir: string, file: string, change: (json: Record<string, unknown>) => Record<string, unknown>): void {
  const p = path.join(dir, file);
  fs.writeFileSync(p, JSON.stringify(change(JSON.parse(fs.readFileSync(p, 'utf8')) as Record<string, unknown>)));
}
