/**
 * Collapses whitespace the way the chunker and the embedders want it: runs of spaces and tabs become one space,
 * lines are trimmed, and blank-line runs become one blank line, so paragraph breaks (and transcript line breaks)
 * survive while layout noise from HTML and e-mail clients does not.
 */
export function collapseWhitespace(text: string): string {
  return text
    .replace(/\r\n?/g, '\n')
    .replace(/[\u00A0\u2007\u202F\u200B\uFEFF]/g, (c) => (c === '\u200B' || c === '\uFEFF' ? '' : ' '))
    .split('\n')
    .map((line) => line.replace(/[ \t\f\v]+/g, ' ').trim())
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}
