/**
 * Text a model produced, made safe to store and write before anything records it. The same normalised string
 * goes to the audit log, the review queue and HubSpot, so what HubSpot holds is exactly what the audit says was
 * written, and undo can put it back byte for byte.
 *
 * - Well-formed Unicode: a lone surrogate (a model cut mid-emoji, a bad JSON escape) becomes U+FFFD. Left alone,
 *   each store would repair it its own way (PostgreSQL rejects it, UTF-8 encoders replace it) and the copies
 *   would differ.
 * - No NUL and no other C0/C1 control characters except tab and newline (carriage returns become newlines):
 *   PostgreSQL text cannot hold NUL, and control characters render as garbage in HubSpot.
 * - Bounded length, cut on a code point boundary (never inside a surrogate pair), with an ellipsis.
 */

// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]/g;
/** A high surrogate not followed by a low one, or a low one not preceded by a high one. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

export function normalizeModelText(text: string, maxLength = Number.POSITIVE_INFINITY): string {
  let out = text.replace(LONE_SURROGATE, '\uFFFD').replace(/\r\n?/g, '\n').replace(CONTROL, '');
  if (out.length > maxLength) {
    let cut = Math.max(0, maxLength - 1);
    const code = out.charCodeAt(cut - 1);
    if (code >= 0xd800 && code <= 0xdbff) cut -= 1;
    out = `${out.slice(0, cut)}…`;
  }
  return out;
}

/** True when `normalizeModelText` would leave the text as it is (given the same bound). */
export function isNormalizedText(text: string, maxLength?: number): boolean {
  return normalizeModelText(text, maxLength) === text;
}
