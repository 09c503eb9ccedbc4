import type { z } from 'zod';

/**
 * Turns a model's text into a validated value. Models wrap JSON in code fences or add a sentence around it
 * even when asked not to; we take the outermost JSON object before giving up, then let zod decide.
 */

export type ParseOutcome<T> = { ok: true; value: T } | { ok: false; error: string };

export function extractJson(raw: string): string {
  const trimmed = raw.trim();
  const fenced = /^```(?:json)?\s*([\s\S]*?)\s*```$/i.exec(trimmed);
  if (fenced) return fenced[1] ?? '';
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) return trimmed;
  const first = trimmed.indexOf('{');
  const last = trimmed.lastIndexOf('}');
  return first >= 0 && last > first ? trimmed.slice(first, last + 1) : trimmed;
}

export function parseStructured<T>(raw: string, schema: z.ZodType<T>): ParseOutcome<T> {
  let data: unknown;
  try {
    data = JSON.parse(extractJson(raw));
  } catch (err) {
    return { ok: false, error: `not valid JSON (${err instanceof Error ? err.message : String(err)})` };
  }
  const result = schema.safeParse(data);
  if (result.success) return { ok: true, value: result.data };
  const issues = result.error.issues
    .slice(0, 20)
    .map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`)
    .join('; ');
  return { ok: false, error: `does not match the schema: ${issues}` };
}

/** The one repair turn: the model sees its own answer and what was wrong with it. */
export function repairMessage(error: string): string {
  return (
    `Your previous answer ${error}. Reply again with only one JSON object that matches the required schema ` +
    'exactly: no prose, no code fences, every required field present.'
  );
}
