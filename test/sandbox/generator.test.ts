import { describe, expect, it } from 'vitest';
import { generatePortal } from '../../src/sandbox/index.ts';
import { auc, expectedAuc, pWin } from '../../src/sandbox/lead-model.ts';

describe('generatePortal', () => {
  const portal = generatePortal({ seed: 7, companies: 40 });
  const truth = portal.groundTruth;
  const byRef = new Map<string, { properties: Record<string, string> }>();
  for (const [type, list] of Object.entries(portal.objects)) for (const o of list) byRef.set(`${type}:${o.id}`, o);

  it('is deterministic for a seed and size, and differs across seeds', () => {
    expect(JSON.stringify(generatePortal({ seed: 7, companies: 40 }))).toBe(JSON.stringify(portal));
    expect(JSON.stringify(generatePortal({ seed: 8, companies: 40 }).objects.companies)).not.toBe(JSON.stringify(portal.objects.companies));
  });

  it('reports counts, accounts and company-less contacts that match the objects', () => {
    for (const [type, list] of Object.entries(portal.objects)) expect(truth.counts[type as keyof typeof truth.counts]).toBe(list.length);
    expect(truth.companies).toHaveLength(40);
    expect(truth.accounts).toBe(40 + truth.contactsWithoutCompany.length);
    const share = truth.contactsWithoutCompany.length / truth.counts.contacts;
    expect(share).toBeGreaterThan(0.03);
    expect(share).toBeLessThan(0.08);
    const linkedToCompany = new Set(portal.associations.filter(([a, , b]) => a === 'contacts' && b === 'companies').map(([, id]) => id));
    for (const id of truth.contactsWithoutCompany) expect(linkedToCompany.has(id)).toBe(false);
    expect(truth.nonEmptySources.note).toBeLessThan(truth.counts.notes);
  });

  it('gives companies distinct segments and keeps timestamps in the two years before 2026', () => {
    expect(new Set(truth.companies.map((c) => c.segment)).size).toBeGreaterThan(6);
    for (const list of Object.values(portal.objects)) {
      for (const o of list) {
        expect(o.createdAt).toBeGreaterThanOrEqual(Date.UTC(2024, 0, 1));
        expect(o.createdAt).toBeLessThan(Date.UTC(2026, 0, 1));
      }
    }
  });

  it('plants the edge cases it reports', () => {
    const e = truth.edgeCases;
    expect(byRef.get(`calls:${e.longTranscriptCallId}`)!.properties.hs_call_body!.length).toBeGreaterThan(60_000);
    expect(byRef.get(`calls:${e.longTranscriptCallId}`)!.properties.hs_call_body).toMatch(/^\[00:00:00\] .+ \(.+\): /);
    expect(e.emptyBodyIds.some((r) => r.startsWith('notes:'))).toBe(true);
    for (const ref of e.emptyBodyIds.filter((r) => r.startsWith('notes:'))) expect(byRef.get(ref)!.properties.hs_note_body).toBe('');
    expect(e.nonEnglishIds.length).toBeGreaterThan(0);
    expect(byRef.get(`emails:${e.forwardedEmailIds[0]}`)!.properties.hs_email_text).toContain('---------- Forwarded message ---------');
    expect(byRef.get(`emails:${e.quotedReplyEmailIds[0]}`)!.properties.hs_email_text).toMatch(/wrote:\n> /);
    expect(byRef.get(`emails:${e.htmlEmailIds[0]}`)!.properties.hs_email_html).toContain('<p>');
    expect(truth.injections.some((i) => i.objectType === 'emails')).toBe(true);
    expect(truth.injections.some((i) => i.objectType === 'notes')).toBe(true);
    for (const inj of truth.injections) {
      const o = byRef.get(`${inj.objectType}:${inj.id}`)!;
      expect(o.properties.hs_email_text ?? o.properties.hs_note_body).toContain(inj.instruction);
    }
  });

  it('records call facts whose key terms are said in the transcript, in both text styles', () => {
    expect(truth.calls.length).toBe(truth.counts.calls);
    const norm = (t: string) => ` ${t.toLowerCase().replace(/[^\p{L}\p{N}']+/gu, ' ')}`;
    for (const p of [portal, generatePortal({ seed: 7, companies: 40, style: 'test' })]) {
      const refs = new Map(p.objects.calls.map((o) => [o.id, norm(o.properties.hs_call_body ?? '')]));
      for (const c of p.groundTruth.calls) {
        const body = refs.get(c.id)!;
        for (const l of [...c.labels.nextSteps, ...c.labels.objections, ...c.labels.distractors]) for (const t of l.terms) for (const w of norm(t).trim().split(' ')) expect(body).toContain(` ${w}`);
        for (const comp of c.competitors) expect(body).toContain(comp.toLowerCase());
        expect(c.labels.style).toBe(p.groundTruth.style);
      }
    }
  });

  it('writes the test style apart: other actions, noise, distractors and languages, and no dev action', () => {
    const t = generatePortal({ seed: 11, companies: 60, style: 'test' }).groundTruth;
    const labels = t.calls.map((c) => c.labels);
    const devGists = new Set(truth.calls.flatMap((c) => c.nextSteps));
    expect(t.calls.flatMap((c) => c.nextSteps).some((g) => devGists.has(g))).toBe(false);
    expect(labels.some((l) => l.noisy)).toBe(true);
    expect(new Set(labels.flatMap((l) => l.distractors.map((d) => d.kind)))).toEqual(new Set(['negated', 'cancelled', 'past', 'hypothetical']));
    expect(new Set(labels.flatMap((l) => l.nextSteps.map((n) => n.kind)))).toEqual(expect.objectContaining({}));
    expect(labels.some((l) => l.nextSteps.some((n) => n.kind === 'two-turn'))).toBe(true);
    expect(labels.some((l) => l.language !== 'en')).toBe(true);
  });

  it('gives every company a hidden need cluster, independent of its segment, that no CRM field names', () => {
    expect(new Set(truth.companies.map((c) => c.needCluster)).size).toBeGreaterThan(3);
    const clusters = new Set(truth.companies.map((c) => c.needCluster as string));
    for (const c of portal.objects.companies) for (const v of Object.values(c.properties)) expect(clusters.has(v.toLowerCase())).toBe(false);
  });

  it('has evidence whose sources exist and share key terms with the query', () => {
    expect(new Set(truth.evidence.map((e) => e.accountId)).size).toBeGreaterThanOrEqual(40);
    for (const ev of truth.evidence) {
      for (const ref of ev.sourceIds) expect(byRef.has(ref)).toBe(true);
      const text = ev.sourceIds.map((r) => Object.values(byRef.get(r)!.properties).join(' ')).join(' ').toLowerCase();
      const words = ev.query.toLowerCase().split(/[^a-z0-9]+/).filter((w) => w.length > 4);
      expect(words.some((w) => text.includes(w)), `${ev.task} ${ev.query} → ${ev.sourceIds.join(',')}`).toBe(true);
    }
  });

  it('makes a whale account with hundreds of long sources', () => {
    expect(truth.whaleAccountIds).toHaveLength(1);
    const whale = truth.whaleAccountIds[0]!;
    const engagements = portal.associations.filter(([a, , b, id]) => b === 'companies' && id === whale && a !== 'contacts' && a !== 'deals' && a !== 'tickets');
    expect(engagements.length).toBeGreaterThan(600);
  });

  it('draws deal outcomes from the documented logistic model, with label noise', () => {
    const { leadModel, deals } = truth;
    for (const d of deals) expect(d.pWin).toBeCloseTo(pWin(d.features), 3);
    for (const d of deals) expect(d.pRecordedWin).toBeCloseTo(leadModel.labelNoise + (1 - 2 * leadModel.labelNoise) * d.pWin, 3);
    expect(deals.every((d) => d.outcome !== 'open' || !d.flipped)).toBe(true);
    expect(leadModel.bayesAuc).toBeGreaterThan(0.5);
    expect(leadModel.closedDeals).toBe(deals.filter((d) => d.outcome !== 'open').length);
    expect(deals.every((d) => (d.outcome === 'won') === (d.stage === 'closedwon'))).toBe(true);
  });
});

describe('lead model AUC', () => {
  it('computes the Mann-Whitney AUC with ties', () => {
    expect(auc([0.1, 0.4, 0.35, 0.8], [false, false, true, true])).toBe(0.75);
    expect(auc([0.5, 0.5], [true, false])).toBe(0.5);
  });

  it('computes the expected AUC of ranking by the true probabilities', () => {
    // Two deals, p = 0.9 and 0.1: the pair counts when exactly one is won; ranking is right with 0.81/(0.81+0.01).
    expect(expectedAuc([0.9, 0.1])).toBeCloseTo(0.81 / 0.82, 6);
    expect(expectedAuc([0.3, 0.3, 0.3])).toBeCloseTo(0.5, 6);
  });
});
