import { htmlToText } from './html.ts';
import { visibleReplyText } from './reply-text.ts';
import { collapseWhitespace } from './whitespace.ts';

/**
 * E-mail bodies → the text worth indexing: what this message says, once.
 *
 * - HTML goes through html-to-text (see html.ts); blockquotes come out `> `-prefixed.
 * - Quoted history ("On … wrote:", `>` lines, "-----Original Message-----") and signatures are removed by
 *   email-reply-parser's rules, which know a dozen locales (reply-text.ts applies them for a fraction of the
 *   library's CPU, with its exact result); the quoted messages are indexed from their own e-mails.
 * - A forward is the exception: the forwarded message exists nowhere else in the CRM, so its content is kept,
 *   exactly once, below the forwarder's note with a one-line header. Forward markers are found before the reply
 *   parser runs because it would otherwise take the forwarded "From: … <…>" block for a quote header and drop it.
 */
export interface ForwardedMessage {
  from?: string;
  date?: string;
  subject?: string;
  to?: string;
}

export interface NormalizedEmail {
  /** Plain text: the reply (or note) plus each forwarded message once; '' when nothing is left. */
  body: string;
  forwarded: ForwardedMessage[];
}

const FORWARD_MARKERS: RegExp[] = [
  /^-{2,}\s*Forwarded message\s*-{2,}$/i, // Gmail
  /^Begin forwarded message:?$/i, // Apple Mail
  /^-{2,}\s*(?:Weitergeleitete Nachricht|Message transféré|Mensaje reenviado|Messaggio inoltrato|Mensagem encaminhada|Doorgestuurd bericht)\s*-{2,}$/i,
  /^(?:Anfang der weitergeleiteten Nachricht|Début du message réexpédié)\s*:?$/i,
  /^-{2,}\s*転送(?:された)?メッセージ\s*-{2,}$/,
];

/** Outlook writes forwards like replies: a rule or "Original Message" line; the FW: subject tells them apart. */
const OUTLOOK_SEPARATORS: RegExp[] = [/^_{10,}$/, /^-{2,}\s*Original Message\s*-{2,}$/i, /^-{2,}\s*Ursprüngliche Nachricht\s*-{0,}$/i];
const FORWARD_SUBJECT = /^(?:fwd?|fw|wg|tr|rv|i)\s*:/i;

const HEADER_LINE = /^(From|Von|De|Van|Da|Date|Datum|Sent|Gesendet|Envoyé|Enviado|Subject|Betreff|Objet|Asunto|Oggetto|To|An|À|Para|A|Cc|Bcc|Reply-To)\s*:\s*(.*)$/i;
const HEADER_FIELD: Record<string, keyof ForwardedMessage> = {
  from: 'from', von: 'from', de: 'from', van: 'from', da: 'from',
  date: 'date', datum: 'date', sent: 'date', gesendet: 'date', envoyé: 'date', enviado: 'date',
  subject: 'subject', betreff: 'subject', objet: 'subject', asunto: 'subject', oggetto: 'subject',
  to: 'to', an: 'to', à: 'to', para: 'to', a: 'to',
};

export function normalizeEmail(input: { html?: string | null; text?: string | null }): NormalizedEmail {
  // HTML first: its blockquotes mark quoted history reliably, while HubSpot's text part is sometimes a lossy copy.
  const raw = input.html && input.html.trim() !== '' ? htmlToText(input.html) : collapseWhitespace(input.text ?? '');
  const forwarded: ForwardedMessage[] = [];
  const body = collapseWhitespace(extract(raw, forwarded, 0));
  return { body, forwarded };
}

/** The visible, non-quoted reply of a plain-text message, without its signature. */
export function visibleReply(text: string): string {
  if (text.trim() === '') return '';
  return collapseWhitespace(visibleReplyText(text));
}

function extract(text: string, forwarded: ForwardedMessage[], depth: number): string {
  const lines = text.split('\n');
  const found = depth < 10 ? findForward(lines) : null;
  if (!found) return visibleReply(text);

  const note = visibleReply(lines.slice(0, found.markerLine).join('\n'));
  let rest = lines.slice(found.markerLine + 1);
  // Apple Mail (and some HTML forwards) put the whole forwarded message in a blockquote.
  if (mostlyQuoted(rest)) rest = rest.map((l) => l.replace(/^> ?/, ''));
  const { header, bodyStart } = parseHeaderBlock(rest);
  forwarded.push(header);
  const inner = extract(rest.slice(bodyStart).join('\n'), forwarded, depth + 1);
  return [note, describeForward(header), inner].filter((s) => s !== '').join('\n\n');
}

function findForward(lines: string[]): { markerLine: number } | null {
  let lastUnquoted = '';
  for (let i = 0; i < lines.length; i += 1) {
    const line = (lines[i] ?? '').trim();
    if (line === '') continue;
    if (line.startsWith('>')) {
      // Apple Mail quotes the whole forward, marker included. A quoted marker under a reply header ("On … wrote:")
      // is history instead, indexed with its own e-mail.
      const unquoted = line.replace(/^> ?/, '').trim();
      if (!lastUnquoted.endsWith(':') && FORWARD_MARKERS.some((re) => re.test(unquoted))) return { markerLine: i };
      continue;
    }
    lastUnquoted = line;
    if (FORWARD_MARKERS.some((re) => re.test(line))) return { markerLine: i };
    if (OUTLOOK_SEPARATORS.some((re) => re.test(line))) {
      const { header } = parseHeaderBlock(lines.slice(i + 1));
      if (header.subject && FORWARD_SUBJECT.test(header.subject)) return { markerLine: i };
    }
  }
  return null;
}

function parseHeaderBlock(lines: string[]): { header: ForwardedMessage; bodyStart: number } {
  const header: ForwardedMessage = {};
  let i = 0;
  while (i < lines.length && (lines[i] ?? '').trim() === '') i += 1;
  let seen = 0;
  for (; i < lines.length; i += 1) {
    const line = (lines[i] ?? '').trim();
    const m = HEADER_LINE.exec(line);
    if (!m) break;
    seen += 1;
    const field = HEADER_FIELD[(m[1] ?? '').toLowerCase()];
    if (field && header[field] === undefined && m[2]) header[field] = m[2].trim();
  }
  if (seen === 0) return { header, bodyStart: 0 };
  return { header, bodyStart: i };
}

function describeForward(h: ForwardedMessage): string {
  let s = 'Forwarded message';
  if (h.from) s += ` from ${h.from}`;
  if (h.date) s += ` (${h.date})`;
  if (h.subject) s += `: ${h.subject}`;
  return s;
}

function mostlyQuoted(lines: string[]): boolean {
  const nonEmpty = lines.filter((l) => l.trim() !== '');
  if (nonEmpty.length === 0) return false;
  return nonEmpty.filter((l) => l.startsWith('>')).length / nonEmpty.length > 0.8;
}
