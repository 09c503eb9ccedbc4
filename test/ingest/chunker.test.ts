import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { chunkDocument } from '../../src/text/chunker.ts';
import { renderTurn, type SourceDocument } from '../../src/text/documents.ts';
import { parseTranscript } from '../../src/text/normalize/transcript.ts';
import { countTokens } from '../../src/text/tokenizer.ts';

function doc(over: Partial<SourceDocument>): SourceDocument {
  return {
    accountId: '42',
    accountName: 'Acme Corp',
    sourceType: 'note',
    objectType: 'notes',
    objectId: '7',
    sourceId: 'notes:7',
    occurredAt: '2025-06-03T10:00:00.000Z',
    direction: null,
    title: 'Kick-off',
    participants: ['Jane Doe', 'Bob Li'],
    body: '',
    relatedIds: ['deals:9'],
    ...over,
  };
}

/** A 60,000+ character call transcript with three speakers, varied turn lengths and one very long monologue. */
function longTranscript(): string {
  const speakers = ['Jane Doe (Acme)', 'Bob Li', 'Carla Gómez (Acme)'];
  const topics = ['pricing for 250 seats', 'the SSO integration', 'data residency in the EU', 'the rollout timeline', 'support tiers'];
  const lines: string[] = [];
  let seconds = 0;
  for (let i = 0; lines.join('\n').length < 60_000; i += 1) {
    seconds += 5 + (i % 40);
    const at = [Math.floor(seconds / 3600), Math.floor(seconds / 60) % 60, seconds % 60].map((n) => String(n).padStart(2, '0')).join(':');
    const sentences = Array.from({ length: 1 + ((i * 7) % 6) }, (_, k) => `Point ${i}.${k} is about ${topics[(i + k) % topics.length]}.`);
    lines.push(`[${at}] ${speakers[i % 3]}: ${sentences.join(' ')}`);
    if (i === 120) lines.push(`[02:00:00] Bob Li: ${Array.from({ length: 180 }, (_, k) => `Monologue sentence ${k} covers the contract terms in detail.`).join(' ')}`);
  }
  return lines.join('\n');
}

describe('chunkDocument', () => {
  it('returns no chunks for an empty body', () => {
    expect(chunkDocument(doc({ body: '' }))).toEqual([]);
    expect(chunkDocument(doc({ body: ' \n\n ' }))).toEqual([]);
  });

  it('puts a self-contained header on every chunk and hashes the text', () => {
    const [chunk] = chunkDocument(doc({ sourceType: 'email', objectType: 'emails', sourceId: 'emails:7', direction: 'inbound', title: 'Re: Pricing', body: 'We accept the offer.' }));
    expect(chunk!.text).toBe('Account: Acme Corp | Email (inbound) | 2025-06-03 | Participants: Jane Doe, Bob Li\nTitle: Re: Pricing\nWe accept the offer.');
    expect(chunk!.contentHash).toBe(createHash('sha256').update(chunk!.text).digest('hex'));
    expect(chunk!.tokens).toBe(countTokens(chunk!.text));
    expect(chunk).toMatchObject({ sourceId: 'emails:7', sourceType: 'email', chunkIndex: 0, direction: 'inbound', relatedIds: ['deals:9'], speakers: [] });
  });

  it('chunks a 60,000-character transcript by whole turns within maxTokens, covering every turn', () => {
    const text = longTranscript();
    expect(text.length).toBeGreaterThanOrEqual(60_000);
    const parsed = parseTranscript(text)!;
    const body = parsed.turns.map(renderTurn).join('\n');
    const chunks = chunkDocument(doc({ sourceType: 'call', objectType: 'calls', sourceId: 'calls:1', title: 'Discovery call', body, turns: parsed.turns }));

    expect(chunks.length).toBeGreaterThan(20);
    for (const c of chunks) {
      expect(c.tokens).toBeLessThanOrEqual(512);
      expect(countTokens(c.text)).toBe(c.tokens);
      expect(c.text).toMatch(/^Account: Acme Corp \| Call \| 2025-06-03 \| Participants: Jane Doe, Bob Li \| \d\d:\d\d:\d\d–\d\d:\d\d:\d\d\nTitle: Discovery call\n\[/);
    }
    expect(chunks.map((c) => c.chunkIndex)).toEqual(chunks.map((_, i) => i));
    // Most chunks are near the target size, not fragments.
    const sizes = chunks.slice(0, -1).map((c) => c.tokens);
    expect(sizes.filter((n) => n >= 300).length / sizes.length).toBeGreaterThan(0.9);

    const contentLines = new Set(chunks.flatMap((c) => c.text.split('\n').slice(2)));
    for (const turn of parsed.turns) {
      const line = renderTurn(turn);
      if (countTokens(line) <= 400) {
        // Short turns are never split: each appears whole in some chunk.
        expect(contentLines.has(line)).toBe(true);
      } else {
        // The one long monologue is split at sentences, every part labelled with its speaker.
        const parts = chunks.flatMap((c) => c.text.split('\n').filter((l) => l.startsWith('[02:00:00] Bob Li')));
        expect(parts.length).toBeGreaterThan(1);
        expect(parts.map((p) => p.replace(/^\[02:00:00\] Bob Li(?: \(cont\.\))?: /, '')).join(' ')).toBe(turn.text);
      }
    }
    // Speakers list who talks in the chunk.
    for (const c of chunks) {
      const expected = new Set(c.text.split('\n').slice(2).map((l) => /^\[[\d:]+\] ([^(:]+?)(?: \(|:)/.exec(l)?.[1]).filter(Boolean));
      expect(new Set(c.speakers)).toEqual(expected);
    }
  });

  it('overlaps consecutive chunks by whole trailing turns when they fit the overlap budget', () => {
    const turns = Array.from({ length: 60 }, (_, i) => ({ speaker: i % 2 ? 'Bob Li' : 'Jane Doe', at: `00:${String(i).padStart(2, '0')}:00`, text: `Short answer number ${i}.` }));
    const body = turns.map(renderTurn).join('\n');
    const chunks = chunkDocument(doc({ sourceType: 'call', body, turns }), { targetTokens: 120, maxTokens: 160, overlapTokens: 30 });
    expect(chunks.length).toBeGreaterThan(2);
    for (let i = 1; i < chunks.length; i += 1) {
      const previous = chunks[i - 1]!.text.split('\n');
      const firstLine = chunks[i]!.text.split('\n')[2]!;
      expect(previous).toContain(firstLine);
    }
  });

  it('packs prose by paragraph, splits long paragraphs at sentences and stays under maxTokens', () => {
    const paragraph = (i: number) => Array.from({ length: 12 }, (_, k) => `Paragraph ${i} sentence ${k} explains the renewal terms for the account.`).join(' ');
    const body = Array.from({ length: 20 }, (_, i) => paragraph(i)).join('\n\n');
    const chunks = chunkDocument(doc({ body }));
    for (const c of chunks) expect(c.tokens).toBeLessThanOrEqual(512);
    const content = chunks.map((c) => c.text.split('\n').slice(2).join('\n')).join('\n');
    for (let i = 0; i < 20; i += 1) for (let k = 0; k < 12; k += 1) expect(content).toContain(`Paragraph ${i} sentence ${k} explains`);
    // No sentence is cut: every chunk ends at a sentence end.
    for (const c of chunks) expect(c.text.trimEnd()).toMatch(/\.$/);
  });

  it('tokenizes and chunks German and Japanese text, cutting unpunctuated text by tokens', () => {
    const german = Array.from({ length: 200 }, (_, i) => `Die Geschäftsführung prüft die Verlängerung des Vertrags Nr. ${i} für München.`).join(' ');
    const japanese = Array.from({ length: 300 }, (_, i) => `第${i}条：契約の更新について確認しました。`).join('');
    const unbroken = '契約'.repeat(3000);
    for (const body of [german, japanese, unbroken]) {
      const chunks = chunkDocument(doc({ body, title: 'Vertrag / 契約' }));
      expect(chunks.length).toBeGreaterThan(1);
      for (const c of chunks) {
        expect(c.tokens).toBeLessThanOrEqual(512);
        expect(c.text).not.toContain('\uFFFD');
      }
    }
    const japaneseChunks = chunkDocument(doc({ body: japanese }));
    expect(japaneseChunks.map((c) => c.text.split('\n').slice(2).join('')).join('')).toContain('第299条：契約の更新について確認しました。');
  });

  it('is deterministic: the same document gives the same chunks and hashes', () => {
    const d = doc({ body: 'Alpha.\n\nBeta.' });
    expect(chunkDocument(d)).toEqual(chunkDocument(d));
  });
});
