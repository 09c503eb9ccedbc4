import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { libraryVisibleText, replyRulesReady, visibleReplyText } from '../../src/text/normalize/reply-text.ts';

/**
 * The fast de-quoter must give email-reply-parser's visible text exactly, whatever the e-mail: generated e-mails
 * mix the lines its rules react to (reply headers in several locales, headers wrapped over two lines, `>` quotes,
 * signature separators and sign-offs, mobile footers, trailing whitespace and tildes, blank runs, CRLF) with
 * ordinary prose, and each is compared with the library's own answer.
 */

const LINES = [
  '',
  ' ',
  '   ',
  'Hi Jane,',
  'Thanks for the quote. We can sign by Friday if legal agrees.',
  'The team mentioned Kubernetes as the area with the most friction this quarter.',
  'Sounds good  ',
  'ok~~',
  '~',
  '> Can we meet this week?',
  '>',
  '>> nested quote',
  ' > indented quote',
  '> On Mon, Jun 2, 2025 at 9:00 AM Bob <bob@x.example> wrote:',
  'On Mon, Jun 2, 2025 at 9:00 AM Bob Li <bob@vendor.example> wrote:',
  'On Mon, Jun 2, 2025 at 9:00 AM Bob Li',
  '<bob@vendor.example> wrote:',
  'Le lun. 2 juin 2025 à 09:00, Bob <bob@x.example> a écrit :',
  'Am 02.06.2025 um 09:00 schrieb Bob <bob@x.example>:',
  'Op ma 2 jun. 2025 om 09:00 schreef Bob',
  '<bob@x.example>:',
  'El lun, 2 jun 2025 a las 9:00, Bob (<bob@x.example>) escribió:',
  'Bob Li on Monday at 9:00 wrote:',
  'From: Bob Li <bob@vendor.example>',
  'From: Bob Li',
  '[mailto:bob@vendor.example]',
  'Von: Bob <bob@x.example>',
  'De : Bob <bob@x.example>',
  '-----Original Message-----',
  '---------- Forwarded message ---------',
  '2025-06-02 09:00 GMT+02:00 Bob <bob@x.example>:',
  '--',
  '-- ',
  '__',
  '________________________________',
  'Best regards,',
  'Kind Regards',
  'Cheers,',
  'Best wishes!',
  'Cordialement,',
  'Sent from my iPhone',
  'Get Outlook for iOS',
  'Envoyé de mon iPhone',
  'Jane Doe',
  'VP Operations | Acme Corp',
  'jane@acme.example',
  'Price: $40 per seat ($& of list, $1 off)',
  'Café 写道：',
  '在 2025年6月2日 09:00, Bob 写道：',
  '\u00a0trailing nbsp\u00a0',
  'tab\tinside\t',
];

const email = fc
  .tuple(fc.array(fc.oneof(fc.constantFrom(...LINES), fc.string({ maxLength: 30 })), { maxLength: 24 }), fc.boolean())
  .map(([lines, crlf]) => lines.join(crlf ? '\r\n' : '\n'));

beforeAll(async () => {
  expect(await replyRulesReady()).toBe(true);
});

describe('visibleReplyText', () => {
  it('equals email-reply-parser on generated e-mails', () => {
    fc.assert(
      fc.property(email, (text) => {
        expect(visibleReplyText(text)).toBe(libraryVisibleText(text));
      }),
      { numRuns: 3_000, seed: 20 },
    );
  });

  it('equals email-reply-parser on e-mails without structure and on the empty text', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (text) => {
        expect(visibleReplyText(text)).toBe(libraryVisibleText(text));
      }),
      { numRuns: 500, seed: 21 },
    );
    expect(visibleReplyText('')).toBe(libraryVisibleText(''));
  });

  it('drops a quoted reply and a signature, as the library does', () => {
    const text = 'Sounds good, Thursday then.\n\nBest regards,\nJane\n\nOn Mon, Jun 2, 2025 at 9:00 AM Bob <bob@x.example> wrote:\n> Can we meet?';
    expect(visibleReplyText(text)).toBe('Sounds good, Thursday then.\n');
    expect(libraryVisibleText(text)).toBe('Sounds good, Thursday then.\n');
  });
});
