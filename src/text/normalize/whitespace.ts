/**
 * Collapses whitespace the way the chunker and the embedders want it: runs of spaces and tabs become one space,
 * lines are trimmed, and blank-line runs become one blank line, so paragraph breaks (and transcript line breaks)
 * survive while layout noise from HTML and e-mail clients does not.
 */
export function collapseWhitespace(text: string): string {
  // Most text reaching here is already collapsed (html-to-text output, a second pass): answering that with one
  // scan saves the split, the per-line replace and the joins. Conservative: anything the steps below would
  // change (CR, odd spaces, tabs, double spaces, whitespace at a line's ends, blank-line runs, outer whitespace)
  // takes the full path.
  if (!NEEDS_WORK.test(text) && !OUTER_SPACE.test(text)) return text;
  return text
    .replace(/\r\n?/g, '\n')
    .replace(/[\u00A0\u2007\u202F\u200B\uFEFF]/g, (c) => (c === '\u200B' || c === '\uFEFF' ? '' : ' '))
    .split('\n')
    .map((line) => line.replace(/[ \t\f\v]+/g, ' ').trim())
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

const NEEDS_WORK = /[\r\t\f\v\u00A0\u2007\u202F\u200B\uFEFF]| {2}|\n{3}|^[^\S\n]|[^\S\n]$/m;
const OUTER_SPACE = /^\s|\s$/;
