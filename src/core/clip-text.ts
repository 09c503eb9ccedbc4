/**
 * Shortens text for a line or a cell: at most `max` characters, cut at the last word boundary that fits (never in
 * the middle of a word, unless one word alone is longer than most of the room), ending in "…". Text that fits is
 * returned unchanged. Callers keep the full text reachable (a "show all", the audit log).
 *
 * The review page's browser copy (`clipAtWord` in src/api/review-page/common.js) is checked against this one.
 */
export function clipAtWord(text: string, max: number): string {
  if (text.length <= max) return text;
  if (max < 2) return '…'.slice(0, Math.max(0, max));
  let room = text.slice(0, max - 1);
  // Never end on half a surrogate pair.
  if (/[\uD800-\uDBFF]$/.test(room)) room = room.slice(0, -1);
  // The room ends between words when the next character is a space.
  const boundary = /\s/.test(text[room.length] ?? '') ? room.length : room.search(/\s\S*$/);
  const cut = boundary > max * 0.6 ? room.slice(0, boundary) : room;
  return `${cut.replace(/[\s,;:(–—-]+$/, '')}…`;
}
