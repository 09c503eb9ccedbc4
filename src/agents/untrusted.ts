/**
 * Everything read from HubSpot (e-mails, transcripts, notes, even property values) is data written by third
 * parties: it is fenced so the system prompt can tell the model that nothing inside is an instruction. Chunks
 * get short references (`c1`, `c2`…) that the model cites; code maps them back to chunk ids and drops any
 * reference it did not hand out, so a model cannot cite (or be tricked into citing) evidence it never saw.
 */

export interface CitableChunk {
  id: string;
  text: string;
  sourceType: string;
  sourceId: string;
  occurredAt: string;
}

export interface ReferencedChunk extends CitableChunk {
  ref: string;
}

const FENCE_TAG = /<\s*\/?\s*untrusted_data[^>]*>/gi;

/** Removes anything that could close (or open) the fence early. */
export function neutralize(text: string): string {
  return text.replace(FENCE_TAG, '[tag removed]');
}

export function withRefs(chunks: CitableChunk[]): ReferencedChunk[] {
  return chunks.map((c, i) => ({ ...c, ref: `c${i + 1}` }));
}

/** One fenced block holding every chunk with its reference, source and date. */
export function fenceChunks(chunks: ReferencedChunk[]): string {
  if (chunks.length === 0) return '<untrusted_data>\n(no retrieved history)\n</untrusted_data>';
  const body = chunks
    .map((c) => `[${c.ref}] (${c.sourceType} ${c.sourceId}, ${c.occurredAt.slice(0, 10)})\n${neutralize(c.text.trim())}`)
    .join('\n\n');
  return `<untrusted_data>\n${body}\n</untrusted_data>`;
}

/** Any third-party text (a trigger e-mail, a property value) fenced on its own. */
export function fenceText(text: string): string {
  return `<untrusted_data>\n${neutralize(text.trim())}\n</untrusted_data>`;
}

/** Maps cited refs (or raw chunk ids) back to chunk ids, de-duplicated, ignoring anything unknown. */
export function resolveCitations(cited: readonly string[], chunks: readonly ReferencedChunk[]): string[] {
  const byRef = new Map<string, string>();
  for (const c of chunks) {
    byRef.set(c.ref.toLowerCase(), c.id);
    byRef.set(c.id.toLowerCase(), c.id);
  }
  const out: string[] = [];
  for (const raw of cited) {
    const key = raw.trim().replace(/^\[|\]$/g, '').toLowerCase();
    const id = byRef.get(key);
    if (id && !out.includes(id)) out.push(id);
  }
  return out;
}
