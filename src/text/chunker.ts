import { createHash } from 'node:crypto';
import type { SourceType } from '../core/objects.ts';
import { isEmptyDocument, renderTurn, type SourceDocument, type Turn } from './documents.ts';
import { splitLong, splitProse } from './normalize/split-text.ts';
import { isoDay } from './normalize/timestamps.ts';
import { countTokens, truncateToTokens } from './tokenizer.ts';

/**
 * Documents → chunks of about 300–500 cl100k tokens, each starting with a short header (account, source type,
 * date, participants, title) so that a chunk retrieved alone still says where it came from.
 *
 * - Prose is packed by paragraph; a paragraph too long for one chunk is cut at sentences, and only text without
 *   any sentence break is cut inside a sentence.
 * - Transcripts are packed by whole speaker turns; a turn is split only when it alone exceeds the budget, and each
 *   part keeps the speaker label.
 * - Consecutive chunks overlap by whole trailing pieces of up to `overlapTokens`, which keeps a question with its
 *   answer and a sentence with its context, without ever cutting a piece to make room.
 * - `maxTokens` bounds the whole chunk text, header included, as counted by the real tokenizer.
 */
export interface ChunkDraft {
  sourceId: string;
  sourceType: SourceType;
  chunkIndex: number;
  /** Header + content. */
  text: string;
  tokens: number;
  occurredAt: string;
  direction: 'inbound' | 'outbound' | null;
  speakers: string[];
  relatedIds: string[];
  /** sha256 (hex) of `text`. */
  contentHash: string;
}

export interface ChunkOptions {
  targetTokens?: number;
  maxTokens?: number;
  overlapTokens?: number;
}

interface Unit {
  text: string;
  tokens: number;
  separator: string;
  turn?: Turn;
}

const MAX_HEADER_PARTICIPANTS = 8;
/** Tokens kept free for BPE merges across piece boundaries, which make sums of piece counts slightly inexact. */
const SLACK = 4;

const SOURCE_LABELS: Record<SourceType, string> = {
  note: 'Note',
  email: 'Email',
  call: 'Call',
  meeting: 'Meeting',
  task: 'Task',
  ticket: 'Ticket',
  record: 'Record',
  ai_output: 'Earlier AI output',
};

export function chunkDocument(doc: SourceDocument, opts: ChunkOptions = {}): ChunkDraft[] {
  if (isEmptyDocument(doc)) return [];
  const maxTokens = opts.maxTokens ?? 512;
  const targetTokens = Math.min(opts.targetTokens ?? 400, maxTokens);
  const overlapTokens = opts.overlapTokens ?? 50;

  // Budget the header at its longest (full time range) so every chunk of the document fits.
  const headerBudget = countTokens(header(doc, doc.turns?.length ? ['00:00:00', '00:00:00'] : null));
  const maxContent = maxTokens - headerBudget - SLACK - 1;
  if (maxContent < 32) throw new RangeError(`maxTokens ${maxTokens} leaves no room for content after a ${headerBudget}-token header`);
  const targetContent = Math.max(Math.min(targetTokens - headerBudget, maxContent), Math.floor(maxContent / 2));

  const units = buildUnits(doc, targetContent, maxContent);
  const groups = pack(units, targetContent, maxContent, overlapTokens);

  const drafts: ChunkDraft[] = [];
  for (const { group, text, tokens } of fitToMax(doc, groups, maxTokens)) {
    drafts.push({
      sourceId: doc.sourceId,
      sourceType: doc.sourceType,
      chunkIndex: drafts.length,
      text,
      tokens,
      occurredAt: doc.occurredAt,
      direction: doc.direction,
      speakers: unique(group.flatMap((u) => (u.turn ? [u.turn.speaker] : []))),
      relatedIds: doc.relatedIds,
      contentHash: createHash('sha256').update(text).digest('hex'),
    });
  }
  return drafts;
}

/** `Account: Acme Corp | Call | 2025-06-03 | Participants: Jane Doe, Bob Li | 00:01:10–00:09:55` + title line. */
export function header(doc: SourceDocument, timeRange: [string, string] | null): string {
  const kind = doc.sourceType === 'record' ? `${recordLabel(doc.objectType)} record` : SOURCE_LABELS[doc.sourceType];
  const parts = [`Account: ${doc.accountName}`, doc.direction ? `${kind} (${doc.direction})` : kind, isoDay(doc.occurredAt)];
  if (doc.participants.length > 0) {
    const shown = doc.participants.slice(0, MAX_HEADER_PARTICIPANTS).join(', ');
    const more = doc.participants.length - MAX_HEADER_PARTICIPANTS;
    parts.push(`Participants: ${shown}${more > 0 ? ` +${more} more` : ''}`);
  }
  if (timeRange) parts.push(`${timeRange[0]}–${timeRange[1]}`);
  // A pathological title (a pasted paragraph as an e-mail subject) must not eat the chunk.
  return `${parts.join(' | ')}\nTitle: ${truncateToTokens(doc.title, 40)}`;
}

function recordLabel(objectType: string): string {
  const singular = objectType.endsWith('ies') ? `${objectType.slice(0, -3)}y` : objectType.replace(/s$/, '');
  return singular.charAt(0).toUpperCase() + singular.slice(1);
}

function buildUnits(doc: SourceDocument, splitAbove: number, maxContent: number): Unit[] {
  const turns = doc.turns ?? [];
  if (turns.length === 0) return splitProse(doc.body, splitAbove, maxContent);
  // The body is [preamble] + rendered turns + [notes]; locate the turns so the surrounding prose is kept too.
  const rendered = turns.map(renderTurn).join('\n');
  const at = doc.body.indexOf(rendered);
  if (at < 0) return splitProse(doc.body, splitAbove, maxContent);
  const before = splitProse(doc.body.slice(0, at).trim(), splitAbove, maxContent);
  const after = splitProse(doc.body.slice(at + rendered.length).trim(), splitAbove, maxContent);
  return [...before, ...turns.flatMap((turn) => turnUnits(turn, maxContent)), ...after];
}

function turnUnits(turn: Turn, maxContent: number): Unit[] {
  const line = renderTurn(turn);
  const tokens = countTokens(line);
  if (tokens <= maxContent) return [{ text: line, tokens, separator: '\n', turn }];
  // A monologue longer than a chunk: sentence parts, each labelled with its speaker so it stands alone.
  const label = renderTurn({ ...turn, text: '' });
  const room = maxContent - countTokens(`${label} (cont.) `) - 1;
  const parts: string[] = [];
  let part = '';
  let size = 0;
  for (const sentence of splitLong(turn.text, room)) {
    if (part !== '' && size + sentence.tokens > room) {
      parts.push(part);
      part = '';
      size = 0;
    }
    part += sentence.text;
    size += sentence.tokens;
  }
  if (part.trim() !== '') parts.push(part);
  return parts.map((p, i) => {
    const text = i === 0 ? `${label}${p.trim()}` : `${label.replace(/: $/, '')} (cont.): ${p.trim()}`;
    return { text, tokens: countTokens(text), separator: '\n', turn };
  });
}

function pack(units: Unit[], target: number, max: number, overlap: number): Unit[][] {
  const groups: Unit[][] = [];
  let current: Unit[] = [];
  let size = 0;
  let fresh = 0; // units in `current` that are not overlap from the previous chunk
  for (const unit of units) {
    const cost = unit.tokens + (current.length > 0 ? 1 : 0);
    if (fresh > 0 && (size >= target || size + cost > max)) {
      groups.push(current);
      current = overlapTail(current, overlap, max - unit.tokens - 1);
      size = current.reduce((n, u, i) => n + u.tokens + (i > 0 ? 1 : 0), 0);
      fresh = 0;
    }
    size += unit.tokens + (current.length > 0 ? 1 : 0);
    current.push(unit);
    fresh += 1;
  }
  if (fresh > 0) groups.push(current);
  return groups;
}

/** The trailing units of a chunk worth repeating at the start of the next one, whole units only. */
function overlapTail(units: Unit[], overlap: number, room: number): Unit[] {
  const budget = Math.min(overlap, room);
  const tail: Unit[] = [];
  let size = 0;
  for (let i = units.length - 1; i >= 1; i -= 1) {
    const unit = units[i]!;
    if (size + unit.tokens + 1 > budget) break;
    tail.unshift(unit);
    size += unit.tokens + 1;
  }
  return tail;
}

/** Re-checks each chunk with the real count and moves trailing units on when BPE merges pushed it over. */
function fitToMax(doc: SourceDocument, groups: Unit[][], maxTokens: number): Array<{ group: Unit[]; text: string; tokens: number }> {
  const out: Array<{ group: Unit[]; text: string; tokens: number }> = [];
  const queue = [...groups];
  while (queue.length > 0) {
    let group = queue.shift()!;
    let rendered = render(doc, group);
    const spill: Unit[] = [];
    while (group.length > 1 && rendered.tokens > maxTokens) {
      spill.unshift(group[group.length - 1]!);
      group = group.slice(0, -1);
      rendered = render(doc, group);
    }
    out.push({ group, ...rendered });
    if (spill.length > 0) queue.unshift(spill);
  }
  return out;
}

function render(doc: SourceDocument, group: Unit[]): { text: string; tokens: number } {
  const times = group.flatMap((u) => (u.turn?.at ? [u.turn.at] : []));
  const range: [string, string] | null = times.length > 0 ? [times[0]!, times[times.length - 1]!] : null;
  let content = '';
  for (const [i, unit] of group.entries()) {
    const piece = i === 0 ? unit.text.trimStart() : unit.text;
    content += i === 0 ? piece : `${unit.separator}${piece}`;
  }
  const text = `${header(doc, range)}\n${content.trim()}`;
  return { text, tokens: countTokens(text) };
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}
