import type { ActionIntent, Cast, Line, OwnerRole, PhraseBank } from './phrasing/index.ts';
import type { Rng } from './prng.ts';
import type { Person } from './text-email.ts';
import type { CallLabel, CallLabels } from './types.ts';

/**
 * Call transcripts as `[hh:mm:ss] Name (Company): text` lines (the `test` style also writes `hh:mm:ss Name:` and
 * `(mm:ss) Name:`), the shapes the ingest transcript normalizer splits by speaker turn. What a call summary must
 * find is drawn from a phrase bank (src/sandbox/phrasing) and returned as labels: the next steps with their owner,
 * the objections, the competitors, and the distractors a summary must not list (negated, retracted, past and
 * hypothetical actions).
 */

export interface TranscriptSpec {
  rep: Person;
  attendees: Person[];
  /** A colleague of the rep who is not on the call (owner of some actions). */
  colleague: string;
  topic: string;
  smallTalk: string[];
  /** Buyer lines that must be said (e.g. a confirmed budget). */
  buyerLines?: string[];
  bank: PhraseBank;
  /** How many actions, objections, distractors; whether a competitor is named (and which). */
  actions: number;
  objections: number;
  distractors: number;
  competitor: string | null;
  /** Extra filler turns to reach a target length (the long-transcript edge case). */
  minChars?: number;
}

function stamp(seconds: number, shape: number): string {
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  const two = (n: number) => String(n).padStart(2, '0');
  if (shape === 1) return `${two(h)}:${two(m)}:${two(s)}`;
  if (shape === 2) return `(${two(m + h * 60)}:${two(s)})`;
  return `[${two(h)}:${two(m)}:${two(s)}]`;
}

interface Said {
  who: Person;
  text: string;
  /** Index into labels whose turn this is (owner checks skip a turn whose label was garbled). */
  labels: CallLabel[];
}

/** Lower case, no punctuation but apostrophes, a few fillers: what a cheap speech-to-text pass produces. */
function garble(rng: Rng, text: string, fillers: string[]): string {
  const words = text
    .toLowerCase()
    .replace(/[^\p{L}\p{N}'’\s-]/gu, ' ')
    .split(/\s+/)
    .filter(Boolean);
  const out: string[] = [];
  for (const w of words) {
    if (rng.chance(0.08)) out.push(rng.pick(fillers));
    out.push(w);
  }
  return out.join(' ');
}

function fill(template: string, vars: Record<string, string>): string {
  return template.replace(/\{(\w+)\}/g, (_, k: string) => vars[k] ?? '');
}

export function buildTranscript(rng: Rng, spec: TranscriptSpec): { text: string; durationMs: number; labels: CallLabels } {
  const { bank } = spec;
  const labels: CallLabels = { style: bank.style, nextSteps: [], objections: [], competitors: [], distractors: [], noisy: false, language: 'en' };
  const said: Said[] = [];
  const buyer = spec.attendees[0] ?? spec.rep;
  const other = () => rng.pick(spec.attendees.length ? spec.attendees : [spec.rep]);
  const cast: Cast = { rep: first(spec.rep.name), buyer: first(buyer.name), colleague: spec.colleague, due: '' };
  const person = (who: Line['who']) => (who === 'rep' ? spec.rep : buyer);
  const say = (who: Person, text: string, attached: CallLabel[] = []) => said.push({ who, text, labels: attached });
  const ownerName = (role: OwnerRole) => (role === 'rep' ? spec.rep.name : role === 'buyer' ? buyer.name : spec.colleague);

  const foreign = bank.foreign.length > 0 && rng.chance(bank.foreignShare) && !spec.minChars && !spec.competitor ? rng.pick(bank.foreign) : null;
  if (foreign) {
    labels.language = foreign.lang;
    say(spec.rep, foreign.opening);
    say(other(), rng.pick(spec.smallTalk));
    for (const l of spec.buyerLines ?? []) say(buyer, l);
    for (const o of rng.sample(foreign.objections, Math.min(spec.objections, foreign.objections.length))) {
      const label: CallLabel = { gist: o.gist, terms: o.terms, kind: 'objection' };
      labels.objections.push(label);
      say(buyer, o.line, [label]);
    }
    for (const c of rng.sample(foreign.commitments, Math.max(1, Math.min(spec.actions, foreign.commitments.length)))) {
      const label: CallLabel = { gist: c.gist, terms: c.terms, kind: 'foreign', owner: ownerName(c.owner) };
      labels.nextSteps.push(label);
      say(c.owner === 'buyer' ? buyer : spec.rep, c.line, [label]);
    }
    say(spec.rep, foreign.closing);
  } else {
    say(spec.rep, fill(rng.pick(bank.openings), { topic: spec.topic }));
    say(other(), rng.pick(spec.smallTalk));
    for (const o of rng.sample(bank.objections, spec.objections)) {
      const label: CallLabel = { gist: o.gist, terms: o.terms, kind: 'objection' };
      labels.objections.push(label);
      say(buyer, rng.pick(o.surfaces), [label]);
      say(spec.rep, rng.pick(bank.acknowledgements));
    }
    if (spec.competitor) {
      labels.competitors.push(spec.competitor);
      say(buyer, fill(rng.pick(bank.competitorMentions), { c: spec.competitor }));
      say(spec.rep, fill(rng.pick(bank.competitorReplies), { c: spec.competitor }));
    }
    say(other(), fill(rng.pick(bank.goals), { topic: spec.topic }));
    for (const l of spec.buyerLines ?? []) say(buyer, l);
    let filler = 0;
    while (spec.minChars && said.reduce((n, s) => n + s.text.length + 40, 0) < spec.minChars) {
      filler++;
      say(other(), `Another detail on point ${filler}: ${rng.pick(spec.smallTalk)} We should also document how the rollout affects each team and who owns the follow-up.`);
      say(spec.rep, `Noted for point ${filler}. I will capture that in the shared plan so nothing gets lost between the teams.`);
    }
    // Actions and distractors interleave: a retraction or a conditional sits among real commitments.
    const actions: ActionIntent[] = rng.sample(bank.actions, spec.actions);
    const steps: Array<() => void> = actions.map((a) => () => {
      const surface = rng.pick(a.surfaces);
      const due = rng.pick(bank.dueDates);
      const label: CallLabel = { gist: a.gist, terms: a.terms, kind: surface.kind, owner: ownerName(surface.owner), ...(due ? { due } : {}) };
      labels.nextSteps.push(label);
      for (const l of surface.lines({ ...cast, due })) say(person(l.who), l.text, [label]);
    });
    for (const d of rng.sample(bank.distractors, spec.distractors)) {
      steps.splice(rng.int(0, steps.length), 0, () => {
        const label: CallLabel = { gist: d.gist, terms: d.terms, kind: d.kind };
        labels.distractors.push(label);
        for (const l of d.lines(cast)) say(person(l.who), l.text, [label]);
      });
    }
    for (const step of steps) step();
    for (const l of rng.pick(bank.closings)) say(person(l.who), l.text);
  }

  const noisy = !spec.minChars && rng.chance(bank.sttNoise);
  labels.noisy = noisy;
  const shape = bank.style === 'test' && !spec.minChars ? rng.int(0, 2) : 0;
  // A wrong speaker label: one turn attributed to someone else on the call (owners of its labels are unknowable).
  const mislabel = noisy && spec.attendees.length > 0 ? rng.int(1, Math.max(1, said.length - 1)) : -1;
  const lines: string[] = [];
  let t = 0;
  said.forEach((s, i) => {
    let who = s.who;
    if (i === mislabel) {
      who = s.who === spec.rep ? buyer : spec.rep;
      for (const l of s.labels) l.ownerUnknowable = true;
    }
    const text = noisy ? garble(rng, s.text, bank.fillers) : s.text;
    lines.push(`${stamp(t, shape)} ${who.name}${shape === 0 ? ` (${who.company})` : ''}: ${text}`);
    t += 5 + Math.ceil(s.text.length / 14) + rng.int(0, 6);
  });
  return { text: lines.join('\n'), durationMs: t * 1000, labels };
}

function first(name: string): string {
  return name.split(' ')[0] ?? name;
}
