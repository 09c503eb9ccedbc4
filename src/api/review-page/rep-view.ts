import { NO_ACTIVITY } from '../../agents/lead-score.ts';
import type { Proposal } from '../../core/proposal.ts';
import { explainReason, type ReasonView } from '../../writeback/reason-text.ts';

/**
 * What a sales rep reads on a review card, derived from what the agents and the write-back recorded. The audit
 * text (rationale, reason details, model validation summaries) stays as it was written: it is the developer's
 * record and is shown under "Technical details"; these functions only choose and word what goes in the rep's
 * reading path.
 */

export type ConfidenceKind = 'calibrated' | 'unvalidated' | 'grounding';

export interface ConfidenceView {
  /**
   * - `calibrated`: a judgment from a model validated on held-out data; the figure is a probability of being
   *   right and never above the model's held-out 95 % lower bound.
   * - `unvalidated`: a judgment from a model with no held-out validation for it: there is no probability to show.
   * - `grounding`: free text (summaries, drafts, notes): the share of its statements backed by the cited source,
   *   which is not a probability of being right.
   */
  kind: ConfidenceKind;
  /** The figure shown (0–1), null when there is none. */
  value: number | null;
  /** The words on the card: "82% sure", "Not validated: a person decides", "90% backed by sources". */
  label: string;
  /** One or two sentences for the tooltip, in plain words. */
  explain: string;
}

const pct = (x: number) => `${Math.round(x * 100)}%`;
/** Rounded down, so a figure shown never exceeds the bound it is capped at. */
const floorPct = (x: number) => `${Math.floor(x * 100 + 1e-9)}%`;

export function confidenceView(p: Pick<Proposal, 'modelValidation'>, confidence: number): ConfidenceView {
  const v = p.modelValidation;
  if (v && !v.validated) {
    return {
      kind: 'unvalidated',
      value: null,
      label: 'Not validated: a person decides',
      explain: 'The model behind this suggestion has not yet been checked against past results for this kind of value, so it has no confidence figure to give. A person decides.',
    };
  }
  if (v) {
    const value = Math.max(0, Math.min(confidence, v.confidenceBound));
    return {
      kind: 'calibrated',
      value,
      label: `${floorPct(value)} sure`,
      explain: `A calibrated probability: on past data this model was right at least ${floorPct(v.confidenceBound)} of the time for this kind of value, and this suggestion is shown at ${floorPct(value)}.`,
    };
  }
  const value = Math.max(0, Math.min(1, confidence));
  return {
    kind: 'grounding',
    value,
    label: `${pct(value)} backed by sources`,
    explain: 'The share of what the AI wrote that it could back with a quote from the record’s history. It is not a probability that the suggestion is right.',
  };
}

/** A vendor's match score next to its value: said for what it is (the vendor's figure), not read as our confidence. */
const MATCH = /\(match (\d(?:\.\d+)?)\)/g;
/** `grounding 0.75 (share of cited reasons supported)` and its kin. */
const GROUNDING = /\bgrounding (\d(?:\.\d+)?) \(share of ([^)]+?) supported(?: by their citations)?\)/g;
/** A parenthesis that names a command or a code identifier: developer advice, not for the rep. */
const CODE_PAREN = /\s*\([^()]*`[^`]*`[^()]*\)/g;
const TICKS = /`([^`]*)`/g;
/** The scorer's drivers as text (`; drivers: Months since…: 12 (−8.71); …`): the card charts them already. */
const DRIVERS = /;?\s*drivers: .*$/s;
/** A model's provider:id (`model offline:offline-extractive-v1`). */
const MODEL_ID = /\bmodel [\w.-]+:[\w./-]+/;

function groundingWords(share: number, what: string): string {
  const items = what.replace(/^cited /, '');
  if (share >= 0.995) return `every one of the ${items} it cites is backed by the record’s history`;
  if (share <= 0.005) return `none of the ${items} it cites could be backed by the record’s history`;
  return `${pct(share)} of the ${items} it cites are backed by the record’s history`;
}

/**
 * The rationale in a rep's words: without the model validation summary (the confidence display says it in words),
 * model ids, commands, and the drivers the card charts; a vendor's match score named as the vendor's own figure.
 * Null when nothing is left to say.
 */
export function repRationale(p: Pick<Proposal, 'rationale' | 'modelValidation' | 'drivers'>): string | null {
  let text = p.rationale ?? '';
  const summary = p.modelValidation?.summary;
  if (summary) text = text.split(summary).join('');
  text = text
    .replace(GROUNDING, (_, share: string, what: string) => groundingWords(Number(share), what))
    .replace(MATCH, (_, score: string) => `(the provider’s own match score ${score}, not a probability)`)
    .replace(/: route from intent only$/, '. The suggested route comes from what the history says, not from a score')
    .replace(CODE_PAREN, '')
    .replace(TICKS, '$1');
  if (p.drivers?.length) text = text.replace(DRIVERS, '');
  // An unvalidated scorer's probability has not been shown to hold on past deals: not called calibrated to a rep.
  if (p.modelValidation && !p.modelValidation.validated) text = text.replace(/\b([Cc])alibrated win probability/g, (_, c: string) => `${c === 'C' ? 'E' : 'e'}stimated win probability`).replace(/\bthe calibrated score/g, 'the score');
  text = text
    .split(' | ')
    .map((part) =>
      part
        .split(/(?<=[.;])\s+/)
        .filter((clause) => !MODEL_ID.test(clause))
        .join(' ')
        .replace(/^[\s;.,]+|[\s;,]+$/g, '')
        .replace(/ {2,}/g, ' ')
        .replace(/^\p{Ll}/u, (c) => c.toUpperCase()),
    )
    .filter(Boolean)
    .join('\n')
    .trim();
  if (!text) return null;
  return /[.!?…)”"]$/.test(text) ? text : `${text}.`;
}

export interface RepReason extends ReasonView {
  /** False for a reason the rep's list leaves out (it is still listed under "Technical details"). */
  shown: boolean;
  /** The figures a rep can use, in words; empty when the detail is for developers only. */
  repDetail: string;
}

const THRESHOLD = /threshold (\d(?:\.\d+)?)/;

/**
 * The reasons for the rep's list: every reason's plain text; `below_threshold` is left out when the model is not
 * validated (its "0.00" is the absence of a figure, and `model_unvalidated` says why), and otherwise says the
 * figure against the bar in words. Developer details (model ids, tallies, policy keys) stay in the technical view.
 */
export function repReasons(reasons: readonly string[], confidence: ConfidenceView): RepReason[] {
  const codes = new Set(reasons.map((r) => explainReason(r).code));
  return reasons.map((raw) => {
    const r = explainReason(raw);
    let repDetail = '';
    let shown = true;
    if (r.code === 'below_threshold') {
      if (codes.has('model_unvalidated') || confidence.value === null) shown = false;
      else {
        const bar = THRESHOLD.exec(r.detail)?.[1];
        if (bar !== undefined) {
          repDetail = confidence.kind === 'grounding'
            ? `${pct(confidence.value)} of it is backed by sources; it writes on its own from ${pct(Number(bar))}.`
            : `It is ${floorPct(confidence.value)} sure; it writes on its own only from ${pct(Number(bar))}.`;
        }
      }
    }
    // A lead with no activity has no score at all: "the model has not proven itself" would be the wrong reason.
    const text = r.code === 'model_unvalidated' && r.detail === NO_ACTIVITY ? `${NO_ACTIVITY}, so a person decides.` : r.text;
    return { ...r, text, shown, repDetail };
  });
}
