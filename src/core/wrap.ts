/**
 * Words wrapped for a terminal of `width` columns: the first line starts with `first`, the others with `rest`. A
 * word longer than a line is cut with an ellipsis rather than overflowing.
 */
export function wrapWords(text: string, opts: { width?: number; first?: string; rest?: string } = {}): string[] {
  const width = opts.width ?? 80;
  const rest = opts.rest ?? '';
  const lines: string[] = [];
  let line = opts.first ?? '';
  let empty = true;
  for (const word of text.split(/\s+/).filter(Boolean)) {
    const candidate = empty ? `${line}${word}` : `${line} ${word}`;
    if (!empty && candidate.length > width) {
      lines.push(line);
      line = `${rest}${word}`;
    } else line = candidate;
    empty = false;
  }
  if (!empty) lines.push(line);
  return lines.map((l) => (l.length > width ? `${l.slice(0, width - 1)}…` : l));
}
