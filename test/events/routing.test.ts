import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_ROUTING, generationJobsFor, loadRoutingRules, RoutingConfigError } from '../../src/events/routing.ts';
import { tempDir } from '../support/tmp.ts';

const tmp = tempDir('hsai-routing-');
afterAll(() => tmp.cleanup());
const write = (name: string, text: string) => {
  const file = path.join(tmp.dir, name);
  fs.writeFileSync(file, text);
  return file;
};

describe('routing rules', () => {
  it('defaults: no file means the documented rules', () => {
    expect(loadRoutingRules(undefined)).toEqual(DEFAULT_ROUTING);
    const at = { portalId: '1', objectId: '1' };
    expect(generationJobsFor(DEFAULT_ROUTING, { ...at, objectType: 'emails', action: 'propertyChange', propertyName: 'hs_email_direction', propertyValue: 'EMAIL' })).toEqual([]);
    expect(generationJobsFor(DEFAULT_ROUTING, { ...at, objectType: 'emails', action: 'propertyChange', propertyName: 'hs_email_direction', propertyValue: 'INCOMING_EMAIL' })).toEqual(['generate.reply_draft']);
    expect(generationJobsFor(DEFAULT_ROUTING, { ...at, objectType: 'calls', action: 'propertyChange', propertyName: 'hs_call_body', propertyValue: '' })).toEqual([]);
    expect(generationJobsFor(DEFAULT_ROUTING, { ...at, objectType: 'deals', action: 'deletion' })).toEqual([]);
  });

  it('loads YAML and JSON files, keeping defaults for omitted keys', () => {
    const yaml = write('r.yaml', 'rules:\n  - name: only-deals\n    job: generate.account_summary\n    objectTypes: [deals]\n    actions: [creation, workflow]\n');
    const r = loadRoutingRules(yaml);
    expect(r.rules).toHaveLength(1);
    expect(generationJobsFor(r, { portalId: '1', objectId: '1', objectType: 'deals', action: 'workflow' })).toEqual(['generate.account_summary']);
    const json = write('r.json', JSON.stringify({ ingest: { objectTypes: ['companies'] } }));
    expect(loadRoutingRules(json)).toMatchObject({ ingest: { objectTypes: ['companies'] }, rules: DEFAULT_ROUTING.rules });
  });

  it('rejects an invalid file, saying where', () => {
    const bad = write('bad.yaml', 'rules:\n  - name: x\n    job: generate.poem\n    objectTypes: [deals]\n    actions: [creation]\n');
    expect(() => loadRoutingRules(bad)).toThrow(RoutingConfigError);
    expect(() => loadRoutingRules(bad)).toThrow(/rules\[0\]\.job/);
    expect(() => loadRoutingRules(write('broken.json', '{'))).toThrow(/not valid JSON/);
    expect(() => loadRoutingRules(path.join(tmp.dir, 'missing.yaml'))).toThrow(/cannot read/);
  });
});
