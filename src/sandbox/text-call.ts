import type { Rng } from './prng.ts';
import type { Person } from './text-email.ts';

/**
 * Call transcripts as `[hh:mm:ss] Name (Company): text` lines, the format the ingest transcript normalizer
 * splits by speaker turn. The facts a call summary must find (next steps, objections, competitors) are said
 * in recognisable sentences and returned separately as ground truth.
 */

export interface TranscriptSpec {
  rep: Person;
  attendees: Person[];
  topic: string;
  smallTalk: string[];
  nextSteps: string[];
  objections: string[];
  competitors: string[];
  /** Extra filler turns to reach a target length (the long-transcript edge case). */
  minChars?: number;
}

function stamp(seconds: number): string {
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  return `[${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}:${String(s).padStart(2, '0')}]`;
}

export function buildTranscript(rng: Rng, spec: TranscriptSpec): { text: string; durationMs: number } {
  const lines: string[] = [];
  let t = 0;
  const say = (p: Person, text: string) => {
    lines.push(`${stamp(t)} ${p.name} (${p.company}): ${text}`);
    t += 5 + Math.ceil(text.length / 14) + rng.int(0, 6);
  };
  const buyer = () => rng.pick(spec.attendees);
  say(spec.rep, `Thanks for making the time today. The plan is to walk through ${spec.topic} and agree on what comes next.`);
  say(buyer(), rng.pick(spec.smallTalk));
  say(spec.rep, 'Before we dive in, what changed on your side since we last spoke?');
  for (const o of spec.objections) {
    say(buyer(), `To be honest, one concern: ${o}.`);
    say(spec.rep, 'That is fair. Let me explain how other customers handled that, and we can adapt the proposal.');
  }
  for (const c of spec.competitors) {
    say(buyer(), `We also had a demo from ${c} last week, and their pricing looked aggressive.`);
    say(spec.rep, `Understood. Compared with ${c}, the main differences are the integration depth and the support model.`);
  }
  say(buyer(), `Our main goal is to get ${spec.topic} in place without disrupting the team.`);
  let filler = 0;
  while (spec.minChars && lines.join('\n').length < spec.minChars) {
    filler++;
    say(buyer(), `Another detail on point ${filler}: ${rng.pick(spec.smallTalk)} We should also document how the rollout affects each team and who owns the follow-up.`);
    say(spec.rep, `Noted for point ${filler}. I will capture that in the shared plan so nothing gets lost between the teams.`);
  }
  for (const n of spec.nextSteps) say(spec.rep, `Next step: I will ${n}.`);
  if (spec.nextSteps.length > 0) say(buyer(), 'Sounds good, let us reconvene once that is done.');
  say(spec.rep, 'Great, thanks everyone. Talk soon.');
  return { text: lines.join('\n'), durationMs: t * 1000 };
}
