import { describe, expect, it } from 'vitest';
import type { AccountHistory, EngagementType, HubSpotObject, ObjectType } from '../../src/core/objects.ts';
import { chunkDocument } from '../../src/text/chunker.ts';
import { documentsFromHistory, isEmptyDocument } from '../../src/text/documents.ts';
import { generatePortal } from '../../src/sandbox/index.ts';

/**
 * The sandbox portal's planted hard cases (the 60,000+ character transcript, empty bodies, non-English text,
 * HTML e-mails, quoted replies, forwards) through documentsFromHistory + chunkDocument.
 */
describe('normalization and chunking over the sandbox edge cases', () => {
  const portal = generatePortal({ seed: 7, companies: 12 });
  const truth = portal.groundTruth;
  const find = (type: ObjectType, id: string) => portal.objects[type].find((o) => o.id === id)!;
  const toObject = (o: { id: string; properties: Record<string, string>; createdAt: number; updatedAt: number }): HubSpotObject => ({
    id: o.id,
    properties: o.properties,
    createdAt: new Date(o.createdAt).toISOString(),
    updatedAt: new Date(o.updatedAt).toISOString(),
  });

  /** A one-engagement history with the engagement's associated contacts, enough to normalize and chunk it. */
  function historyOf(sourceId: string): AccountHistory {
    const [type, id] = sourceId.split(':') as [EngagementType, string];
    const links = portal.associations.filter(([ft, fid]) => ft === type && fid === id);
    const ids = (t: ObjectType) => links.filter(([, , tt]) => tt === t).map(([, , , tid]) => tid);
    return {
      portalId: truth.portalId,
      accountId: ids('companies')[0] ?? 'none',
      contacts: ids('contacts').map((c) => toObject(find('contacts', c))),
      deals: [],
      tickets: [],
      engagements: [
        { type, object: toObject(find(type, id)), associations: { companies: ids('companies'), contacts: ids('contacts'), deals: ids('deals'), tickets: ids('tickets') } },
      ],
    };
  }
  const docOf = (sourceId: string) => documentsFromHistory(historyOf(sourceId), { accountName: 'Sandbox account' }).find((d) => d.sourceId === sourceId)!;

  it('chunks the long transcript by turns within maxTokens', () => {
    const doc = docOf(`calls:${truth.edgeCases.longTranscriptCallId}`);
    expect(doc.body.length).toBeGreaterThan(50_000);
    expect(doc.turns!.length).toBeGreaterThan(50);
    const chunks = chunkDocument(doc);
    expect(chunks.length).toBeGreaterThan(20);
    for (const c of chunks) {
      expect(c.tokens).toBeLessThanOrEqual(512);
      expect(c.speakers.length).toBeGreaterThan(0);
    }
    const lines = new Set(chunks.flatMap((c) => c.text.split('\n')));
    const turnLines = doc.body.split('\n').filter((l) => /^\[\d/.test(l));
    const covered = turnLines.filter((l) => lines.has(l) || l.length > 1500).length;
    expect(covered).toBe(turnLines.length);
  });

  it('gives empty bodies no chunks (a task with an empty body is indexed by its subject alone)', () => {
    expect(truth.edgeCases.emptyBodyIds.length).toBeGreaterThan(0);
    for (const id of truth.edgeCases.emptyBodyIds) {
      const doc = docOf(id);
      if (id.startsWith('tasks:') && doc.title !== 'Task') {
        // The ground truth counts a task with a subject as a non-empty source: its subject is its content.
        expect(doc.body).toContain(doc.title);
        continue;
      }
      expect(isEmptyDocument(doc)).toBe(true);
      expect(chunkDocument(doc)).toEqual([]);
    }
  });

  it('keeps non-English text', () => {
    for (const id of truth.edgeCases.nonEnglishIds) {
      const chunks = chunkDocument(docOf(id));
      expect(chunks.length).toBeGreaterThan(0);
      expect(chunks.map((c) => c.text).join('\n')).toMatch(/[^\p{ASCII}]/u);
    }
  });

  it('strips HTML and quoted history, and keeps forwarded content once', () => {
    for (const id of truth.edgeCases.htmlEmailIds) {
      const body = docOf(`emails:${id}`).body;
      expect(body).not.toMatch(/<\/?(?:div|p|br|blockquote)\b/i);
    }
    for (const id of truth.edgeCases.quotedReplyEmailIds) {
      const doc = docOf(`emails:${id}`);
      expect(doc.body.split('\n').some((l) => l.startsWith('>'))).toBe(false);
      expect(doc.body).not.toMatch(/\bwrote:\s*$/m);
    }
    expect(truth.edgeCases.forwardedEmailIds.length).toBeGreaterThan(0);
    for (const id of truth.edgeCases.forwardedEmailIds) {
      const body = docOf(`emails:${id}`).body;
      expect(body).toContain('Forwarded message');
      const paragraphs = body.split('\n\n').filter((p) => p.length > 40);
      for (const p of paragraphs) expect(body.split(p).length - 1).toBe(1);
    }
  });
});
