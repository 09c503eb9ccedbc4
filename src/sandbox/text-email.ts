import type { Rng } from './prng.ts';

/**
 * E-mail bodies with the shapes real mailboxes produce: HTML, quoted replies, signatures, forwards. The ingest
 * normalizers are tested against these, so the markers follow what Gmail and Outlook actually write.
 */

export interface Person {
  name: string;
  email: string;
  title: string;
  company: string;
}

export type EmailShape = 'plain' | 'html' | 'reply' | 'forward';

export interface EmailContent {
  subject: string;
  text: string;
  html: string;
}

export function signature(p: Person): string {
  return `--\n${p.name}\n${p.title} | ${p.company}\n${p.email}`;
}

function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function quote(text: string): string {
  return text
    .split('\n')
    .map((l) => (l ? `> ${l}` : '>'))
    .join('\n');
}

function dateLine(ts: number): string {
  return new Date(ts).toUTCString().replace(' GMT', '');
}

export function toHtml(paragraphs: string[], sig: string): string {
  const body = paragraphs.map((p) => `<p>${escapeHtml(p)}</p>`).join('\n');
  const sigHtml = `<div class="signature" style="color:#666">${escapeHtml(sig).replace(/\n/g, '<br>')}</div>`;
  return `<html><head><style>p{margin:0 0 8px}</style></head><body>\n<div dir="ltr">\n${body}\n${sigHtml}\n</div>\n</body></html>`;
}

/**
 * One e-mail. `previous` is the message being answered (quoted under the reply) or forwarded (below a
 * forward header), as mail clients do.
 */
export function buildEmail(
  rng: Rng,
  opts: {
    shape: EmailShape;
    from: Person;
    to: Person;
    subject: string;
    paragraphs: string[];
    timestamp: number;
    previous?: { from: Person; to: Person; text: string; timestamp: number; subject: string };
  },
): EmailContent {
  const greeting = `Hi ${opts.to.name.split(' ')[0]},`;
  const closing = rng.pick(['Best regards,', 'Thanks,', 'Cheers,', 'Kind regards,']);
  const sig = signature(opts.from);
  const main = [greeting, '', ...opts.paragraphs.flatMap((p) => [p, '']), closing, opts.from.name.split(' ')[0], '', sig].join('\n');
  const prev = opts.previous;
  let subject = opts.subject;
  let text = main;
  if (opts.shape === 'reply' && prev) {
    subject = prev.subject.startsWith('Re:') ? prev.subject : `Re: ${prev.subject}`;
    text = `${main}\n\nOn ${dateLine(prev.timestamp)}, ${prev.from.name} <${prev.from.email}> wrote:\n${quote(prev.text)}`;
  } else if (opts.shape === 'forward' && prev) {
    subject = `Fwd: ${prev.subject}`;
    text = [
      main,
      '',
      '---------- Forwarded message ---------',
      `From: ${prev.from.name} <${prev.from.email}>`,
      `Date: ${dateLine(prev.timestamp)}`,
      `Subject: ${prev.subject}`,
      `To: ${prev.to.name} <${prev.to.email}>`,
      '',
      prev.text,
    ].join('\n');
  }
  const html =
    opts.shape === 'html' || opts.shape === 'reply'
      ? toHtml([greeting, ...opts.paragraphs, `${closing} ${opts.from.name.split(' ')[0]}`], sig) +
        (opts.shape === 'reply' && prev
          ? `\n<div class="gmail_quote"><div class="gmail_attr">On ${escapeHtml(dateLine(prev.timestamp))}, ${escapeHtml(prev.from.name)} wrote:</div><blockquote class="gmail_quote">${escapeHtml(prev.text).replace(/\n/g, '<br>')}</blockquote></div>`
          : '')
      : '';
  return { subject, text, html };
}
