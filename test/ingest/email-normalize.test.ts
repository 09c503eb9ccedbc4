import { describe, expect, it } from 'vitest';
import { normalizeEmail } from '../../src/text/normalize/email.ts';
import { htmlToText } from '../../src/text/normalize/html.ts';

const occurrences = (text: string, needle: string) => text.split(needle).length - 1;

describe('htmlToText', () => {
  it('drops images and link targets, keeps link text and paragraph breaks', () => {
    const text = htmlToText(
      '<p>Hello&nbsp;<b>team</b>,</p><p>See <a href="https://track.example.com/very/long?utm=1">the proposal</a>.<img src="pixel.gif" alt="logo"></p><style>p{color:red}</style>',
    );
    expect(text).toBe('Hello team,\n\nSee the proposal.');
  });
});

describe('normalizeEmail', () => {
  it('keeps the visible reply of an HTML e-mail and drops the quoted reply and the signature', () => {
    const html = `<html><body>
      <div>Hi Bob,</div><div><br></div>
      <div>Thanks for the quote. We can sign by <a href="https://x.example/c">Friday</a> if legal agrees.</div>
      <div><br></div>
      <div>Best regards,<br>Jane Doe<br>VP Operations, Acme Corp<br>+1 555 0100</div>
      <div class="gmail_quote">On Tue, Jun 3, 2025 at 10:00 AM Bob Li &lt;bob@vendor.example&gt; wrote:<br>
        <blockquote class="gmail_quote">Hi Jane,<br>Here is the quote for 250 seats at $40/seat.<br></blockquote>
      </div></body></html>`;
    const { body } = normalizeEmail({ html, text: 'ignored plain part' });
    expect(body).toBe('Hi Bob,\n\nThanks for the quote. We can sign by Friday if legal agrees.');
    expect(body).not.toContain('250 seats');
    expect(body).not.toContain('VP Operations');
  });

  it('removes a plain-text quoted reply (">" lines under "On … wrote:")', () => {
    const text = 'Sounds good, let us meet Thursday.\n\nOn Mon, Jun 2, 2025 at 9:00 AM Bob Li <bob@vendor.example> wrote:\n> Can we meet this week?\n> Bob';
    expect(normalizeEmail({ text }).body).toBe('Sounds good, let us meet Thursday.');
  });

  it('keeps a forwarded message exactly once, with a one-line header, and drops its own quoted history', () => {
    const text = [
      'FYI, see the budget approval below.',
      '',
      '---------- Forwarded message ---------',
      'From: Carl Zed <carl@acme.example>',
      'Date: Mon, Jun 2, 2025 at 4:12 PM',
      'Subject: Budget for Q3',
      'To: Jane Doe <jane@acme.example>',
      '',
      'We approved 50k for the Q3 rollout.',
      '',
      'On Sun, Jun 1, 2025 at 9:00 AM Jane Doe <jane@acme.example> wrote:',
      '> Did we approve the Q3 budget?',
    ].join('\n');
    const result = normalizeEmail({ text });
    expect(result.body).toBe(
      'FYI, see the budget approval below.\n\nForwarded message from Carl Zed <carl@acme.example> (Mon, Jun 2, 2025 at 4:12 PM): Budget for Q3\n\nWe approved 50k for the Q3 rollout.',
    );
    expect(occurrences(result.body, 'We approved 50k')).toBe(1);
    expect(result.forwarded).toEqual([{ from: 'Carl Zed <carl@acme.example>', date: 'Mon, Jun 2, 2025 at 4:12 PM', subject: 'Budget for Q3', to: 'Jane Doe <jane@acme.example>' }]);
  });

  it('handles an Apple Mail HTML forward (marker and message inside a blockquote)', () => {
    const html = `<div>Please take this one.</div><blockquote type="cite"><div>Begin forwarded message:</div><br>
      <div><b>From:</b> Carl Zed &lt;carl@acme.example&gt;</div><div><b>Subject:</b> Renewal</div><br>
      <div>We want to renew for two more years.</div></blockquote>`;
    const { body } = normalizeEmail({ html });
    expect(body).toBe('Please take this one.\n\nForwarded message from Carl Zed <carl@acme.example>: Renewal\n\nWe want to renew for two more years.');
  });

  it('treats an Outlook "FW:" block as a forward, and a forward quoted inside a reply as history', () => {
    const outlook = 'See below.\n\n________________________________\nFrom: Carl Zed <carl@acme.example>\nSent: Monday, June 2, 2025 9:00 AM\nTo: Jane\nSubject: FW: Security review\n\nThe review passed.';
    expect(normalizeEmail({ text: outlook }).body).toContain('The review passed.');
    const reply = 'Thanks, will do.\n\nOn Tue, Jun 3, 2025 at 8:00 AM Jane <jane@acme.example> wrote:\n> FYI\n> ---------- Forwarded message ---------\n> From: Carl <carl@acme.example>\n> The review passed.';
    expect(normalizeEmail({ text: reply }).body).toBe('Thanks, will do.');
  });

  it('de-quotes non-English replies and keeps the text intact', () => {
    const german = 'Hallo Bob,\n\nwir unterschreiben am Freitag.\n\nAm 03.06.2025 um 10:00 schrieb Bob Li <bob@vendor.example>:\n> Hallo Jana,\n> hier das Angebot.';
    expect(normalizeEmail({ text: german }).body).toBe('Hallo Bob,\n\nwir unterschreiben am Freitag.');
    const japanese = 'ご連絡ありがとうございます。\n金曜日に契約します。';
    expect(normalizeEmail({ text: japanese }).body).toBe(japanese);
  });

  it('returns an empty body for empty, whitespace-only or quote-only e-mails', () => {
    expect(normalizeEmail({}).body).toBe('');
    expect(normalizeEmail({ html: '<p>&nbsp;</p><img src="x.png">', text: null }).body).toBe('');
    expect(normalizeEmail({ text: '> only a quote\n> nothing else' }).body).toBe('');
  });
});
