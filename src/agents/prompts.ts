import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';
import { AppError } from '../errors.ts';

/**
 * Versioned prompt files: `prompts/<agent>/v<N>.md`, a YAML front matter (`name`, `version`, `description`)
 * then `## system` and `## user` sections. The user section is a template with `{{name}}` slots.
 * A new wording is a new file, never an edit of an old one: the audit log records `<agent>/v<N>` and must
 * be able to show the prompt that produced a proposal.
 */

export interface PromptTemplate {
  name: string;
  version: string;
  /** `<name>/<version>`: what proposals and traces record. */
  id: string;
  system: string;
  user: string;
}

const DEFAULT_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../prompts');

function versionNumber(file: string): number {
  const m = /^v(\d+)\.md$/.exec(file);
  return m ? Number(m[1]) : -1;
}

/**
 * The newest version of a prompt unless `version` pins one. Read on each call (a directory listing and a small
 * file, next to a model call): no process-wide cache to own, and an added version is used without a restart.
 */
export function loadPrompt(name: string, opts: { version?: string; dir?: string } = {}): PromptTemplate {
  const dir = opts.dir ?? DEFAULT_DIR;
  const folder = path.join(dir, name);
  let version = opts.version;
  if (!version) {
    const files = fs.existsSync(folder) ? fs.readdirSync(folder).filter((f) => versionNumber(f) >= 0) : [];
    const newest = files.sort((a, b) => versionNumber(b) - versionNumber(a))[0];
    if (!newest) throw new AppError('PROMPT_NOT_FOUND', `No prompt files in ${folder}`);
    version = newest.replace(/\.md$/, '');
  }
  const file = path.join(folder, `${version}.md`);
  if (!fs.existsSync(file)) throw new AppError('PROMPT_NOT_FOUND', `Prompt ${name}/${version} not found at ${file}`);
  return parsePromptFile(fs.readFileSync(file, 'utf8'), name, version);
}

export function parsePromptFile(text: string, name: string, version: string): PromptTemplate {
  const fm = /^---\n([\s\S]*?)\n---\n/.exec(text);
  const meta = fm ? ((YAML.parse(fm[1] ?? '') as Record<string, unknown> | null) ?? {}) : {};
  const body = fm ? text.slice(fm[0].length) : text;
  const sections = new Map<string, string>();
  const re = /^## (system|user)\s*$/gm;
  const marks = [...body.matchAll(re)];
  marks.forEach((m, i) => {
    const start = (m.index ?? 0) + m[0].length;
    const end = marks[i + 1]?.index ?? body.length;
    sections.set(m[1] ?? '', body.slice(start, end).trim());
  });
  const system = sections.get('system');
  const user = sections.get('user');
  if (!system || !user) throw new AppError('PROMPT_INVALID', `Prompt ${name}/${version} needs "## system" and "## user" sections`);
  if (meta.name !== undefined && meta.name !== name) {
    throw new AppError('PROMPT_INVALID', `Prompt file ${name}/${version} declares name ${JSON.stringify(meta.name)}`);
  }
  return { name, version, id: `${name}/${version}`, system, user };
}

/**
 * Fills `{{slot}}`s. Every slot must be provided and every value is inserted verbatim once: values are never
 * re-scanned for slots, so retrieved text that contains `{{…}}` cannot pull in other values.
 */
export function renderPrompt(template: string, values: Record<string, string>): string {
  return template.replace(/\{\{\s*([a-zA-Z0-9_]+)\s*\}\}/g, (_m, key: string) => {
    const v = values[key];
    if (v === undefined) throw new AppError('PROMPT_INVALID', `Prompt slot {{${key}}} has no value`);
    return v;
  });
}
