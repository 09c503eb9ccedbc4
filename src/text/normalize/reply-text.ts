import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import EmailReplyParser from 'email-reply-parser';

/**
 * The visible text of a plain-text e-mail exactly as email-reply-parser computes it
 * (`new EmailReplyParser().read(text).getVisibleText()`), for a fraction of its CPU.
 *
 * The library walks the lines bottom-up on a reversed copy of the text and, for every line, reverses it again
 * once per rule it tests (two signature checks per line, ~30 quote-header rules per paragraph start). On a
 * backfill that was the largest single CPU cost of building chunks (about a third of it, ~0.4 ms per e-mail).
 * Here each line is trimmed and classified at most once, against the library's own rule lists (loaded from the
 * package, so the rules stay the library's and follow its pinned version), and the same fragment rules are
 * applied to the lines in the same order: the result is the library's, character for character (tested against
 * the library on generated e-mails, and by the index golden test).
 *
 * The rules load synchronously when this module is imported (`require` of the library's ES module, which Node
 * does from 20.19): a worker thread of the backfill's pool gets them before its first e-mail, and under tsx a
 * dynamic import in a worker thread never settles, which had left the pool on the library's slow path for
 * every e-mail. Where `require` cannot load them they load by import instead; until then, or if the package
 * layout ever changes so that they cannot be found, the library itself runs. Either way the text is the same.
 */
export function visibleReplyText(text: string): string {
  return rules ? fastVisibleText(text, rules) : libraryVisibleText(text);
}

/** email-reply-parser itself: the reference the fast path must equal. */
export function libraryVisibleText(text: string): string {
  return new EmailReplyParser().read(text).getVisibleText();
}

/** True when the fast path is in use now (in this thread). */
export function replyRulesInUse(): boolean {
  return rules !== null;
}

/** Resolves once the fast path is in use (true), or known to be unavailable (false). */
export function replyRulesReady(): Promise<boolean> {
  return loading;
}

interface Rule {
  test(s: string): boolean;
}

interface ReplyRules {
  quoteHeaders: Rule[];
  signatures: Rule[];
}

/**
 * The library's rule lists live in its `regex.js` module, a sibling of its entry point. Its `exports` map does not
 * expose that module, so it is loaded by path; anything unexpected leaves the library in charge.
 */
const requireHere = createRequire(import.meta.url);
const RULES_FILE = path.join(path.dirname(requireHere.resolve('email-reply-parser')), 'regex.js');

let rules: ReplyRules | null = rulesOf(requireRules());
const loading: Promise<boolean> = rules
  ? Promise.resolve(true)
  : import(pathToFileURL(RULES_FILE).href).then(
      (mod: unknown) => {
        rules = rulesOf(mod);
        return rules !== null;
      },
      () => false,
    );

function requireRules(): unknown {
  try {
    return requireHere(RULES_FILE) as unknown;
  } catch {
    return null; // a Node without require(esm): the import above loads them
  }
}

function rulesOf(mod: unknown): ReplyRules | null {
  const list = (mod as { default?: unknown } | null)?.default as { quoteHeadersRegex?: unknown; signatureRegex?: unknown } | undefined;
  const isRules = (x: unknown): x is Rule[] =>
    Array.isArray(x) && x.length > 0 && x.every((r) => typeof (r as Partial<Rule> | null)?.test === 'function');
  if (!list || !isRules(list.quoteHeadersRegex) || !isRules(list.signatureRegex)) return null;
  return { quoteHeaders: list.quoteHeadersRegex, signatures: list.signatureRegex };
}

interface Fragment {
  /** Lines bottom-up, as the parser collects them. */
  lines: string[];
  quoted: boolean;
  signature: boolean;
}

const QUOTE = 62; // '>'

function fastVisibleText(input: string, r: ReplyRules): string {
  const text = joinBrokenHeaders(input.includes('\r\n') ? input.replace(/\r\n/g, '\n') : input, r.quoteHeaders);
  const raw = text.split('\n');
  const isSignature = (s: string) => r.signatures.some((re) => re.test(s));
  const isHeader = (s: string) => r.quoteHeaders.some((re) => re.test(s));

  const fragments: Fragment[] = [];
  let fragment: Fragment | null = null;
  // The line below the current one (the last one pushed) and what is known about it.
  let below = '';
  let belowSignature = false;
  let belowHeader: boolean | undefined;
  for (let i = raw.length - 1; i >= 0; i -= 1) {
    const original = raw[i]!;
    // A signature line is kept as written; any other loses its trailing whitespace (the library's `\s`, which is
    // what trimEnd removes).
    const rawSignature = isSignature(original);
    const line = rawSignature ? original : original.trimEnd();
    if (fragment) {
      if (belowSignature) {
        fragment.signature = true;
        fragments.push(fragment);
        fragment = null;
      } else if (line === '' && (belowHeader ??= isHeader(below))) {
        fragment.quoted = true;
        fragments.push(fragment);
        fragment = null;
      }
    }
    const quoted = line.charCodeAt(0) === QUOTE;
    let header: boolean | undefined;
    const joins = fragment !== null && (fragment.quoted === quoted || (fragment.quoted && (line === '' || (header = isHeader(line)))));
    if (!joins) {
      if (fragment) fragments.push(fragment);
      fragment = { lines: [], quoted, signature: false };
    }
    fragment!.lines.push(line);
    below = line;
    belowSignature = line === original ? rawSignature : isSignature(line);
    belowHeader = header;
  }
  if (fragment) fragments.push(fragment);

  const visible: string[] = [];
  for (let k = fragments.length - 1; k >= 0; k -= 1) {
    const f = fragments[k]!;
    if (f.quoted || f.signature || f.lines.every((l) => l === '')) continue;
    const content = f.lines.reverse().join('\n');
    visible.push(content.charCodeAt(0) === 10 ? content.slice(1) : content);
  }
  let out = visible.join('\n');
  let end = out.length;
  while (end > 0 && out.charCodeAt(end - 1) === 126) end -= 1; // trailing '~'
  if (end < out.length) out = out.slice(0, end);
  return out;
}

/**
 * A quote header the sender's client wrapped over two lines is joined back into one: for each header rule, the
 * first match's text with its newlines turned into spaces (the library's own pre-pass, same calls).
 */
function joinBrokenHeaders(text: string, headers: Rule[]): string {
  let out = text;
  for (const re of headers) {
    const m = out.match(re as unknown as RegExp);
    const group = m?.[1];
    if (m && group !== undefined) out = out.replace(group, group.replace(/\n/g, ' '));
  }
  return out;
}
