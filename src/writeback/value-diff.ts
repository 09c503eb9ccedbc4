import { diffWords } from 'diff';

/** A word-level diff of the current and proposed values, for the review page's side-by-side view. */
export type DiffPart = { op: 'same' | 'removed' | 'added'; text: string };

export function valueDiff(current: string | null, proposed: string): DiffPart[] {
  return diffWords(current ?? '', proposed).map((c) => ({ op: c.added ? 'added' : c.removed ? 'removed' : 'same', text: c.value }));
}
