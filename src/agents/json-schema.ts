import { z } from 'zod';

/**
 * zod → the JSON Schema OpenAI's structured outputs accept. Strict mode needs every property required and
 * `additionalProperties: false` everywhere; when a schema does not meet that we still send it, non-strict,
 * because the provider validates with zod afterwards anyway.
 */
export function toResponseSchema(schema: z.ZodType): { schema: Record<string, unknown>; strict: boolean } {
  const json = z.toJSONSchema(schema, { target: 'draft-2020-12', unrepresentable: 'any' }) as Record<string, unknown>;
  delete json.$schema;
  return { schema: json, strict: isStrictCompatible(json) };
}

function isStrictCompatible(node: unknown): boolean {
  if (Array.isArray(node)) return node.every(isStrictCompatible);
  if (!node || typeof node !== 'object') return true;
  const n = node as Record<string, unknown>;
  if (n.type === 'object' || n.properties) {
    const props = Object.keys((n.properties as Record<string, unknown> | undefined) ?? {});
    const required = new Set((n.required as string[] | undefined) ?? []);
    if (n.additionalProperties !== false) return false;
    if (!props.every((p) => required.has(p))) return false;
  }
  return Object.values(n).every(isStrictCompatible);
}
