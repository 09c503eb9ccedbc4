import type { Engagement, EngagementType, HubSpotObject } from './objects.ts';

/**
 * Recognising the product's own output in HubSpot. AI notes and tasks the write-back created come back in every
 * history read; they must never become evidence for the next generation (model output quoting model output),
 * so they are indexed apart (source type `ai_output`) and left out of prompts, timelines and scorer features.
 *
 * An engagement is the product's own when any of these holds:
 * - its body carries the write-back's marker `[hsai:<proposal id>]` (what the writer always adds);
 * - the `ai_generated` flag that `setup` creates on notes and tasks is true;
 * - HubSpot records it as created by an integration whose id is our app (`hs_object_source = INTEGRATION`,
 *   `hs_object_source_id = HUBSPOT_APP_ID`).
 */

export const PRODUCT_MARKER_PREFIX = '[hsai:';
export const AI_FLAG_PROPERTY = 'ai_generated';

/** Properties to read on notes and tasks so the rule above can be applied. */
export const PRODUCT_OUTPUT_PROPERTIES = [AI_FLAG_PROPERTY, 'hs_object_source', 'hs_object_source_id'] as const;

const BODY: Partial<Record<EngagementType, string>> = { notes: 'hs_note_body', tasks: 'hs_task_body' };

export function isProductOutput(type: EngagementType, object: HubSpotObject, appId?: string): boolean {
  const bodyProperty = BODY[type];
  // Only notes and tasks are ever written by the product; e-mails, calls and meetings are people's.
  if (!bodyProperty) return false;
  const p = object.properties;
  if ((p[bodyProperty] ?? '').includes(PRODUCT_MARKER_PREFIX)) return true;
  if ((p[AI_FLAG_PROPERTY] ?? '').toLowerCase() === 'true') return true;
  return Boolean(appId) && p.hs_object_source === 'INTEGRATION' && p.hs_object_source_id === appId;
}

/** The flag set when the history was read, or the rule applied now (histories built without an app id). */
export function isProductEngagement(e: Engagement): boolean {
  return e.productOutput ?? isProductOutput(e.type, e.object);
}

/** Engagements that are people's (or customers') activity: what agents may read as evidence. */
export function evidenceEngagements(engagements: readonly Engagement[]): Engagement[] {
  return engagements.filter((e) => !isProductEngagement(e));
}
