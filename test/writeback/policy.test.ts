import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { defaultPolicy, fieldRule, loadPolicy, PolicyError } from '../../src/writeback/policy.ts';
import { redactPersonalData } from '../../src/writeback/redact.ts';
import { tempDir } from '../support/tmp.ts';

describe('policy file', () => {
  const tmp = tempDir('hsai-policy-');
  afterAll(() => tmp.cleanup());
  const write = (name: string, text: string) => {
    const file = path.join(tmp.dir, name);
    fs.writeFileSync(file, text);
    return file;
  };

  it('documents its defaults: ai_* auto, core fields review, everything else deny', () => {
    const p = defaultPolicy();
    expect(fieldRule(p, 'contacts', 'ai_lead_score')).toEqual({ mode: 'auto', confidenceThreshold: 0.6 });
    for (const f of ['lifecyclestage', 'hs_lead_status', 'dealstage', 'pipeline', 'hubspot_owner_id', 'amount', 'closedate']) {
      expect(fieldRule(p, 'deals', f)?.mode).toBe('review');
    }
    expect(fieldRule(p, 'companies', 'domain')).toBeUndefined();
    expect(fieldRule(p, 'tickets', 'ai_summary')).toBeUndefined();
    expect(p.notes.mode).toBe('auto');
    expect(p.tasks.mode).toBe('deny');
    expect(p.overwriteHumanValues).toBe(false);
  });

  it('loads the shipped example, which restates the defaults', () => {
    const example = loadPolicy(new URL('../../src/writeback/policy.example.yaml', import.meta.url).pathname);
    expect(example).toEqual(defaultPolicy());
  });

  it('loads YAML and JSON, merging a file over the defaults', () => {
    const yaml = loadPolicy(write('p.yaml', 'objects:\n  deals:\n    fields:\n      ai_summary: { mode: review }\n      hubspot_owner_id: { mode: deny }\ntasks: { mode: review }\n'));
    expect(fieldRule(yaml, 'deals', 'ai_summary')?.mode).toBe('review');
    expect(fieldRule(yaml, 'deals', 'ai_lead_score')?.mode).toBe('auto');
    expect(fieldRule(yaml, 'deals', 'hubspot_owner_id')?.mode).toBe('deny');
    expect(yaml.tasks).toEqual({ mode: 'review', confidenceThreshold: 0.5 });
    const json = loadPolicy(write('p.json', JSON.stringify({ killSwitch: true, breaker: { maxAutoWritesPerMinute: 5 } })));
    expect(json.killSwitch).toBe(true);
    expect(json.breaker).toEqual({ maxAutoWritesPerMinute: 5, maxObjectFractionPerHour: 0.2, fractionMinRecords: 50 });
  });

  it('fails with every problem, naming the file and the key', () => {
    const file = write('bad.yaml', 'defaultConfidenceThreshold: 1.5\nobjects:\n  deals:\n    fields:\n      amount: { mode: auto }\n      ai_x: { mode: sometimes }\nunknownKey: 1\n');
    let err: unknown;
    try {
      loadPolicy(file);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(PolicyError);
    const msg = (err as PolicyError).message;
    expect(msg).toContain(file);
    expect(msg).toMatch(/defaultConfidenceThreshold: must be between 0 and 1/);
    expect(msg).toMatch(/objects\.deals\.fields\.amount\.mode: "amount" is a protected field/);
    expect(msg).toMatch(/objects\.deals\.fields\.ai_x\.mode/);
    expect(msg).toMatch(/unknownKey/);
    expect(() => loadPolicy(path.join(tmp.dir, 'missing.yaml'))).toThrow(/Cannot read POLICY_FILE .*ENOENT/);
    expect(() => loadPolicy(write('broken.json', '{"killSwitch": tru'))).toThrow(/is not valid JSON/);
  });
});

describe('prompt redaction', () => {
  it('masks e-mail addresses and phone numbers, keeps ids, dates and amounts', () => {
    const text = 'Mail jane.doe@example.com or call +1 (415) 555-0134 / 030 1234 5678. Deal 100045, due 2026-03-01, $12,500.';
    expect(redactPersonalData(text)).toBe('Mail [email] or call [phone] / [phone]. Deal 100045, due 2026-03-01, $12,500.');
  });
});
