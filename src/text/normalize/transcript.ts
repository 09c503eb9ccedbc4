/**
 * Call and meeting transcripts → speaker turns. Recognised line shapes (one turn starts per matching line; other
 * lines continue the current turn):
 *
 *   [00:01:23] Jane Doe (Acme): text      00:01:23 Jane Doe: text      (01:23) Jane: text
 *   Jane Doe: text                        (no timestamp; accepted only when the whole body looks like a dialogue)
 *
 * Turns are what the chunker packs, so a chunk never cuts a speaker mid-sentence and keeps who said what.
 */
export interface Turn {
  speaker: string;
  /** Company or role in parentheses after the name, e.g. `Acme` in `Jane Doe (Acme)`. */
  affiliation?: string;
  /** Offset from the start of the call as written, e.g. `00:01:23`. */
  at?: string;
  text: string;
}

export interface ParsedTranscript {
  /** Text before the first turn (a title, a dial-in line); '' if none. */
  preamble: string;
  turns: Turn[];
}

const TIMED = /^[[(]?(\d{1,2}:\d{2}(?::\d{2})?)(?:[.,]\d+)?[\])]?\s*[-–—]?\s*([^:]{1,80}?)\s*[:：]\s*(.*)$/u;
const UNTIMED = /^([^:：]{1,60}?)\s*[:：]\s+(.*)$/u;
const LABEL = /^(.+?)(?:\s*\(([^()]{1,60})\))?$/u;

/** Words that end with a colon in ordinary notes and e-mails; never speakers. */
const NOT_SPEAKERS = new Set(
  [
    'note', 'notes', 'subject', 'from', 'to', 'cc', 'date', 're', 'fw', 'fwd', 'agenda', 'summary', 'attendees',
    'participants', 'action items', 'next steps', 'todo', 'to do', 'decision', 'decisions', 'outcome', 'budget',
    'timeline', 'pricing', 'status', 'priority', 'owner', 'update', 'ps', 'p.s', 'http', 'https', 'tel', 'phone',
    'email', 'e-mail', 'mobile', 'address', 'web', 'website', 'q', 'a', 'ps', 'nb', 'warning', 'important',
  ].map((w) => w.toLowerCase()),
);

export function parseTranscript(text: string): ParsedTranscript | null {
  const lines = text.split('\n');
  const turns: Turn[] = [];
  const preamble: string[] = [];
  let timed = 0;
  let nonEmpty = 0;
  let current: Turn | undefined;
  for (const raw of lines) {
    const line = raw.trim();
    if (line !== '') nonEmpty += 1;
    const turn = matchTurn(line);
    if (turn) {
      if (turn.at) timed += 1;
      current = turn;
      turns.push(turn);
    } else if (current) {
      if (line !== '') current.text = current.text === '' ? line : `${current.text}\n${line}`;
    } else if (line !== '') {
      preamble.push(line);
    }
  }
  const speakers = new Set(turns.map((t) => t.speaker));
  const dialogue = timed >= 2 || (turns.length >= 3 && speakers.size >= 2 && turns.length * 2 >= nonEmpty);
  if (!dialogue) return null;
  return { preamble: preamble.join('\n'), turns: turns.filter((t) => t.text.trim() !== '') };
}

function matchTurn(line: string): Turn | null {
  const timed = TIMED.exec(line);
  if (timed) {
    const label = splitLabel(timed[2] ?? '', false);
    if (label) return { ...label, at: timed[1] ?? '', text: (timed[3] ?? '').trim() };
  }
  const untimed = UNTIMED.exec(line);
  if (untimed) {
    const label = splitLabel(untimed[1] ?? '', true);
    if (label) return { ...label, text: (untimed[2] ?? '').trim() };
  }
  return null;
}

function splitLabel(raw: string, strict: boolean): Pick<Turn, 'speaker' | 'affiliation'> | null {
  const m = LABEL.exec(raw.trim());
  const speaker = (m?.[1] ?? '').trim();
  if (!isName(speaker, strict)) return null;
  const affiliation = m?.[2]?.trim();
  return affiliation ? { speaker, affiliation } : { speaker };
}

function isName(s: string, strict: boolean): boolean {
  if (s === '' || s.length > 50) return false;
  if (NOT_SPEAKERS.has(s.toLowerCase())) return false;
  // Initials ("J. Doe") are fine; sentence punctuation, markup and URLs are not part of a name.
  if (/[?!,;/\\@#<>[\]{}=*"|]/u.test(s) || /https?$/i.test(s)) return false;
  const words = s.split(/\s+/);
  if (words.length > (strict ? 4 : 6)) return false;
  // Without a timestamp, only capitalised name-like labels count ("Jane Doe", "Speaker 1", "田中"), not "we agreed".
  if (strict) return words.every((w) => /^(?:\p{Lu}|\p{Lo})/u.test(w) || /^\d+$/.test(w));
  return /\p{L}/u.test(s);
}
